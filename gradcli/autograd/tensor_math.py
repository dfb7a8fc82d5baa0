"""Operators and math methods of Tensor; each forwards to one function in `gradcli.ops`.
Shape, sorting and the other methods come from TensorOps (tensor_ops.py), a base of this class.
Methods with a `dim`/`keepdim` also take NumPy's `axis`/`keepdims`, as PyTorch's do.
"""

from __future__ import annotations

from gradcli import ops
from gradcli.autograd import tensor as _tensor
from gradcli.autograd.tensor_ops import TensorOps
from gradcli.ops._aliases import numpy_names
from gradcli.ops._util import lift, norm_dims
from gradcli.ops.shape import Copy, Fill


class TensorMath(TensorOps):
    __slots__ = ()

    def _lift(self, value):
        return lift(value, self)

    def _as(self, dtype):
        """Self cast to `dtype` first (the `dtype=` of sum, mean, softmax), or self."""
        return self if dtype is None else self.to(dtype)

    # ---- arithmetic operators ----------------------------------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(lift(other, self), self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(lift(other, self), self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(lift(other, self), self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(lift(other, self), self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(lift(other, self), self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(lift(other, self), self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(lift(other, self), self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(lift(other, self), self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, key):
        return ops.index(self, key)

    # ---- comparisons: boolean tensors, no gradient -------------------------------------------
    def _compare(self, other, fn):
        other = lift(other, self)
        return _tensor.Tensor._make(fn(self._data, other._data))

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __invert__(self):
        return _tensor.Tensor._make(~self._data)

    def __and__(self, other):
        return self._compare(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._compare(other, lambda a, b: a | b)

    @numpy_names
    def any(self, dim=None, keepdim=False):
        return self._test(self._data.any, dim, keepdim)

    @numpy_names
    def all(self, dim=None, keepdim=False):
        return self._test(self._data.all, dim, keepdim)

    def _test(self, fn, dim, keepdim):
        axes = norm_dims("any/all", dim, self._data.ndim)
        return _tensor.Tensor._make(fn(axis=axes, keepdims=keepdim))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return ops.isclose(self, other, rtol, atol, equal_nan)

    # ---- named math methods ------------------------------------------------------------------
    mul, pow, matmul, floor_divide, remainder = __mul__, __pow__, __matmul__, __floordiv__, __mod__

    def add(self, other, *, alpha=1):
        return ops.add(self, lift(other, self) * alpha if alpha != 1 else other)

    def sub(self, other, *, alpha=1):
        return ops.sub(self, lift(other, self) * alpha if alpha != 1 else other)

    def div(self, other, *, rounding_mode=None):
        return ops.div(self, other, rounding_mode=rounding_mode)

    divide = true_divide = div
    subtract, multiply = sub, mul

    def fmod(self, other):
        return ops.fmod(self, other)

    def copysign(self, other):
        return ops.copysign(self, other)

    def mm(self, other):
        return ops.mm(self, other)

    def neg(self):
        return ops.neg(self)

    def abs(self):
        return ops.abs(self)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def relu(self):
        return ops.relu(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)

    @numpy_names
    def softmax(self, dim, dtype=None):
        return ops.softmax(self._as(dtype), dim)

    @numpy_names
    def log_softmax(self, dim, dtype=None):
        return ops.log_softmax(self._as(dtype), dim)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    @numpy_names
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return ops.sum(self._as(dtype), dim, keepdim)

    @numpy_names
    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return ops.mean(self._as(dtype), dim, keepdim)

    @numpy_names
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    @numpy_names
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    @numpy_names
    def max(self, dim=None, keepdim=False):
        return ops.max(self, dim, keepdim)

    @numpy_names
    def min(self, dim=None, keepdim=False):
        return ops.min(self, dim, keepdim)

    @numpy_names
    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    @numpy_names
    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    # ---- in-place (bump the version; see Tensor._inplace) ------------------------------------
    def add_(self, other, *, alpha=1):
        other = lift(other, self)
        return self._inplace(ops.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        other = lift(other, self)
        return self._inplace(ops.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._inplace(ops.mul, lift(other, self))

    def div_(self, other, *, rounding_mode=None):
        return self._inplace(ops.div, lift(other, self), rounding_mode=rounding_mode)

    def floor_divide_(self, other):
        return self._inplace(ops.floor_divide, lift(other, self))

    def remainder_(self, other):
        return self._inplace(ops.remainder, lift(other, self))

    def clamp_(self, min=None, max=None):
        return self._inplace(ops.clamp, min=min, max=max)

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        return self._inplace(Fill.apply, value=value)

    def copy_(self, src):
        return self._inplace(Copy.apply, lift(src, self))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ifloordiv__ = floor_divide_
    __imod__ = remainder_
