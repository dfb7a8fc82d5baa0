"""Norms: linalg.vector_norm, linalg.matrix_norm, linalg.norm and torch.norm / Tensor.norm.

Vector norms are one node, LinalgVectorNormBackward0 (as in PyTorch); the matrix norms 1, -1,
inf and -inf are a sum of |A| then a vector inf-norm; 2, -2 and 'nuc' come from the singular
values (one SVD node).
"""

from __future__ import annotations

import math

from gradcli.autograd.double_backward import const, saved_input, saved_output
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._util import norm_dims
from gradcli.ops.arithmetic import abs as _abs
from gradcli.ops.reduce import sum as _sum
from gradcli.ops.shape import squeeze


class VectorNorm(Function):
    def name(self):
        return "LinalgVectorNormBackward0"

    def forward(self, x, ord, axes, keepdim):
        xp = get_array_module(x)
        self.ord, self.axes = ord, axes
        a = xp.abs(x)
        if ord == math.inf:
            out = a.max(axis=axes, keepdims=True)
        elif ord == -math.inf:
            out = a.min(axis=axes, keepdims=True)
        elif ord == 0:
            out = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif ord == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif ord == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (a**ord).sum(axis=axes, keepdims=True) ** (1.0 / ord)
        self.keep_shape = out.shape
        if not keepdim:
            out = out.reshape(
                [n for i, n in enumerate(out.shape) if axes is not None and i not in axes]
            )
        self.save_for_backward(x, out)
        return out

    def backward(self, g):
        if self.ord == 0:
            return None  # a count of non-zeros: PyTorch gives no gradient either
        x, out = self.saved_tensors
        xp = get_array_module(g)
        out, g = out.reshape(self.keep_shape), g.reshape(self.keep_shape)
        p = self.ord
        if p == 1:
            return g * xp.sign(x)
        zero = out == 0  # all of x is zero: the gradient is 0 there (PyTorch masks it too)
        if p == 2:
            return xp.where(zero, 0, g / xp.where(zero, 1, out)) * x
        if p in (math.inf, -math.inf):
            # the gradient is shared evenly among the elements that reach the max (min)
            hit = xp.abs(x) == out
            count = hit.sum(axis=self.axes, keepdims=True).astype(g.dtype)
            return g * xp.sign(x) * hit / count
        # d/dx (sum |x|^p)^(1/p) = sign(x) |x|^(p-1) / norm^(p-1); 0 where x == 0 for any p
        a = xp.where(x == 0, 1, xp.abs(x))
        scale = xp.where(zero, 0, g / xp.where(zero, 1, out) ** (p - 1))
        return xp.where(x == 0, 0, scale * xp.sign(x) * a ** (p - 1)).astype(g.dtype, copy=False)

    def backward_tensors(self, g):
        """backward's rule in Tensor ops (recorded, for create_graph): x and the norm take part
        as Tensors tied to the graph; signs, masks and tie counts are constants."""
        from gradcli.ops.arithmetic import where

        if self.ord == 0:
            return None
        x_arr, out_arr = self.saved_tensors
        xp = get_array_module(x_arr)
        x = saved_input(self, 0, x_arr)
        out = saved_output(self, out_arr).reshape(self.keep_shape)
        g = g.reshape(self.keep_shape)
        p, sign = self.ord, const(xp.sign(x_arr))
        if p == 1:
            return g * sign
        zero = out_arr.reshape(self.keep_shape) == 0
        if p in (math.inf, -math.inf):
            hit = xp.abs(x_arr) == out_arr.reshape(self.keep_shape)
            share = xp.sign(x_arr) * hit / hit.sum(axis=self.axes, keepdims=True)
            return g * const(share.astype(x_arr.dtype, copy=False))
        scale = where(zero, 0.0, g / where(zero, 1.0, out) ** (p - 1))
        if p == 2:
            return scale * x
        at_zero = x_arr == 0
        return where(at_zero, 0.0, scale * sign * where(at_zero, 1.0, x.abs()) ** (p - 1))


class SvdNorm(Function):
    """The largest (ord 2) or smallest (-2) singular value, or their sum ('nuc'), of the
    matrices in `dims`. With A = U diag(s) V^T, ds_i/dA = u_i v_i^T, so the nuclear norm's
    gradient is U V^T (as in PyTorch, defined only where the singular values are distinct)."""

    def name(self):
        return "LinalgSvdBackward0"

    def forward(self, x, ord, dims, keepdim):
        xp = get_array_module(x)
        self.dims, self.keepdim = dims, keepdim
        u, s, vh = xp.linalg.svd(xp.moveaxis(x, dims, (-2, -1)), full_matrices=False)
        if ord == "nuc":
            out = s.sum(axis=-1)
        else:
            k = slice(0, 1) if ord == 2 else slice(-1, None)
            u, vh, out = u[..., :, k], vh[..., k, :], s[..., k][..., 0]
        self.save_for_backward(u, vh)
        return xp.expand_dims(out, tuple(sorted(dims))) if keepdim else out

    def backward(self, g):
        u, vh = self.saved_tensors
        xp = get_array_module(g)
        if self.keepdim:
            g = g.squeeze(tuple(sorted(self.dims)))
        return xp.moveaxis(g[..., None, None] * (u @ vh), (-2, -1), self.dims)


def _float_input(op, x, dtype):
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise TypeError(
            f"{op}: expected a floating point tensor as input, got {x.dtype}; convert it "
            "with .float() or pass dtype=gradcli.float32"
        )
    return x


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(sum |x|^ord)^(1/ord) over `dim` (all elements if None); ord may be inf, -inf or 0."""
    x = _float_input("linalg.vector_norm", x, dtype)
    if isinstance(ord, str) or isinstance(ord, bool):
        raise ValueError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    axes = norm_dims("linalg.vector_norm", dim, x._data.ndim)
    if axes == ():
        axes = None if x._data.ndim == 0 else axes
    if abs(ord) == math.inf and _empty(x._data.shape, axes):
        raise ValueError(
            f"linalg.vector_norm: cannot compute the {ord} norm of an empty tensor (shape "
            f"{tuple(x._data.shape)}); the max/min of nothing is undefined"
        )
    return VectorNorm.apply(x, ord=float(ord), axes=axes, keepdim=keepdim)


def _empty(shape, axes):
    if axes is None:
        return math.prod(shape) == 0
    return any(shape[a] == 0 for a in axes)


def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """'fro', 'nuc', 1, -1, 2, -2, inf or -inf norm of the matrices in dims `dim` (a pair)."""
    x = _float_input("linalg.matrix_norm", x, dtype)
    if isinstance(dim, int) or len(dim) != 2:
        raise ShapeError(f"linalg.matrix_norm: dim must be a 2-tuple of dims, got {dim!r}")
    if x._data.ndim < 2:
        raise ShapeError(
            f"linalg.matrix_norm: expected a tensor with 2 or more dims, got shape "
            f"{tuple(x._data.shape)}"
        )
    rows, cols = (norm_dims("linalg.matrix_norm", d, x._data.ndim)[0] for d in dim)
    if rows == cols:
        raise ShapeError(f"linalg.matrix_norm: dims must be different, got {dim!r}")
    if ord == "fro":
        return vector_norm(x, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        return SvdNorm.apply(x, ord=ord, dims=(rows, cols), keepdim=keepdim)
    if ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"linalg.matrix_norm: order {ord!r} is not supported")
    # 1: the largest column sum of |A| (sum over rows); inf: the largest row sum
    summed, over = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = _sum(_abs(x), summed, keepdim=True)
    out = vector_norm(sums, math.copysign(math.inf, ord), over, keepdim=True)
    return out if keepdim else squeeze(out, (rows, cols))


def linalg_norm(x, ord=None, dim=None, keepdim=False, *, dtype=None):
    """`torch.linalg.norm`: a vector norm for one dim (or a 1-D input), a matrix norm for two
    dims (or a 2-D input), the 2-norm of all elements when neither ord nor dim is given."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(x, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(x, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise ShapeError(f"linalg.norm: dim must have 1 or 2 entries, got {dim!r}")
    if ord is None:
        return vector_norm(x, 2, None, keepdim, dtype=dtype)
    nd = x._data.ndim
    if nd == 1:
        return vector_norm(x, ord, None, keepdim, dtype=dtype)
    if nd == 2:
        return matrix_norm(x, ord, (-2, -1), keepdim, dtype=dtype)
    raise ShapeError(
        f"linalg.norm: with ord and no dim the input must be 1-D or 2-D, got shape "
        f"{tuple(x._data.shape)}; pass dim"
    )


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """`torch.norm` / `Tensor.norm`: p a number (inf too) for a vector norm over `dim` (all
    elements by default), 'fro' for the 2-norm over one or two dims."""
    if p is None or p == "fro":
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise ShapeError(f"norm: p='fro' takes at most 2 dims, got dim={dim!r}")
        return vector_norm(x, 2, dim, keepdim, dtype=dtype)
    if isinstance(p, str):
        if p == "nuc":
            return matrix_norm(x, p, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
        raise ValueError(f"norm: p={p!r} is not supported; use a number, inf, or 'fro'")
    return vector_norm(x, p, dim, keepdim, dtype=dtype)
