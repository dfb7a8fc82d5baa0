"""Matrix products: matmul/mm (NumPy's broadcasting rules) and linear (one fused node)."""

from __future__ import annotations

import numpy as np

from gradcli.autograd.function import Function
from gradcli.errors import ShapeError
from gradcli.ops._checks import check_same_kind
from gradcli.ops._util import promote, sum_to


class MatMul(Function):
    """`a @ b` with NumPy's rules: 1-D operands are promoted, leading dims broadcast."""

    def name(self):
        return "MmBackward0" if self.ndims == (2, 2) else "BmmBackward0"

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        na, nb = self.needs_input_grad
        self.save_for_backward(a if nb else None, b if na else None)
        return a @ b

    def backward(self, g):
        a, b = self.saved_tensors
        sa, sb = self.shapes
        # Promote 1-D operands (and the gradient) to matrices, as the forward did implicitly.
        if len(sb) == 1:
            g = g[..., None]
        if len(sa) == 1:
            g = g[..., None, :]
        ga = gb = None
        if b is not None:
            ga = g @ (b[:, None] if len(sb) == 1 else b).swapaxes(-1, -2)
            ga = sum_to(ga[..., 0, :] if len(sa) == 1 else ga, sa)
        if a is not None:
            gb = (a[None, :] if len(sa) == 1 else a).swapaxes(-1, -2) @ g
            gb = sum_to(gb[..., 0] if len(sb) == 1 else gb, sb)
        return ga, gb

    @property
    def ndims(self):
        return len(self.shapes[0]), len(self.shapes[1])


def matmul(a, b):
    ad, bd = a._data, b._data
    if ad.ndim == 2 and bd.ndim == 2 and ad.shape[1] == bd.shape[0] and ad.dtype is bd.dtype:
        return MatMul.apply(a, b)  # two fitting matrices of one dtype: nothing to check or cast
    _check("matmul", a, b)
    return MatMul.apply(*promote(a, b))


def mm(a, b):
    if a._data.ndim != 2 or b._data.ndim != 2:
        raise ShapeError(
            f"mm: expected 2-D matrices, got shapes {tuple(a._data.shape)} and "
            f"{tuple(b._data.shape)}; use matmul (@) for batches or vectors"
        )
    _check("mm", a, b)
    return MatMul.apply(*promote(a, b))


def _check(op, a, b):
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 2 and len(sb) == 2 and sa[1] == sb[0]:
        return  # two matrices that fit: the common case, without the general checks below
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise ShapeError(f"{op}: both arguments need at least 1 dimension, got {sa} and {sb}")
    ka = sa[-1]
    kb = sb[0] if b._data.ndim == 1 else sb[-2]
    if ka != kb:
        raise ShapeError(
            f"{op}: shapes {tuple(sa)} and {tuple(sb)} cannot be multiplied ({ka} != {kb})"
        )
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ShapeError(
            f"{op}: batch dims {tuple(sa[:-2])} and {tuple(sb[:-2])} of shapes {tuple(sa)} and "
            f"{tuple(sb)} do not broadcast"
        ) from None


class Linear(Function):
    """`x @ W.T + b` with one matmul; any leading dims of x are folded into the batch."""

    def name(self):
        return "AddmmBackward0" if self.has_bias else "MmBackward0"

    def forward(self, x, w, b=None):
        self.has_bias = b is not None
        self.x_shape = x.shape
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        nx, nw = self.needs_input_grad[0], self.needs_input_grad[1]
        self.save_for_backward(x2 if nw else None, w if nx else None)
        out = x2 @ w.T
        if b is not None:
            out += b  # in place: the matmul result is a fresh array
        return out.reshape(*x.shape[:-1], w.shape[0]) if x.ndim != 2 else out

    def backward(self, g):
        x2, w = self.saved_tensors
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = None
        if w is not None:
            gx = g2 @ w
            if len(self.x_shape) != 2:  # a reshape to the same shape would make a view
                gx = gx.reshape(self.x_shape)
        gw = g2.T @ x2 if x2 is not None else None
        if not self.has_bias:
            return gx, gw
        gb = g2.sum(axis=0) if self.needs_input_grad[2] else None
        return gx, gw, gb


def linear(x, weight, bias=None):
    """`x @ weight.T + bias`: x (..., in), weight (out, in), bias (out,)."""
    if weight._data.ndim != 2 or x._data.ndim == 0:
        raise ShapeError(
            f"linear: expected an input with at least 1 dim and a 2-D weight, got input shape "
            f"{tuple(x.shape)} and weight shape {tuple(weight.shape)}"
        )
    if x._data.shape[-1] != weight._data.shape[1]:
        raise ShapeError(
            f"linear: input has {x._data.shape[-1]} features but weight expects "
            f"{weight._data.shape[1]} (input shape {tuple(x.shape)}, weight shape "
            f"{tuple(weight.shape)})"
        )
    check_same_kind("linear", (x, weight, bias))
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
