"""2-D transposed convolution: the adjoint of conv2d, with conv2d's own kernels swapped round.

The forward pass is conv2d's input gradient (W^T times the input, then col2im), and the
backward pass is conv2d's forward (im2col of the output gradient, then W times it): the same
two helpers, so their layouts and speed are shared.
"""

from __future__ import annotations

import operator

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._checks import check_4d, check_same_kind, pair
from gradcli.ops.conv import _weight_matrix, col2im, im2col
from gradcli.ops.padding import pad2d


class ConvTranspose(Function):
    def name(self):
        return "ConvolutionBackward0"

    def forward(self, z, w, b=None, *, stride, padding, dilation, groups, out_hw):
        n, cin, h, wd = z.shape
        cout = w.shape[1] * groups
        pads = (padding[0], padding[0], padding[1], padding[1])
        self.geometry = (stride, pads, dilation, groups)
        zr = z.reshape(n, groups, cin // groups, h * wd)
        cols = _weight_matrix(w, groups).swapaxes(1, 2) @ zr  # (N, G, C_out/G*kH*kW, H*W)
        y = col2im(cols, (n, cout, *out_hw), w.shape[2:], (h, wd), stride, pads, dilation)
        y = get_array_module(z).ascontiguousarray(y)
        if b is not None:
            y += b.reshape(cout, 1, 1)
        need_z, need_w = self.needs_input_grad[:2]
        self.save_for_backward(z if need_w else None, w if need_z or need_w else None)
        return y

    def backward(self, g):
        z, w = self.saved_tensors
        stride, pads, dilation, groups = self.geometry
        need = self.needs_input_grad
        gz = gw = gb = None
        if need[0] or need[1]:
            n, cin, h, wd = g.shape[0], w.shape[0], *self.in_hw(g, w)
            cols = im2col(pad2d(g, pads, 0), w.shape[2:], (h, wd), stride, dilation, groups)
            if need[0]:
                gz = (_weight_matrix(w, groups) @ cols).reshape(n, cin, h, wd)
            if need[1]:
                zr = z.reshape(n, groups, cin // groups, h * wd)
                gw = (cols @ zr.swapaxes(2, 3)).sum(axis=0).swapaxes(1, 2).reshape(w.shape)
        if len(need) == 3 and need[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gz, gw, gb

    def in_hw(self, g, w):
        stride, pads, dilation, _ = self.geometry
        return tuple(
            (size + 2 * p - d * (k - 1) - 1) // s + 1
            for size, p, d, k, s in zip(g.shape[2:], pads[::2], dilation, w.shape[2:], stride)
        )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Transposed 2-D convolution of (N, C_in, H, W) with weight (C_in, C_out/groups, kH, kW),
    as `torch.nn.functional.conv_transpose2d`.

    >>> conv_transpose2d(gradcli.randn(1, 4, 5, 5), gradcli.randn(4, 2, 3, 3), stride=2).shape
    gradcli.Size([1, 2, 11, 11])
    """
    check_4d("conv_transpose2d", input)
    ws, xs = tuple(weight._data.shape), tuple(input._data.shape)
    if len(ws) != 4:
        raise ShapeError(
            f"conv_transpose2d: expected a 4-D weight (C_in, C_out/groups, kH, kW), got {ws}"
        )
    op = "conv_transpose2d"
    stride = pair(op, "stride", stride, 1)
    padding = pair(op, "padding", padding, 0)
    output_padding = pair(op, "output_padding", output_padding, 0)
    dilation = pair(op, "dilation", dilation, 1)
    if isinstance(groups, bool) or operator.index(groups) < 1 or ws[0] % groups:
        raise ShapeError(
            f"conv_transpose2d: groups={groups!r} must be a positive int dividing the {ws[0]} "
            f"input channels of the weight {ws}"
        )
    if xs[1] != ws[0]:
        raise ShapeError(
            f"conv_transpose2d: input has {xs[1]} channels but weight {ws} expects {ws[0]} "
            f"(input shape {xs})"
        )
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= max(s, d):
            raise ShapeError(
                f"conv_transpose2d: output_padding {output_padding} must be smaller than either "
                f"stride {stride} or dilation {dilation}"
            )
    out_hw = tuple(
        (size - 1) * s - 2 * p + d * (k - 1) + op_ + 1
        for size, s, p, d, k, op_ in zip(xs[2:], stride, padding, dilation, ws[2:], output_padding)
    )
    if min(out_hw) < 1:
        raise ShapeError(
            f"conv_transpose2d: the output would have size {out_hw} for input {xs} and weight "
            f"{ws}; use less padding"
        )
    args = [input, weight]
    if bias is not None:
        cout = ws[1] * groups
        if tuple(bias._data.shape) != (cout,):
            raise ShapeError(
                f"conv_transpose2d: bias must have shape ({cout},), got {tuple(bias._data.shape)}"
            )
        args.append(bias)
    check_same_kind(op, args)
    return ConvTranspose.apply(
        *args, stride=stride, padding=padding, dilation=dilation, groups=groups, out_hw=out_hw
    )
