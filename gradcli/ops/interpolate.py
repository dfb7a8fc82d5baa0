"""Resampling (`interpolate`): nearest and (bi)linear, as one separable linear map.

Both modes resize each spatial dim on its own: output = A_d @ input along dim d, where A_d is an
(out, in) matrix with one 1 per row (nearest) or two weights per row (linear). The backward pass
is the same product with each A_d transposed, so one node serves every mode and both devices,
and repeated source pixels add up their gradients without a scatter.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError

_NAMES = {"nearest": "UpsampleNearest{}DBackward0", "linear": "UpsampleLinear1DBackward0",
          "bilinear": "UpsampleBilinear2DBackward0"}  # fmt: skip


class Resample(Function):
    def name(self):
        return _NAMES[self.mode].format(len(self.mats))

    def forward(self, x, *, mats, mode):
        self.mode, self.mats = mode, mats
        xp = get_array_module(x)
        for i, a in enumerate(mats):
            d = x.ndim - len(mats) + i
            x = xp.moveaxis(xp.tensordot(x, xp.asarray(a, x.dtype), axes=([d], [1])), -1, d)
        return xp.ascontiguousarray(x)

    def backward(self, g):
        xp = get_array_module(g)
        for i, a in enumerate(self.mats):
            d = g.ndim - len(self.mats) + i
            g = xp.moveaxis(xp.tensordot(g, xp.asarray(a, g.dtype), axes=([d], [0])), -1, d)
        return g


def _nearest(n_in, n_out, scale):
    # PyTorch computes the source index in float32: floor(dst * scale), clamped to the input
    src = np.floor(np.arange(n_out, dtype=np.float32) * np.float32(scale)).astype(np.int64)
    a = np.zeros((n_out, n_in))
    a[np.arange(n_out), np.minimum(src, n_in - 1)] = 1.0
    return a


def _linear(n_in, n_out, scale, align_corners):
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:  # pixel centres line up: half-pixel offsets, sources left of 0 clamp to the edge
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    a = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(a, (rows, lo), 1.0 - frac)
    np.add.at(a, (rows, hi), frac)
    return a


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):  # fmt: skip
    """Resize the spatial dims of (N, C, L) / (N, C, H, W) / (N, C, D, H, W), as
    `torch.nn.functional.interpolate` (modes 'nearest', 'linear' and 'bilinear').

    >>> interpolate(gradcli.ones(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
    gradcli.Size([1, 3, 8, 8])
    """
    shape = tuple(input._data.shape)
    k = len(shape) - 2
    want = {"nearest": (1, 2, 3), "linear": (1,), "bilinear": (2,)}
    if mode not in want:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported by gradcli yet; use 'nearest', "
            "'linear' or 'bilinear'"
        )
    if k not in want[mode]:
        dims = " or ".join(f"{d + 2}-D" for d in want[mode])
        raise ShapeError(f"interpolate: mode {mode!r} expects a {dims} input, got shape {shape}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by gradcli yet")
    if align_corners is not None and mode == "nearest":
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear"
        )
    sizes, scales = _sizes(shape[2:], size, scale_factor, recompute_scale_factor)
    mats = []
    for n_in, n_out, scale in zip(shape[2:], sizes, scales):
        if mode == "nearest":
            mats.append(_nearest(n_in, n_out, scale))
        else:
            mats.append(_linear(n_in, n_out, scale, bool(align_corners)))
    return Resample.apply(input, mats=tuple(mats), mode=mode)


def _sizes(in_sizes, size, scale_factor, recompute):
    """Output sizes, and the scale (input per output pixel) each dim's sources are found by."""
    k = len(in_sizes)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        sizes = _per_dim("size", size, k)
        if min(sizes) < 1:
            raise ShapeError(f"interpolate: output size must be positive, got {size}")
        return sizes, tuple(n / s for n, s in zip(in_sizes, sizes))
    factors = tuple(float(f) for f in _per_dim("scale_factor", scale_factor, k))
    if min(factors) <= 0:
        raise ShapeError(f"interpolate: scale_factor must be positive, got {scale_factor}")
    sizes = tuple(math.floor(n * f) for n, f in zip(in_sizes, factors))
    if min(sizes) < 1:
        raise ShapeError(
            f"interpolate: scale_factor {scale_factor} makes an empty output from input size "
            f"{tuple(in_sizes)}"
        )
    if recompute:
        return sizes, tuple(n / s for n, s in zip(in_sizes, sizes))
    return sizes, tuple(1.0 / f for f in factors)


def _per_dim(name, value, k):
    if isinstance(value, (tuple, list)):
        if len(value) != k:
            raise ValueError(
                f"interpolate: {name} {tuple(value)} must have one entry per spatial dim ({k})"
            )
        return tuple(value)
    return (value,) * k
