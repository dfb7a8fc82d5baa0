"""2-D convolution (im2col + one matmul call), with its backward pass; 1-D as a height-1 2-D.

The kernels and their layout are in `conv_kernels`. The forward saves the columns, not the
input: the weight gradient needs exactly them, and rebuilding them would cost a second im2col.
Forward and backward run on slices of the batch through `_parallel.for_batch`: slices of a
few samples whose columns stay in cache between the copy and the product, shared out to threads
on the CPU. The backward's scratch (W^T g) is then a slice's, not the batch's.
"""

from __future__ import annotations

import operator

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._checks import check_4d, check_same_kind, pair
from gradcli.ops._parallel import for_batch
from gradcli.ops.conv_kernels import col2im, col2im_rows, forward_slice, im2col
from gradcli.ops.conv_kernels import weight_matrix as _weight_matrix

__all__ = ["conv1d", "conv2d", "col2im", "im2col"]  # the last two: conv_transpose shares them


class Convolution(Function):
    def name(self):
        return "ConvolutionBackward0"

    def forward(self, x, w, b=None, *, stride, pads, dilation, groups, out_hw):
        xp = get_array_module(x)
        n, o = x.shape[0], w.shape[0]
        self.geometry = (x.shape, w.shape, stride, pads, dilation, groups, out_hw)
        wm = _weight_matrix(w, groups)
        pixels = out_hw[0] * out_hw[1]
        cols = xp.empty((n, groups, wm.shape[2], pixels), x.dtype)
        y = xp.empty((n, groups, o // groups, pixels), x.dtype)

        def part(lo, hi):
            forward_slice(x, wm, b, cols, y, lo, hi, w.shape[2:], out_hw, stride, pads, dilation)

        for_batch(part, n, x, cols.nbytes // max(1, n))
        need_x, need_w = self.needs_input_grad[:2]
        self.save_for_backward(cols if need_w else None, w if need_x else None)
        return y.reshape(n, o, *out_hw)

    def backward(self, g):
        cols, w = self.saved_tensors
        xshape, wshape, stride, pads, dilation, groups, out_hw = self.geometry
        xp = get_array_module(g)
        n, o = g.shape[:2]
        g = xp.ascontiguousarray(g)
        gy = g.reshape(n, groups, o // groups, out_hw[0] * out_hw[1])  # (N, G, C_out/G, OH*OW)
        gw_each = wt = buf = None
        if cols is not None:
            gw_each = xp.empty((n, groups, cols.shape[2], o // groups), g.dtype)
        rows = stride == (1, 1)
        c, h, wd = xshape[1:]
        pt, pb, pl, pr = pads
        if w is not None:
            wt = _weight_matrix(w, groups).swapaxes(1, 2)
            hp, wp = h + pt + pb, wd + pl + pr
            buf = xp.empty((n, c, (hp + 1) * wp) if rows else (n, c, hp, wp), g.dtype)
        # bytes per sample: W^T g (as wide as the padded input on the rows path), the columns
        scratch = wt.shape[1] * out_hw[0] * (wp if rows else out_hw[1]) if w is not None else 0
        per_sample = max(scratch * g.itemsize, 0 if cols is None else cols.nbytes // max(1, n))

        def part(lo, hi):
            if gw_each is not None:
                # (cols @ gy^T), not (gy @ cols^T): the same sums, but BLAS runs it faster this way
                xp.matmul(cols[lo:hi], gy[lo:hi].swapaxes(2, 3), out=gw_each[lo:hi])
            if wt is not None:
                out = buf[lo:hi]
                out.fill(0)
                if rows:
                    col2im_rows(wt, g[lo:hi], wshape, wp, dilation, out)
                else:
                    part_shape = (hi - lo, c, h, wd)
                    kernel = wshape[2:]
                    col2im(wt @ gy[lo:hi], part_shape, kernel, out_hw, stride, pads, dilation, out)

        for_batch(part, n, g, per_sample)
        gx = gw = gb = None
        if gw_each is not None:
            # summed over the batch only now, in one order whatever the slices were
            gw = gw_each.sum(axis=0).swapaxes(1, 2).reshape(wshape)
        if buf is not None:
            gx = buf.reshape(n, c, hp + rows, wp)[:, :, pt : pt + h, pl : pl + wd]
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = gy.sum(axis=(0, 3)).reshape(o)
        return gx, gw, gb


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C_in, H, W), as `torch.nn.functional.conv2d`.

    >>> y = conv2d(gradcli.randn(8, 1, 28, 28), gradcli.randn(6, 1, 5, 5), padding=2)
    >>> y.shape
    gradcli.Size([8, 6, 28, 28])
    """
    check_4d("conv2d", input)
    ws = tuple(weight._data.shape)
    if len(ws) != 4:
        raise ShapeError(f"conv2d: expected a 4-D weight (C_out, C_in/groups, kH, kW), got {ws}")
    xs = tuple(input._data.shape)
    stride = pair("conv2d", "stride", stride, 1)
    dilation = pair("conv2d", "dilation", dilation, 1)
    try:
        if isinstance(groups, bool) or operator.index(groups) < 1:
            raise TypeError
    except TypeError:
        raise ShapeError(f"conv2d: groups must be a positive int, got {groups!r}") from None
    groups = operator.index(groups)
    if ws[0] % groups:
        raise ShapeError(
            f"conv2d: groups={groups} does not divide the {ws[0]} output channels of the "
            f"weight {ws}"
        )
    if xs[1] != ws[1] * groups:
        raise ShapeError(
            f"conv2d: input has {xs[1]} channels but weight {ws} with groups={groups} expects "
            f"{ws[1] * groups} (input shape {xs})"
        )
    args = [input, weight]
    if bias is not None:
        if tuple(bias._data.shape) != (ws[0],):
            raise ShapeError(
                f"conv2d: bias must have shape ({ws[0]},) for weight {ws}, "
                f"got {tuple(bias._data.shape)}"
            )
        args.append(bias)
    check_same_kind("conv2d", args)
    pads = _conv_pads(padding, ws[2:], stride, dilation)
    try:
        out_hw = (
            out_size("conv2d", xs[2], ws[2], stride[0], pads[0] + pads[1], dilation[0], "height"),
            out_size("conv2d", xs[3], ws[3], stride[1], pads[2] + pads[3], dilation[1], "width"),
        )
    except ShapeError as e:
        raise ShapeError(f"{e} (input {xs}, weight {ws})") from None
    return Convolution.apply(
        *args, stride=stride, pads=pads, dilation=dilation, groups=groups, out_hw=out_hw
    )


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C_in, L) or unbatched (C_in, L), as `F.conv1d`: a conv2d over a
    height-1 image, so both share one kernel (and its speed).

    >>> conv1d(gradcli.randn(8, 4, 50), gradcli.randn(6, 4, 3), padding="same").shape
    gradcli.Size([8, 6, 50])
    """
    nd, ws = input.dim(), tuple(weight._data.shape)
    if nd not in (2, 3):
        raise ShapeError(
            f"conv1d: expected a 3-D input (N, C, L) or an unbatched 2-D one (C, L), got shape "
            f"{tuple(input.shape)}"
        )
    if len(ws) != 3:
        raise ShapeError(f"conv1d: expected a 3-D weight (C_out, C_in/groups, k), got {ws}")
    x = input.unsqueeze(0) if nd == 2 else input
    if isinstance(groups, int) and groups > 0 and x.shape[1] != ws[1] * groups:
        raise ShapeError(
            f"conv1d: input has {x.shape[1]} channels but weight {ws} with groups={groups} "
            f"expects {ws[1] * groups} (input shape {tuple(input.shape)})"
        )
    if not isinstance(padding, str):
        padding = (0, single("conv1d", "padding", padding, 0))
    stride = (1, single("conv1d", "stride", stride, 1))
    dilation = (1, single("conv1d", "dilation", dilation, 1))
    y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, stride, padding, dilation, groups)
    y = y.squeeze(2)
    return y.squeeze(0) if nd == 2 else y


def single(op: str, name: str, value, minimum: int) -> int:
    """An int or a 1-element sequence of one, at least `minimum`."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (tuple, list)):
        raise ShapeError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
    return pair(op, name, value, minimum)[0]


def _conv_pads(padding, kernel, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ShapeError(
                    f"conv2d: padding='same' is not supported for strided convolutions "
                    f"(stride={stride}); use stride=1 or an explicit padding"
                )
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)  # odd totals put the extra row/column last, as PyTorch does
                pads += [total // 2, total - total // 2]
            return tuple(pads)
        raise ShapeError(
            f"conv2d: invalid padding string {padding!r}, should be one of 'valid', 'same'"
        )
    ph, pw = pair("conv2d", "padding", padding, 0)
    return (ph, ph, pw, pw)


def out_size(op: str, size: int, k: int, s: int, pad: int, d: int, dim: str) -> int:
    """Conv/pool output length; raises when no window fits."""
    out = (size + pad - d * (k - 1) - 1) // s + 1
    if out < 1:
        raise ShapeError(
            f"{op}: the (dilated) kernel {d * (k - 1) + 1} does not fit the {dim} of the input "
            f"({size}, padded to {size + pad}): the output would have size {out}; use a smaller "
            "kernel or dilation, or more padding"
        )
    return out
