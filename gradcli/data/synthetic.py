"""Synthetic datasets: deterministic for a seed, generated in memory, no files.

Train and test come from the same distribution but different random streams
(`default_rng([seed, split])`); anything that defines the distribution itself (blob centres,
a regression's true weights) is drawn from the seed alone, so both splits share it.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError
from .info import DatasetInfo, LoadedData
from .shapes import SHAPE_CLASSES, make_shapes

_SPLIT_CODE = {"train": 0, "test": 1}


def _rng(name: str, seed: int, split: str) -> np.random.Generator:
    if split not in _SPLIT_CODE:
        raise DataError(f"{name}: split must be 'train' or 'test', got {split!r}")
    return np.random.default_rng([int(seed), _SPLIT_CODE[split]])


def _count(name: str, split: str, n_samples, n_test, train: int, test: int) -> int:
    # n_samples sizes the train split and n_test the test split, so one config sets both.
    key, n = ("n_samples", n_samples) if split == "train" else ("n_test", n_test)
    n = (train if split == "train" else test) if n is None else n
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"{name}: {key} must be a positive integer, got {n!r}")
    return int(n)


def _classes(name: str, num_classes: int) -> int:
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise DataError(f"{name}: num_classes must be an integer >= 2, got {num_classes!r}")
    return int(num_classes)


def load_shapes(
    root=None,
    split: str = "train",
    seed: int = 0,
    n_samples: int | None = None,
    n_test: int | None = None,
    size: int = 28,
    classes: list[str] | None = None,
    noise: float = 0.15,
    max_rotation: float = 15.0,
) -> LoadedData:
    """Figures (square, ring, triangle, plus, bars, ...) as (N, 1, size, size) uint8 images.

    Defaults: 10 classes, 10,000 train (`n_samples`) / 2,000 test (`n_test`) images. A small
    CNN needs a few epochs to pass 95% test accuracy; an MLP stays clearly below (about 85%).
    """
    names = tuple(classes) if classes is not None else SHAPE_CLASSES
    n = _count("shapes", split, n_samples, n_test, 10_000, 2_000)
    x, y = make_shapes(n, _rng("shapes", seed, split), size, names, noise, max_rotation)
    info = DatasetInfo(
        name="shapes",
        task="classification",
        input_shape=tuple(x.shape[1:]),
        num_classes=len(names),
        class_names=names,
        source="synthetic",
    )
    return LoadedData(x, y, info)


def _points_info(name: str, k: int, d: int) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        task="classification",
        input_shape=(d,),
        num_classes=k,
        class_names=tuple(f"class_{i}" for i in range(k)),
        source="synthetic",
    )


def load_spirals(
    root=None,
    split: str = "train",
    seed: int = 0,
    n_samples: int | None = None,
    n_test: int | None = None,
    num_classes: int = 3,
    noise: float = 0.2,
    turns: float = 0.75,
) -> LoadedData:
    """K interleaved spiral arms in 2-D (the cs231n toy problem): (N, 2) float32 points.

    Not linearly separable: a linear classifier stays below 50%, a small MLP reaches ~100%.
    """
    k = _classes("spirals", num_classes)
    n = _count("spirals", split, n_samples, n_test, 300 * k, 100 * k)
    rng = _rng("spirals", seed, split)
    y = rng.permutation(np.arange(n) % k).astype(np.int64)
    r = rng.uniform(0.0, 1.0, n)
    theta = 2 * np.pi * (turns * r + y / k) + noise * rng.standard_normal(n)
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1).astype(np.float32)
    return LoadedData(x, y, _points_info("spirals", k, 2))


def load_blobs(
    root=None,
    split: str = "train",
    seed: int = 0,
    n_samples: int | None = None,
    n_test: int | None = None,
    num_classes: int = 3,
    num_features: int = 2,
    cluster_std: float = 1.0,
    box: float = 10.0,
) -> LoadedData:
    """Gaussian blobs around K centres drawn in [-box, box]^D: (N, D) float32 points."""
    k = _classes("blobs", num_classes)
    n = _count("blobs", split, n_samples, n_test, 200 * k, 100 * k)
    centres = np.random.default_rng([int(seed), 99]).uniform(-box, box, (k, num_features))
    rng = _rng("blobs", seed, split)
    y = rng.permutation(np.arange(n) % k).astype(np.int64)
    x = centres[y] + cluster_std * rng.standard_normal((n, num_features))
    return LoadedData(x.astype(np.float32), y, _points_info("blobs", k, num_features))


def load_regression(
    root=None,
    split: str = "train",
    seed: int = 0,
    n_samples: int | None = None,
    n_test: int | None = None,
    in_features: int = 1000,
    out_features: int = 10,
    target: str = "random",
    noise: float = 0.1,
) -> LoadedData:
    """Random inputs (N, in_features) and targets (N, out_features), float32.

    `target="random"` is the classic PyTorch warm-up (N=64, D_in=1000, D_out=10: the network
    memorises random targets); `target="linear"` makes y = x @ W / sqrt(D_in) + noise so a
    linear model can generalise to the test split.
    """
    n = _count("regression", split, n_samples, n_test, 64, 64)
    rng = _rng("regression", seed, split)
    x = rng.standard_normal((n, in_features), dtype=np.float32)
    if target == "random":
        y = rng.standard_normal((n, out_features), dtype=np.float32)
    elif target == "linear":
        w = np.random.default_rng([int(seed), 99]).standard_normal((in_features, out_features))
        y = x @ w / np.sqrt(in_features) + noise * rng.standard_normal((n, out_features))
        y = y.astype(np.float32)
    else:
        raise DataError(f"regression: target must be 'random' or 'linear', got {target!r}")
    info = DatasetInfo(
        name="regression",
        task="regression",
        input_shape=(in_features,),
        target_shape=(out_features,),
        source="synthetic",
    )
    return LoadedData(x, y, info)
