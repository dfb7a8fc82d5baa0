"""Reductions: sum, mean, var, std, max, min, argmax, argmin."""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops._util import expand_reduced, norm_dim, norm_dims
from gradcli.ops.arithmetic import maximum, minimum
from gradcli.ops.shape import reshape

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class Sum(Function):
    def name(self):
        return "SumBackward0" if self.axes is None else "SumBackward1"  # PyTorch's overloads

    def forward(self, x, axes=None, keepdim=False, dtype=None):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)  # a 0-d result is wrapped as one

    def backward(self, g):
        return expand_reduced(g, self.shape, self.axes, self.keepdim)


def sum(x, dim=None, keepdim=False):
    # as PyTorch, integers and bools add up in int64 (NumPy sums uint8 in uint64)
    dtype = np.int64 if x._data.dtype.kind in "biu" else None
    axes = None if dim is None else norm_dims("sum", dim, x._data.ndim)
    return Sum.apply(x, axes=axes, keepdim=keepdim, dtype=dtype)


class Mean(Function):
    def name(self):
        return "MeanBackward0" if self.axes is None else "MeanBackward1"

    def forward(self, x, axes=None, keepdim=False):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        out = get_array_module(x).asarray(x.mean(axis=axes, keepdims=keepdim))
        self.count = x.size // out.size if out.size else 1
        return out

    def backward(self, g):
        return expand_reduced(g / self.count, self.shape, self.axes, self.keepdim)


def mean(x, dim=None, keepdim=False):
    return Mean.apply(x, axes=norm_dims("mean", dim, x._data.ndim), keepdim=keepdim)


class Var(Function):
    def forward(self, x, axes=None, keepdim=False, correction=1):
        xp = get_array_module(x)
        self.axes, self.keepdim = axes, keepdim
        n = x.size if axes is None else math.prod(x.shape[a] for a in axes)
        self.denom = builtins.max(n - correction, 0)
        centered = x - x.mean(axis=axes, keepdims=True)
        self.save_for_backward(centered)
        return xp.asarray((centered * centered).sum(axis=axes, keepdims=keepdim) / self.denom)

    def backward(self, g):
        (centered,) = self.saved_tensors
        g = expand_reduced(g, centered.shape, self.axes, self.keepdim)
        return g * centered * _inverse(self.denom, 2.0)


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    axes = norm_dims("var", dim, x._data.ndim)
    return Var.apply(x, axes=axes, keepdim=keepdim, correction=_correction(unbiased, correction))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


class Std(Var):
    def forward(self, x, axes=None, keepdim=False, correction=1):
        out = get_array_module(x).sqrt(super().forward(x, axes, keepdim, correction))
        self.save_for_backward(self._saved[0], out)
        return out

    def backward(self, g):
        centered, out = self.saved_tensors
        xp = get_array_module(g)
        # where std is 0 the gradient is 0, not 0 * inf (PyTorch masks it the same way)
        g = xp.where(out == 0, 0, g / xp.where(out == 0, 1, out)).astype(g.dtype, copy=False)
        g = expand_reduced(g, centered.shape, self.axes, self.keepdim)
        return g * centered * _inverse(self.denom, 1.0)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    axes = norm_dims("std", dim, x._data.ndim)
    return Std.apply(x, axes=axes, keepdim=keepdim, correction=_correction(unbiased, correction))


def _inverse(denom, scale):
    # no degrees of freedom left (one sample, unbiased): the value is nan, so is the gradient
    return scale / denom if denom else math.nan


class MaxAll(Function):
    """max() or min() of every element; the gradient is shared evenly among ties."""

    def name(self):
        return f"{'Max' if self.is_max else 'Min'}Backward1"

    def forward(self, x, is_max=True):
        self.is_max = is_max
        out = get_array_module(x).asarray(x.max() if is_max else x.min())
        self.save_for_backward(x, out)
        return out

    def backward(self, g):
        x, out = self.saved_tensors
        mask = x == out
        return mask * (g / mask.sum()).astype(g.dtype, copy=False)


class MaxDim(Function):
    """max(dim) / min(dim) values; the gradient goes to the returned index."""

    def name(self):
        return f"{'Max' if self.is_max else 'Min'}Backward0"

    def forward(self, x, dim, keepdim, indices, is_max=True):
        xp = get_array_module(x)
        self.is_max, self.shape, self.dim, self.keepdim = is_max, x.shape, dim, keepdim
        self.save_for_backward(indices)
        out = xp.take_along_axis(x, indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, g):
        (indices,) = self.saved_tensors
        xp = get_array_module(g)
        gx = xp.zeros(self.shape, dtype=g.dtype)
        xp.put_along_axis(gx, indices, g if self.keepdim else xp.expand_dims(g, self.dim), self.dim)
        return gx


def _extreme(x, dim, keepdim, is_max):
    op = "max" if is_max else "min"
    if dim is None:
        if x._data.size == 0:
            raise ValueError(f"{op}: expected a non-empty tensor; reduce over a dim instead")
        return MaxAll.apply(x, is_max=is_max)
    d = norm_dim(op, dim, x._data.ndim)
    if x._data.ndim == 0:
        # PyTorch accepts dim 0 of a 0-d tensor; NumPy has no axis to take along
        return _extreme(reshape(x, 1), 0, False, is_max)
    xp = get_array_module(x._data)
    arg = xp.argmax if is_max else xp.argmin
    idx = arg(x._data, axis=d, keepdims=True)
    values = MaxDim.apply(x, dim=d, keepdim=keepdim, indices=idx, is_max=is_max)
    indices = _tensor.Tensor._make(idx if keepdim else idx.squeeze(d))
    return ValuesIndices(values, indices)


def max(x, dim=None, keepdim=False):
    """max() of all elements, or `(values, indices)` along `dim`; `max(a, b)` is maximum."""
    if isinstance(dim, _tensor.Tensor):
        return maximum(x, dim)
    return _extreme(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):
    if isinstance(dim, _tensor.Tensor):
        return minimum(x, dim)
    return _extreme(x, dim, keepdim, False)


def _arg(x, dim, keepdim, fn):
    xp = get_array_module(x._data)
    if dim is None:
        return _tensor.Tensor._make(xp.asarray(getattr(xp, fn)(x._data)).astype("int64"))
    d = norm_dim(fn, dim, x._data.ndim)
    if x._data.ndim == 0:
        return _tensor.Tensor._make(xp.zeros((), dtype="int64"))
    return _tensor.Tensor._make(getattr(xp, fn)(x._data, axis=d, keepdims=keepdim).astype("int64"))


def argmax(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, "argmin")
