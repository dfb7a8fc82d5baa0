"""One entry point for every dataset: `load_dataset(name, root=None, split=..., **options)`.

Each loader is a plain function `(root, split, **options) -> LoadedData`; its keyword
arguments are the options a config may set, so unknown keys are rejected by name. Adding a
dataset is one module with its loader plus one `DATASETS.register` line below. Names ignore
case (`MNIST` is `mnist`), in registration and lookup alike.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .components import CaseBlindRegistry, check_options
from .errors import DataError
from .files import load_cifar10, load_fashion_mnist, load_mnist
from .info import LoadedData
from .synthetic import load_blobs, load_regression, load_shapes, load_spirals
from .tabular import load_csv, load_npz

DATASETS: CaseBlindRegistry[Callable[..., LoadedData]] = CaseBlindRegistry(
    "dataset", error=DataError
)
DATASETS.register("mnist", load_mnist)
DATASETS.register("fashion-mnist", load_fashion_mnist, aliases=["fashion_mnist", "fashionmnist"])
DATASETS.register("cifar10", load_cifar10, aliases=["cifar-10", "cifar_10"])
DATASETS.register("shapes", load_shapes)
DATASETS.register("spirals", load_spirals)
DATASETS.register("blobs", load_blobs)
DATASETS.register("regression", load_regression)
DATASETS.register("npz", load_npz)
DATASETS.register("csv", load_csv)


def canonical_name(name: str) -> str:
    """The registered name for `name` (case and aliases folded), or a DataError with the names
    and a did-you-mean."""
    return DATASETS.canonical(str(name))


def dataset_options(name: str) -> dict[str, Any]:
    """Options `name` accepts, with their defaults (for help text and config validation)."""
    fn = DATASETS.get(canonical_name(name))
    params = inspect.signature(fn).parameters.values()
    return {p.name: p.default for p in params if p.name not in ("root", "split")}


def load_dataset(
    name: str, root: str | os.PathLike | None = None, split: str = "train", **options: Any
) -> LoadedData:
    """Load a built-in or user dataset as numpy arrays plus metadata.

    >>> x, y, info = load_dataset("shapes", split="test", seed=1)
    >>> x.shape, y.dtype, info.num_classes
    ((2000, 1, 28, 28), dtype('int64'), 10)
    """
    key = canonical_name(name)
    loader = DATASETS.get(key)
    check_options(f"dataset {key!r}", loader, options, skip=("root", "split"))
    data = loader(root=root, split=split, **options)
    _check_finite(key, split, data)
    return data


def _first_bad_row(a: np.ndarray) -> tuple[int, int] | None:
    """(first row, number of rows) holding NaN or inf in a float array, or None."""
    if a.dtype.kind != "f" or a.size == 0:
        return None
    # One float64 sum is the fast path: NaN and inf propagate. A float64 sum may also
    # overflow on finite values, so a non-finite sum is confirmed row by row.
    with np.errstate(over="ignore"):
        if np.isfinite(a.sum(dtype=np.float64)):
            return None
    bad = ~np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    return (int(bad.argmax()), int(bad.sum())) if bad.any() else None


def _check_finite(key: str, split: str, data: LoadedData) -> None:
    """NaN/inf in the inputs or targets is the data's fault: say so here, once, at load time,
    rather than as a non-finite output of the model's first layer."""
    for what, arr in (("inputs", data.x), ("targets", data.y)):
        found = _first_bad_row(arr)
        if found:
            where = data.info.source if data.info.source not in ("", "synthetic") else key
            row, count = found
            raise DataError(
                f"{where} ({split} split): the {what} hold NaN or infinite values in {count:,} "
                f"row(s), the first at row {row} (0-based); the data is bad, not the model: "
                "fix or drop those rows"
            )
