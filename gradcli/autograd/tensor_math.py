"""Operators and math methods of Tensor; each forwards to one function in `gradcli.ops`."""

from __future__ import annotations

from gradcli import ops
from gradcli.autograd import tensor as _tensor
from gradcli.ops._util import lift
from gradcli.ops.shape import Copy, Fill


class TensorMath:
    __slots__ = ()

    def _lift(self, value):
        return lift(value, self)

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

    def any(self):
        return _tensor.Tensor._make(self._data.any())

    def all(self):
        return _tensor.Tensor._make(self._data.all())

    # ---- named math methods ------------------------------------------------------------------
    add, sub, mul, div, pow = __add__, __sub__, __mul__, __truediv__, __pow__
    matmul = __matmul__

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

    def softmax(self, dim):
        return ops.softmax(self, dim)

    def log_softmax(self, dim):
        return ops.log_softmax(self, dim)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def sum(self, dim=None, keepdim=False):
        return ops.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return ops.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return ops.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    # ---- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    view = reshape

    def view_as(self, other):
        return ops.reshape(self, *other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def t(self):
        return ops.transpose(self, 0, 1)

    def permute(self, *dims):
        return ops.permute(self, *dims)

    @property
    def T(self):
        return ops.permute(self, *reversed(range(self._data.ndim)))

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def expand_as(self, other):
        return ops.expand(self, *other._data.shape)

    def contiguous(self):
        return self

    def clone(self):
        return ops.clone(self)

    # ---- in-place (bump the version; see Tensor._inplace) ------------------------------------
    def add_(self, other, *, alpha=1):
        other = lift(other, self)
        return self._inplace(ops.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        other = lift(other, self)
        return self._inplace(ops.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._inplace(ops.mul, lift(other, self))

    def div_(self, other):
        return self._inplace(ops.div, lift(other, self))

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
