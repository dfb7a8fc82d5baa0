"""Padding: `pad` (constant, reflect, replicate, circular; negative amounts crop) as graph
nodes, and `pad2d`, the raw-array helper that convolution and pooling pad their input with."""

from __future__ import annotations

import operator

import numpy as np

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError


class ConstantPadNd(Function):
    """Constant padding of the trailing dims; negative amounts crop."""

    def forward(self, x, widths, value):
        xp = get_array_module(x)
        self.in_shape = x.shape
        self.src, self.dst, shape = _pad_slices(x.shape, widths)
        out = xp.full(shape, value, x.dtype)
        out[self.dst] = x[self.src]
        return out

    def backward(self, g):
        piece = g[self.dst]
        if piece.shape == self.in_shape:
            return piece
        gx = get_array_module(g).zeros(self.in_shape, g.dtype)
        gx[self.src] = piece
        return gx


class IndexPad(Function):
    """'reflect', 'replicate' and 'circular' padding: a gather along each padded dim."""

    def name(self):
        kind = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular"}
        return f"{kind[self.mode]}Pad{len(self.index)}DBackward0"

    def forward(self, x, mode, index):
        xp = get_array_module(x)
        self.mode, self.index, self.in_shape = mode, index, x.shape
        out = x
        for dim, idx in index:
            out = xp.take(out, xp.asarray(idx), axis=dim)
        return out

    def backward(self, g):
        xp = get_array_module(g)
        # The adjoint of a gather: multiply by its one-hot matrix (repeated sources add up).
        for dim, idx in reversed(self.index):
            onehot = xp.zeros((len(idx), self.in_shape[dim]), g.dtype)
            onehot[xp.arange(len(idx)), xp.asarray(idx)] = 1
            g = xp.moveaxis(xp.tensordot(g, onehot, axes=([dim], [0])), -1, dim)
        return g


def pad(input, pad, mode="constant", value=0.0):
    """Pad (or crop, with negative amounts) the last dims, as `torch.nn.functional.pad`.

    `pad` is (left, right, top, bottom, ...): pairs for the last dim first.

    >>> pad(gradcli.ones(1, 1, 2, 2), (1, 1, 0, 0)).shape
    gradcli.Size([1, 1, 2, 4])
    """
    shape = tuple(input._data.shape)
    try:
        amounts = [operator.index(p) for p in pad]
    except TypeError:
        raise ShapeError(f"pad: pad must be a sequence of ints, got {pad!r}") from None
    if len(amounts) % 2 or len(amounts) // 2 > len(shape):
        raise ShapeError(
            f"pad: pad {tuple(amounts)} must have an even length of at most 2 * {len(shape)} "
            f"for an input of shape {shape}"
        )
    k = len(amounts) // 2
    pairs = {len(shape) - 1 - i: (amounts[2 * i], amounts[2 * i + 1]) for i in range(k)}
    widths = tuple(pairs.get(d, (0, 0)) for d in range(len(shape)))
    for d, (before, after) in pairs.items():
        if shape[d] + before + after < 0:
            raise ShapeError(
                f"pad: dim {d} of size {shape[d]} padded by ({before}, {after}) would have a "
                f"negative size (input shape {shape})"
            )
    if mode == "constant":
        return ConstantPadNd.apply(input, widths=widths, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ShapeError(
            f"pad: unknown mode {mode!r}; use 'constant', 'reflect', 'replicate' or 'circular'"
        )
    if value not in (0, 0.0, None):
        raise ShapeError(f"pad: mode {mode!r} takes no value (got value={value!r})")
    if min(amounts) < 0:
        # PyTorch crops first and pads what is left (a circular pad wraps the cropped part)
        return _crop_then_pad(input, amounts, mode)
    index = []
    for d in sorted(pairs):
        before, after = pairs[d]
        # reflect mirrors around the edge element, circular may wrap once; replicate has no limit
        limit = {"reflect": shape[d] - 1, "circular": shape[d]}.get(mode)
        if limit is not None and max(before, after) > limit:
            raise ShapeError(
                f"pad: {mode} padding ({before}, {after}) of dim {d} must be at most {limit} "
                f"for size {shape[d]} (input shape {shape}); use mode='replicate' or "
                "'constant' for wider padding"
            )
        if shape[d] == 0:
            raise ShapeError(f"pad: cannot {mode}-pad an empty dim {d} (input shape {shape})")
        index.append((d, tuple(int(i) for i in _gather_index(mode, shape[d], before, after))))
    return IndexPad.apply(input, mode=mode, index=tuple(index))


def _crop_then_pad(input, amounts, mode):
    cropped = pad(input, [min(a, 0) for a in amounts])
    return pad(cropped, [max(a, 0) for a in amounts], mode)


def _pad_slices(shape, widths):
    src, dst, out_shape = [], [], []
    for size, (before, after) in zip(shape, widths):
        start, stop = max(-before, 0), size - max(-after, 0)
        n = max(stop - start, 0)
        src.append(slice(start, start + n))
        dst.append(slice(max(before, 0), max(before, 0) + n))
        out_shape.append(size + before + after)
    return tuple(src), tuple(dst), tuple(out_shape)


def _gather_index(mode, size, before, after):
    pos = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(pos, 0, size - 1)
    if mode == "circular":
        return pos % size
    period = 2 * (size - 1)  # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    pos = np.abs(pos) % period if period else np.zeros_like(pos)
    return np.where(pos >= size, period - pos, pos)


def pad2d(x, pads, value):
    """Pad the last two dims by (top, bottom, left, right) with `value`; `x` itself if no pad."""
    pt, pb, pl, pr = pads
    if not (pt or pb or pl or pr):
        return x
    xp = get_array_module(x)
    n, c, h, w = x.shape
    shape = (n, c, h + pt + pb, w + pl + pr)
    out = xp.zeros(shape, x.dtype) if value == 0 else xp.full(shape, value, x.dtype)
    out[:, :, pt : pt + h, pl : pl + w] = x
    return out
