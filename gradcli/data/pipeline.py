"""From config values to ready datasets: load, split off validation, transform once.

Statistics of stateful transforms (normalise) are fitted on the training rows only and then
applied unchanged to validation and test rows, so no information leaks from held-out data.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .datasets import Subset, TensorDataset, split_indices
from .errors import DataError
from .info import DatasetInfo
from .paths import locate
from .registry import canonical_name, load_dataset
from .sources import SOURCES
from .transforms import Pipeline, build_transforms


@dataclass
class DataSplits:
    """Datasets ready for DataLoaders, their metadata and the fitted transforms.

    A split the caller did not ask for is None. `transforms.spec()` records fitted statistics
    (e.g. normalise mean/std) for the run folder.
    """

    train: TensorDataset | Subset | None
    val: Subset | None
    test: TensorDataset | None
    info: DatasetInfo
    transforms: Pipeline


SPLITS = ("train", "val", "test")


def _check_files(name: str, root, file_splits: list[str]) -> None:
    # One error naming every missing file of every split needed, before anything is loaded.
    spec = SOURCES.get(canonical_name(name))
    if spec is not None:
        locate(spec, file_splits, root)


def build_datasets(
    name: str,
    root: str | os.PathLike | None = None,
    options: dict[str, Any] | None = None,
    transforms: Any = None,
    val_fraction: float = 0.0,
    seed: int = 0,
    splits: Collection[str] | None = None,
) -> DataSplits:
    """Load the `splits` asked for (default all three), holding out `val_fraction` of the
    train file as "val" (stratified by class for classification), and apply `transforms` once.

    "train" and "val" come from the dataset's train files and "test" from its test files, so
    `splits=["test"]` reads only the test files; the transforms must then be fitted already
    (a checkpoint's `transforms` spec holds the fitted statistics).

    >>> splits = build_datasets("shapes", transforms=["scale", "normalize"], val_fraction=0.1)
    >>> len(splits.train), len(splits.val), splits.info.input_shape
    (9000, 1000, (1, 28, 28))
    """
    wanted = set(SPLITS if splits is None else splits)
    unknown = sorted(wanted - set(SPLITS))
    if unknown or not wanted:
        raise DataError(f"splits must be some of {', '.join(SPLITS)}, got {sorted(wanted)}")
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
    from_train = bool(wanted & {"train", "val"})
    file_splits = (["train"] if from_train else []) + (["test"] if "test" in wanted else [])
    _check_files(name, root, file_splits)
    train = val = test_ds = None
    pipe = x = y = info = None
    if from_train:
        x, y, info = load_dataset(name, root, "train", **(options or {}))
        pipe = build_transforms(transforms, num_classes=info.num_classes)
        train_idx = val_idx = None
        if val_fraction > 0:
            labels = y if info.task == "classification" else None
            parts = [1.0 - val_fraction, val_fraction]
            train_idx, val_idx = split_indices(len(x), parts, seed, labels)
        x, y = pipe.fit_apply(x, y, index=train_idx)
        full = TensorDataset(x, y)
        if "train" in wanted:
            train = full if train_idx is None else Subset(full, train_idx)
        if "val" in wanted and val_idx is not None:
            val = Subset(full, val_idx)
    if "test" in wanted:
        xt, yt, test_info = load_dataset(name, root, "test", **(options or {}))
        if info is None:  # test only: nothing fitted here, the transforms come ready-fitted
            info = test_info
            pipe = build_transforms(transforms, num_classes=info.num_classes)
        test_ds = TensorDataset(*pipe(xt, yt))
        if x is None:
            x, y = test_ds.arrays
    shapes = {"input_shape": tuple(x.shape[1:]), "target_shape": tuple(y.shape[1:]),
              "raw_input_shape": info.raw_input_shape or tuple(info.input_shape)}  # fmt: skip
    return DataSplits(train, val, test_ds, dataclasses.replace(info, **shapes), pipe)
