"""From config values to ready datasets: load, split off validation, transform once.

Statistics of stateful transforms (normalise) are fitted on the training rows only and then
applied unchanged to validation and test rows, so no information leaks from held-out data.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any

from .datasets import Subset, TensorDataset, split_indices
from .errors import DataError
from .info import DatasetInfo
from .registry import load_dataset
from .transforms import Pipeline, build_transforms


@dataclass
class DataSplits:
    """Datasets ready for DataLoaders, their metadata and the fitted transforms.

    `transforms.spec()` records fitted statistics (e.g. normalise mean/std) for the run folder.
    """

    train: TensorDataset | Subset
    val: Subset | None
    test: TensorDataset | None
    info: DatasetInfo
    transforms: Pipeline


def build_datasets(
    name: str,
    root: str | os.PathLike | None = None,
    options: dict[str, Any] | None = None,
    transforms: Any = None,
    val_fraction: float = 0.0,
    seed: int = 0,
    stratify: bool = True,
    test: bool = True,
) -> DataSplits:
    """Load `name`'s train split (and test split when `test`), hold out `val_fraction` of
    train (stratified by class for classification), and apply `transforms` once.

    >>> splits = build_datasets("shapes", transforms=["scale", "normalize"], val_fraction=0.1)
    >>> len(splits.train), len(splits.val), splits.info.input_shape
    (9000, 1000, (1, 28, 28))
    """
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
    x, y, info = load_dataset(name, root, "train", **(options or {}))
    pipe = build_transforms(transforms, num_classes=info.num_classes)
    train_idx = val_idx = None
    if val_fraction > 0:
        labels = y if stratify and info.task == "classification" else None
        train_idx, val_idx = split_indices(len(x), [1.0 - val_fraction, val_fraction], seed, labels)
    x, y = pipe.fit_apply(x, y, index=train_idx)
    full = TensorDataset(x, y)
    train = full if train_idx is None else Subset(full, train_idx)
    val = None if val_idx is None else Subset(full, val_idx)
    test_ds = None
    if test:
        xt, yt, _ = load_dataset(name, root, "test", **(options or {}))
        test_ds = TensorDataset(*pipe(xt, yt))
    shapes = {"input_shape": tuple(x.shape[1:]), "target_shape": tuple(y.shape[1:])}
    info = dataclasses.replace(info, **shapes)
    return DataSplits(train, val, test_ds, info, pipe)
