"""Matrix products."""

from __future__ import annotations

import numpy as np

from gradcli.autograd.function import Function
from gradcli.errors import ShapeError
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


def _check(op, a, b):
    sa, sb = a._data.shape, b._data.shape
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


def matmul(a, b):
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
