"""One entry point for every dataset: `load_dataset(name, root=None, split=..., **options)`.

Each loader is a plain function `(root, split, **options) -> LoadedData`; its keyword
arguments are the options a config may set, so unknown keys are rejected by name.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

from .errors import DataError
from .files import load_cifar10, load_fashion_mnist, load_mnist
from .info import LoadedData
from .synthetic import load_blobs, load_regression, load_shapes, load_spirals
from .tabular import load_csv, load_npz

DATASETS: dict[str, Callable[..., LoadedData]] = {
    "mnist": load_mnist,
    "fashion-mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "shapes": load_shapes,
    "spirals": load_spirals,
    "blobs": load_blobs,
    "regression": load_regression,
    "npz": load_npz,
    "csv": load_csv,
}
_ALIASES = {
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "cifar-10": "cifar10",
}


def dataset_options(name: str) -> dict[str, Any]:
    """Options `name` accepts, with their defaults (for help text and config validation)."""
    fn = DATASETS[canonical_name(name)]
    params = inspect.signature(fn).parameters.values()
    return {p.name: p.default for p in params if p.name not in ("root", "split")}


def canonical_name(name: str) -> str:
    """The table key for `name` (case and aliases folded), or a DataError listing the names."""
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return key


def load_dataset(
    name: str, root: str | os.PathLike | None = None, split: str = "train", **options: Any
) -> LoadedData:
    """Load a built-in or user dataset as numpy arrays plus metadata.

    >>> x, y, info = load_dataset("shapes", split="test", seed=1)
    >>> x.shape, y.dtype, info.num_classes
    ((2000, 1, 28, 28), dtype('int64'), 10)
    """
    key = canonical_name(name)
    allowed = dataset_options(key)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise DataError(
            f"dataset {key!r}: unknown option(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed) or 'none'}"
        )
    return DATASETS[key](root=root, split=split, **options)
