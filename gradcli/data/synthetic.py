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


MAX_BYTES = 4 << 30  # generated data lives in memory: past this, refuse before allocating


def _count(name, split, n_samples, n_test, train: int, test: int, bytes_per_sample: int) -> int:
    """The number of samples for `split`, checked against MAX_BYTES before anything is made.

    `bytes_per_sample` is the peak memory one sample needs while generating (temporaries
    included), so the check holds for the whole generation, not just the result.
    """
    # n_samples sizes the train split and n_test the test split, so one config sets both.
    key, n = ("n_samples", n_samples) if split == "train" else ("n_test", n_test)
    n = (train if split == "train" else test) if n is None else n
    if isinstance(n, float) and n.is_integer():  # `1e4` in YAML or on the command line
        n = int(n)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        # YAML 1.1 reads `1e12` (no dot) as text: say so, or the quotes look like our mistake
        text = isinstance(n, str)
        hint = " (text: YAML reads 1e12 as text but 1.0e12 as a number)" if text else ""
        raise DataError(f"{name}: {key} must be a positive integer, got {n!r}{hint}")
    if n * bytes_per_sample > MAX_BYTES:
        most = MAX_BYTES // bytes_per_sample
        raise DataError(
            f"{name}: {key}={n:,} would need about {n * bytes_per_sample / 2**30:,.0f} GiB of "
            f"memory ({bytes_per_sample:,} bytes per sample); generated data is limited to "
            f"{MAX_BYTES / 2**30:.0f} GiB, at most {most:,} samples here: lower {key}"
        )
    return int(n)


def _dimension(name: str, key: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"{name}: {key} must be a positive integer, got {value!r}")
    return int(value)


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
    channels: int = 1,
) -> LoadedData:
    """Figures (square, ring, triangle, plus, bars, ...) as (N, channels, size, size) uint8.

    Defaults: 10 classes, 10,000 train (`n_samples`) / 2,000 test (`n_test`) images. A small
    CNN needs a few epochs to pass 95% test accuracy; an MLP stays clearly below (about 85%).
    `channels: 3, size: 32` is CIFAR-shaped: each figure and its background get random colours,
    so only the shape tells the class.
    """
    names = tuple(classes) if classes is not None else SHAPE_CLASSES
    size = _dimension("shapes", "size", size)
    if channels not in (1, 3) or isinstance(channels, bool):
        raise DataError(f"shapes: channels must be 1 (grey) or 3 (colour), got {channels!r}")
    # measured peak: float32 canvas and masks, uint8 result, per-image parameters (colour: a
    # float32 RGB canvas and the uint8 result on top)
    per_sample = 14 * size * size + 64 + (15 * size * size if channels == 3 else 0)
    n = _count("shapes", split, n_samples, n_test, 10_000, 2_000, per_sample)
    rng = _rng("shapes", seed, split)
    x, y = make_shapes(n, rng, size, names, noise, max_rotation)
    if channels == 3:
        x = _colourise(x, rng)
    info = DatasetInfo(
        name="shapes",
        task="classification",
        input_shape=tuple(x.shape[1:]),
        num_classes=len(names),
        class_names=names,
        source="synthetic",
    )
    return LoadedData(x, y, info)


def _colourise(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, 1, H, W) grey -> (N, 3, H, W): grey level g, stretched to [0, 1] per image, becomes
    background + g * (figure - background), with random colours per image. The two differ by
    at least 0.35 in some channel (else redrawn 0.5 apart in every channel), so the shape
    stays visible."""
    n = grey.shape[0]
    back = rng.uniform(0.0, 1.0, (n, 3, 1, 1)).astype(np.float32)
    front = rng.uniform(0.0, 1.0, (n, 3, 1, 1)).astype(np.float32)
    faint = np.abs(front - back).max(axis=1, keepdims=True) < 0.35
    front = np.where(faint, np.where(back < 0.5, back + 0.5, back - 0.5), front)
    # Each grey image stretched to [0, 1]: the colours, not the grey levels, set the contrast.
    g = grey.astype(np.float32)
    lo, hi = g.min(axis=(2, 3), keepdims=True), g.max(axis=(2, 3), keepdims=True)
    g = (g - lo) / np.maximum(hi - lo, np.float32(1))
    rgb = back + (front - back) * g
    return (rgb * np.float32(255) + np.float32(0.5)).astype(np.uint8)


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
    n = _count("spirals", split, n_samples, n_test, 300 * k, 100 * k, 64)
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
    d = _dimension("blobs", "num_features", num_features)
    n = _count("blobs", split, n_samples, n_test, 200 * k, 100 * k, 28 * d + 16)
    centres = np.random.default_rng([int(seed), 99]).uniform(-box, box, (k, d))
    rng = _rng("blobs", seed, split)
    y = rng.permutation(np.arange(n) % k).astype(np.int64)
    x = centres[y] + cluster_std * rng.standard_normal((n, d))
    return LoadedData(x.astype(np.float32), y, _points_info("blobs", k, d))


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
    d_in = _dimension("regression", "in_features", in_features)
    d_out = _dimension("regression", "out_features", out_features)
    # "linear" peaks at a float64 copy of x for the product with the float64 weights
    n = _count("regression", split, n_samples, n_test, 64, 64, 12 * d_in + 24 * d_out)
    rng = _rng("regression", seed, split)
    if target == "linear" and 8 * d_in * d_out > MAX_BYTES:  # the float64 true weights
        raise DataError(
            f"regression: in_features x out_features = {d_in * d_out:,} weights exceed the "
            f"{MAX_BYTES / 2**30:.0f} GiB limit for generated data; lower them"
        )
    x = rng.standard_normal((n, d_in), dtype=np.float32)
    if target == "random":
        y = rng.standard_normal((n, d_out), dtype=np.float32)
    elif target == "linear":
        w = np.random.default_rng([int(seed), 99]).standard_normal((d_in, d_out))
        y = x @ w / np.sqrt(d_in) + noise * rng.standard_normal((n, d_out))
        y = y.astype(np.float32)
    else:
        raise DataError(f"regression: target must be 'random' or 'linear', got {target!r}")
    info = DatasetInfo(
        name="regression",
        task="regression",
        input_shape=(d_in,),
        target_shape=(d_out,),
        source="synthetic",
    )
    return LoadedData(x, y, info)
