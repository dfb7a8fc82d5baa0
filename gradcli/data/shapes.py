"""The `shapes` synthetic image dataset: simple figures at random places, sizes and intensities.

Every figure is drawn from a signed distance function (negative inside) evaluated on the
pixel grid for all images of a class at once, so generation is a handful of array operations
per class and never a loop over images. Edges are anti-aliased by clipping `0.5 - distance`.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError

SHAPE_CLASSES = (
    "square",
    "square_outline",
    "circle",
    "ring",
    "triangle",
    "plus",
    "x",
    "hbar",
    "vbar",
    "diamond",
)
_SQRT_HALF = np.float32(np.sqrt(0.5))


def _box(u, v, a, b):
    # Axis-aligned rectangle with half-sides a (along u) and b (along v).
    return np.maximum(np.abs(u) - a, np.abs(v) - b)


def _plus(u, v, r, t):
    return np.minimum(_box(u, v, t / 2, r), _box(u, v, r, t / 2))


def _triangle(u, v, r):
    # Equilateral triangle, point up (v grows downward), circumradius r: three half-planes.
    a = r / 2
    c = np.float32(np.sqrt(3) / 2)
    return np.maximum(np.maximum(v - a, -c * u - v / 2 - a), c * u - v / 2 - a)


def _distance(name, u, v, r, t):
    """Signed distance (pixels, negative inside) of figure `name` on rotated coords u, v."""
    if name == "square":
        return _box(u, v, r * 0.8, r * 0.8)
    if name == "square_outline":
        return np.abs(_box(u, v, r * 0.8, r * 0.8)) - t / 2
    if name == "circle":
        return np.hypot(u, v) - r
    if name == "ring":
        return np.abs(np.hypot(u, v) - r) - t / 2
    if name == "triangle":
        return _triangle(u, v, r * 1.15)
    if name == "plus":
        return _plus(u, v, r, t)
    if name == "x":
        return _plus((u + v) * _SQRT_HALF, (v - u) * _SQRT_HALF, r, t)
    if name == "hbar":
        return _box(u, v, r * 1.1, t * 0.7)
    if name == "vbar":
        return _box(u, v, t * 0.7, r * 1.1)
    if name == "diamond":
        return (np.abs(u) + np.abs(v)) * _SQRT_HALF - r * 0.75
    raise AssertionError(name)


def make_shapes(
    n_samples: int,
    rng: np.random.Generator,
    size: int = 28,
    classes: tuple[str, ...] = SHAPE_CLASSES,
    noise: float = 0.15,
    max_rotation: float = 15.0,
) -> tuple[np.ndarray, np.ndarray]:
    """`n_samples` images (N, 1, size, size) uint8 and balanced int64 labels indexing `classes`.

    >>> x, y = make_shapes(100, np.random.default_rng(0))
    >>> x.shape, x.dtype, y[:3]
    ((100, 1, 28, 28), dtype('uint8'), array([...]))
    """
    unknown = [c for c in classes if c not in SHAPE_CLASSES]
    if unknown or not classes:
        raise DataError(
            f"shapes: unknown class name(s) {unknown}; choose from {', '.join(SHAPE_CLASSES)}"
        )
    if size < 8:
        raise DataError(f"shapes: size must be at least 8 pixels, got {size}")
    n, k, f32 = int(n_samples), len(classes), np.float32
    # Balanced labels (counts differ by at most one), in random order.
    labels = rng.permutation(np.arange(n) % k).astype(np.int64)

    def uniform(lo, hi):
        return rng.uniform(lo, hi, n).astype(f32)[:, None, None]

    # Per-image parameters, drawn for all images up front so the result depends only on rng.
    r = uniform(0.16 * size, 0.36 * size)  # figure "radius" in pixels
    t = uniform(0.06 * size, 0.11 * size)  # stroke thickness
    cx = f32(size) / 2 + uniform(-1, 1) * (f32(size) / 2 - r)
    cy = f32(size) / 2 + uniform(-1, 1) * (f32(size) / 2 - r)
    angle = np.deg2rad(uniform(-max_rotation, max_rotation))
    fg = uniform(0.45, 1.0)
    bg = uniform(0.0, 0.25)
    sigma = uniform(0.0, noise) if noise > 0 else np.zeros((n, 1, 1), f32)
    cos, sin = np.cos(angle), np.sin(angle)

    grid = np.arange(size, dtype=f32) + f32(0.5)  # pixel centres
    img = np.empty((n, size, size), dtype=f32)
    for c, name in enumerate(classes):
        m = np.flatnonzero(labels == c)
        if m.size == 0:
            continue
        dx = grid[None, None, :] - cx[m]
        dy = grid[None, :, None] - cy[m]
        u = dx * cos[m] + dy * sin[m]
        v = dy * cos[m] - dx * sin[m]
        ink = np.clip(f32(0.5) - _distance(name, u, v, r[m], t[m]), 0, 1)
        img[m] = bg[m] + (fg[m] - bg[m]) * ink
    img += sigma * rng.standard_normal(img.shape, dtype=f32)
    np.clip(img, 0, 1, out=img)
    pixels = (img * f32(255) + f32(0.5)).astype(np.uint8)
    return pixels[:, None], labels
