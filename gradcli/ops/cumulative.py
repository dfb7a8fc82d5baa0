"""Running sums and products along a dim: cumsum, cumprod."""

from __future__ import annotations

from gradcli import dtypes
from gradcli.autograd.double_backward import saved_input, saved_output
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops._aliases import numpy_names
from gradcli.ops._util import norm_dim
from gradcli.ops.arithmetic import where


def _reverse_cumsum(xp, a, axis):
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)


def _reverse_cumsum_tensor(t, dim):
    """sum_{j>=i} t_j in Tensor ops (recorded): the total minus the running sum before i."""
    return t.sum(dim, keepdim=True) - t.cumsum(dim) + t


class Cumsum(Function):
    def forward(self, x, dim):
        self.dim = dim
        return get_array_module(x).cumsum(x, axis=dim)

    def backward(self, g):
        # out_j = sum_{i<=j} x_i, so dx_i = sum_{j>=i} g_j
        return _reverse_cumsum(get_array_module(g), g, self.dim)

    def backward_tensors(self, g):
        """The same rule in Tensor ops, recorded, for create_graph."""
        return _reverse_cumsum_tensor(g, self.dim)


class Cumprod(Function):
    def forward(self, x, dim):
        self.dim = dim
        out = get_array_module(x).cumprod(x, axis=dim)
        self.save_for_backward(x, out)
        return out

    def backward(self, g):
        x, out = self.saved_tensors
        xp = get_array_module(g)
        d = self.dim
        # Without zeros, dx_i = sum_{j>=i} g_j out_j / x_i. Dividing by x fails at zeros, so
        # split each slice at its first zero z: before z the division is safe (x_i != 0 and
        # out_j = 0 for j >= z); at z, dx_z = sum_{j>=z} g_j prod_{k<=j, k!=z} x_k, the
        # running product with x_z taken as 1; after z every product contains x_z, so 0.
        zeros_seen = xp.cumsum(x == 0, axis=d)
        before = zeros_seen == 0
        grad = _reverse_cumsum(xp, g * out, d) / xp.where(before, x, 1)
        if before.all():
            return grad
        first = (zeros_seen == 1) & (x == 0)
        skip_first = xp.cumprod(xp.where(first, 1, x), axis=d)
        at_first = _reverse_cumsum(xp, g * skip_first, d)
        return xp.where(before, grad, xp.where(first, at_first, 0)).astype(g.dtype, copy=False)

    def backward_tensors(self, g):
        """backward's rule in Tensor ops, recorded, for create_graph."""
        x_arr, out_arr = self.saved_tensors
        x, out = saved_input(self, 0, x_arr), saved_output(self, out_arr)
        return _cumprod_grad_tensor(x, out, g, self.dim)


def _cumprod_grad_tensor(x, out, g, d):
    """Cumprod's gradient as a differentiable function of x. As in backward, split each slice
    at its first zero z. After z the gradient is 0 but not constant: every product there has
    the factor x_z, so it is x_z times the gradient of the same cumprod with x_z set to 1
    (computed the same way: that sequence has one zero fewer)."""
    x_arr = x._data
    zeros_seen = get_array_module(x_arr).cumsum(x_arr == 0, axis=d)
    before = zeros_seen == 0
    grad = _reverse_cumsum_tensor(g * out, d) / where(before, x, 1.0)
    if before.all():
        return grad
    first = (zeros_seen == 1) & (x_arr == 0)
    x1 = where(first, 1.0, x)
    cum1 = x1.cumprod(d)
    at_first = _reverse_cumsum_tensor(g * cum1, d)
    x_z = where(first, x, 0.0).sum(d, keepdim=True)  # the zero itself, tied to x_z's gradient
    after = _cumprod_grad_tensor(x1, cum1, g, d) * x_z
    return where(before, grad, where(first, at_first, after))


def _cumulative(op, cls, x, dim, dtype):
    if dtype is not None:
        x = x.to(dtype)
    elif x._data.dtype.kind in "biu":
        x = x.to(dtypes.int64)  # as PyTorch: integer and bool inputs accumulate in int64
    nd = x._data.ndim
    d = norm_dim(op, dim, nd)
    if nd == 0:
        return x.clone()  # a 0-d tensor is its own running sum/product
    return cls.apply(x, dim=d)


@numpy_names
def cumsum(x, dim, *, dtype=None):
    """Running sum along `dim`: cumsum([1, 2, 3], 0) = [1, 3, 6]."""
    return _cumulative("cumsum", Cumsum, x, dim, dtype)


@numpy_names
def cumprod(x, dim, *, dtype=None):
    """Running product along `dim`; its gradient is exact where x holds zeros."""
    return _cumulative("cumprod", Cumprod, x, dim, dtype)
