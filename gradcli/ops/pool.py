"""Pooling over the last two dims of (N, C, H, W): max, average and adaptive average.

Max and average pooling work on the kH*kW strided sub-grids of the (padded) input, one per kernel
offset: a whole-array `maximum` or `+=` per offset instead of a reduction over a reshaped window
axis, which NumPy runs many times slower. Max pooling saves the offset of each window's maximum
as a small integer array; its backward writes (or, where windows overlap, adds) the gradient
into each sub-grid where that offset won.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._checks import check_4d, pair
from gradcli.ops._parallel import for_batch
from gradcli.ops.padding import pad2d


def _subgrids(a, kernel, stride, dilation, out_hw):
    """The (N, C, OH, OW) strided view of `a` for each kernel offset (i, j), in row-major order."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            yield a[:, :, rows, j * dw : j * dw + sw * (ow - 1) + 1 : sw]


def _padded_shape(shape, pads):
    n, c, h, w = shape
    return (n, c, h + pads[0] + pads[1], w + pads[2] + pads[3])


def _disjoint(kernel, stride, dilation):
    """No input element lies in two windows: the backward can write instead of add."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def _covers(shape, kernel, stride, pads, out_hw):
    """The windows tile the padded input exactly (no element outside every window)."""
    h, w = shape[2:]
    return (
        kernel == stride
        and out_hw[0] * stride[0] == h + pads[0] + pads[1]
        and out_hw[1] * stride[1] == w + pads[2] + pads[3]
    )


def _crop(gxp, shape, pads):
    h, w = shape[2:]
    return gxp[:, :, pads[0] : pads[0] + h, pads[2] : pads[2] + w]


def _geometry(op, t, kernel_size, stride, padding, dilation, ceil_mode):
    check_4d(op, t)
    kernel = pair(op, "kernel_size", kernel_size, 1)
    stride = (
        kernel if stride is None or stride == () or stride == [] else pair(op, "stride", stride, 1)
    )
    padding = pair(op, "padding", padding, 0)
    dilation = pair(op, "dilation", dilation, 1)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ShapeError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    shape = tuple(t._data.shape)
    out_hw, pads = [], []
    for dim, size, k, s, p, d in zip(("height", "width"), shape[2:], kernel, stride, padding,
                                     dilation):  # fmt: skip
        extent = d * (k - 1) + 1
        span = size + 2 * p - extent
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1  # the last window would start in the right padding: PyTorch drops it
        if o < 1:
            raise ShapeError(
                f"{op}: the window ({extent} with dilation) does not fit the {dim} of the input "
                f"({size}, padded to {size + 2 * p}): input {shape}, kernel_size {kernel}; use "
                "a smaller kernel_size or a larger input"
            )
        out_hw.append(o)
        # pad only as far as the windows reach (ceil_mode may reach past the padding)
        pads += [p, max((o - 1) * s + extent - size - p, 0)]
    return kernel, stride, padding, dilation, tuple(out_hw), tuple(pads)


class MaxPool2D(Function):
    def name(self):
        return "MaxPool2DWithIndicesBackward0"

    def forward(self, x, kernel, stride, pads, dilation, out_hw, indices_out=None):
        xp = get_array_module(x)
        self.geometry = (x.shape, kernel, stride, pads, dilation, out_hw)
        fill = -math.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        n = x.shape[0]
        out = xp.empty((*x.shape[:2], *out_hw), x.dtype)
        track = indices_out is not None or self.needs_input_grad[0]
        arg = None
        if track:  # the offset of each window's maximum (none in inference)
            arg = xp.zeros(out.shape, np.uint8 if kernel[0] * kernel[1] <= 256 else np.int32)

        def part(lo, hi):
            grids = _subgrids(pad2d(x[lo:hi], pads, fill), kernel, stride, dilation, out_hw)
            o = out[lo:hi]
            xp.copyto(o, next(grids))
            if arg is None:
                for v in grids:
                    xp.maximum(o, v, out=o)
                return
            # A window that dilation makes skip every real element (tiny inputs) gives -inf and
            # no gradient; PyTorch returns an out-of-range index there and writes out of bounds.
            # A strict > keeps the first of equal maxima, as PyTorch does; the winning offsets
            # only grow, so a running `maximum` of k * won records the last winner (a masked
            # copyto or arg[won] = k is several times slower).
            a = arg[lo:hi]
            won, k_won = xp.empty(o.shape, bool), xp.empty(o.shape, arg.dtype)
            for k, v in enumerate(grids, start=1):
                xp.greater(v, o, out=won)
                xp.maximum(o, v, out=o)  # maximum, not a masked copy: NaN propagates
                xp.multiply(won, arg.dtype.type(k), out=k_won)
                xp.maximum(a, k_won, out=a)

        for_batch(part, n, x, x.nbytes // max(1, n))
        if indices_out is not None:
            indices_out.append(self._flat_indices(arg))
        self.save_for_backward(arg if self.needs_input_grad[0] else None)
        return out

    def backward(self, g):
        (arg,) = self.saved_tensors
        shape, kernel, stride, pads, dilation, out_hw = self.geometry
        xp = get_array_module(g)
        disjoint = _disjoint(kernel, stride, dilation)
        full = _covers(shape, kernel, stride, pads, out_hw)
        gxp = xp.empty(_padded_shape(shape, pads), g.dtype)

        def part(lo, hi):
            gp, gs, a = gxp[lo:hi], g[lo:hi], arg[lo:hi]
            if not (disjoint and full):
                gp.fill(0)
            hit = xp.empty(a.shape, bool)
            grids = _subgrids(gp, kernel, stride, dilation, out_hw)
            for k, view in enumerate(grids):
                xp.equal(a, k, out=hit)
                if disjoint:  # every element in one window at most: write, no read-modify-write
                    xp.multiply(gs, hit, out=view)
                else:
                    view += gs * hit
            if disjoint:
                gp += 0.0  # g * False is -0.0 where g < 0; PyTorch's zeros are +0.0

        for_batch(part, len(gxp), g, gxp.nbytes // max(1, len(gxp)))
        return _crop(gxp, shape, pads)

    def _flat_indices(self, arg):
        """PyTorch's indices: the argmax's position in the flattened H*W plane (int64)."""
        xp = get_array_module(arg)
        (_, _, _, w), (_, kw), (sh, sw), (pt, _, pl, _), (dh, dw), (oh, ow) = self.geometry
        k = arg.astype(np.int64)
        rows = (xp.arange(oh) * sh - pt)[:, None] + (k // kw) * dh
        cols = (xp.arange(ow) * sw - pl)[None, :] + (k % kw) * dw
        return rows * w + cols


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max pooling over (N, C, H, W), as `torch.nn.functional.max_pool2d`.

    >>> max_pool2d(gradcli.randn(8, 6, 28, 28), 2).shape
    gradcli.Size([8, 6, 14, 14])
    """
    kernel, stride, _, dilation, out_hw, pads = _geometry(
        "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode
    )
    sink = [] if return_indices else None
    out = MaxPool2D.apply(
        input, kernel=kernel, stride=stride, pads=pads, dilation=dilation, out_hw=out_hw,
        indices_out=sink,
    )  # fmt: skip
    if return_indices:
        return out, out._make(sink[0])
    return out


class AvgPool2D(Function):
    def forward(self, x, kernel, stride, pads, out_hw, divisor):
        self.geometry = (x.shape, kernel, stride, pads, out_hw, divisor)
        grids = _subgrids(pad2d(x, pads, 0), kernel, stride, (1, 1), out_hw)
        out = next(grids).copy()
        for v in grids:
            out += v  # same order as PyTorch's window loop
        out /= _as_array(divisor, x)
        return out

    def backward(self, g):
        shape, kernel, stride, pads, out_hw, divisor = self.geometry
        xp = get_array_module(g)
        gs = g / _as_array(divisor, g)
        disjoint = _disjoint(kernel, stride, (1, 1))
        full = _covers(shape, kernel, stride, pads, out_hw)
        gxp = (xp.empty if disjoint and full else xp.zeros)(_padded_shape(shape, pads), g.dtype)
        grids = _subgrids(gxp, kernel, stride, (1, 1), out_hw)
        if disjoint:
            for view in grids:
                view[...] = gs
        else:
            for view in grids:
                view += gs
        return _crop(gxp, shape, pads)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Average pooling over (N, C, H, W), as `torch.nn.functional.avg_pool2d`.

    >>> avg_pool2d(gradcli.ones(1, 1, 4, 4), 2).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
    op = "avg_pool2d"
    kernel, stride, padding, _, out_hw, pads = _geometry(
        op, input, kernel_size, stride, padding, 1, ceil_mode
    )
    if input._data.dtype.kind != "f":
        raise ShapeError(f"{op}: expected a floating point input, got {input._data.dtype}")
    if divisor_override is not None:
        try:
            if isinstance(divisor_override, bool):
                raise TypeError
            divisor = operator.index(divisor_override)
        except TypeError:
            raise ShapeError(
                f"{op}: divisor_override must be an int, got {divisor_override!r}"
            ) from None
        if divisor == 0:
            raise ShapeError(f"{op}: divisor_override must not be zero")
    else:
        h, w = input._data.shape[2:]
        rows = _window_counts(h, kernel[0], stride[0], padding[0], out_hw[0], count_include_pad)
        cols = _window_counts(w, kernel[1], stride[1], padding[1], out_hw[1], count_include_pad)
        full = kernel[0] * kernel[1]
        if all(r * c == full for r in rows for c in cols):
            divisor = full
        else:
            divisor = (tuple(rows), tuple(cols))
    return AvgPool2D.apply(
        input, kernel=kernel, stride=stride, pads=pads, out_hw=out_hw, divisor=divisor
    )


def _as_array(divisor, like):
    """A scalar divisor stays a Python int (no float64); per-dim counts become an (OH, OW) array."""
    if isinstance(divisor, tuple):
        rows, cols = divisor
        table = np.outer(np.array(rows), np.array(cols)).astype(like.dtype)
        return get_array_module(like).asarray(table)
    return divisor


def _window_counts(size, k, s, p, out, include_pad):
    """How many elements each window along one dim divides by, as PyTorch counts them."""
    counts = []
    for o in range(out):
        start = o * s - p
        end = min(start + k, size + p)  # windows never count beyond the padding
        if not include_pad:
            start, end = max(start, 0), min(end, size)
        counts.append(end - start)
    return counts


class AdaptiveAvgPool2D(Function):
    """out = A_h x A_w^T per plane, A holding 1/len over each window: two matrix products."""

    def name(self):
        return "AdaptiveAvgPool2DBackward0"

    def forward(self, x, out_hw):
        n, c, h, w = x.shape
        self.geometry = (x.shape, out_hw)
        ah, aw = _averaging(h, out_hw[0], x), _averaging(w, out_hw[1], x)
        return _sandwich(x.reshape(n * c, h, w), ah, aw).reshape(n, c, *out_hw)

    def backward(self, g):
        (n, c, h, w), (oh, ow) = self.geometry
        ah, aw = _averaging(h, oh, g), _averaging(w, ow, g)
        return _sandwich(g.reshape(n * c, oh, ow), ah.T, aw.T).reshape(n, c, h, w)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size, as `torch.nn.functional.adaptive_avg_pool2d`.

    >>> adaptive_avg_pool2d(gradcli.randn(2, 3, 7, 9), (2, 4)).shape
    gradcli.Size([2, 3, 2, 4])
    """
    op = "adaptive_avg_pool2d"
    check_4d(op, input)
    h, w = input._data.shape[2:]
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(sizes) != 2:
        raise ShapeError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    out_hw = pair(op, "output_size", tuple(d if s is None else s for s, d in zip(sizes, (h, w))), 1)
    if h < 1 or w < 1:
        raise ShapeError(f"{op}: input {tuple(input._data.shape)} has an empty plane")
    if input._data.dtype.kind != "f":
        raise ShapeError(f"{op}: expected a floating point input, got {input._data.dtype}")
    return AdaptiveAvgPool2D.apply(input, out_hw=out_hw)


def _averaging(size, out, like):
    """(out, size) matrix averaging the windows [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size), like.dtype)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, start:end] = 1 / (end - start)
    return get_array_module(like).asarray(m)


def _sandwich(planes, left, right):
    """left @ plane @ right.T for every plane of (P, H, W), as two single 2-D products."""
    xp = get_array_module(planes)
    p, h, w = planes.shape
    t = planes.reshape(p * h, w) @ right.T  # (P*H, OW)
    ow = t.shape[1]
    t = xp.ascontiguousarray(t.reshape(p, h, ow).transpose(0, 2, 1)).reshape(p * ow, h)
    t = t @ left.T  # (P*OW, OH)
    return xp.ascontiguousarray(t.reshape(p, ow, left.shape[0]).transpose(0, 2, 1))
