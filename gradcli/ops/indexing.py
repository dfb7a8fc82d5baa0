"""Indexing: `x[key]` and `x[key] = value` as graph nodes, masked_fill, and one_hot."""

from __future__ import annotations

import numpy as np

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module, scatter_add
from gradcli.errors import ShapeError
from gradcli.ops._util import sum_to


def _is_basic(key) -> bool:
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in items)


class Index(Function):
    def name(self):
        return "SliceBackward0" if self.basic else "IndexBackward0"

    def forward(self, x, key, basic):
        self.shape, self.key, self.basic = x.shape, key, basic
        if basic:
            self.is_view = True
            # a trailing Ellipsis makes an all-int key return a 0-d view, not a NumPy scalar
            items = key if isinstance(key, tuple) else (key,)
            if not any(k is Ellipsis for k in items):
                key = items + (Ellipsis,)
        return x[key]

    def backward(self, g):
        xp = get_array_module(g)
        gx = xp.zeros(self.shape, dtype=g.dtype)
        if self.basic:
            gx[self.key] = g
        else:
            scatter_add(gx, self.key, g)  # repeated indices add up
        return gx


def index(x, key):
    key = convert_key(key)
    return Index.apply(x, key=key, basic=_is_basic(key))


def convert_key(key):
    """Tensors and lists inside an index become arrays."""
    Tensor = _tensor.Tensor
    if isinstance(key, Tensor):
        return key._data
    if isinstance(key, list):
        return np.asarray(key)
    if isinstance(key, tuple):
        return tuple(
            k._data if isinstance(k, Tensor) else np.asarray(k) if isinstance(k, list) else k
            for k in key
        )
    return key


class SetItem(Function):
    """`out = x.clone(); out[key] = value` (the autograd view of `x[key] = value`)."""

    def name(self):
        return "CopySlices"

    def forward(self, x, value, key):
        self.key, self.value_shape = key, value.shape
        x[key] = value  # x is already a private copy made by Tensor.__setitem__
        return x

    def backward(self, g):
        gx = None
        if self.needs_input_grad[0]:
            gx = g.copy()
            gx[self.key] = 0
        gv = None
        if self.needs_input_grad[1]:
            picked = g[self.key]
            xp = get_array_module(g)
            gv = sum_to(xp.asarray(picked), self.value_shape)
        return gx, gv


def one_hot(x, num_classes=-1):
    """Class indices (any shape) to an int64 one-hot tensor with a trailing class dim."""
    a = x._data
    if a.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: expected an integer (int64) tensor of class indices, got {x.dtype}; "
            "convert with .long()"
        )
    xp = get_array_module(a)
    if num_classes == -1:
        if a.size == 0:
            raise ValueError("one_hot: cannot infer num_classes of an empty tensor")
        num_classes = int(a.max()) + 1
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"one_hot: class value {bad} is out of range for num_classes={num_classes} "
                f"(expected 0..{num_classes - 1})"
            )
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _tensor.Tensor._make(out)


class MaskedFill(Function):
    """`value` where `mask` is true, else `x` (mask broadcasts against x)."""

    def name(self):
        return "MaskedFillBackward1" if self.value_is_tensor else "MaskedFillBackward0"

    def forward(self, x, value, mask, value_is_tensor):
        self.x_shape, self.mask, self.value_is_tensor = x.shape, mask, value_is_tensor
        return get_array_module(x).where(mask, value, x)

    def backward(self, g):
        xp = get_array_module(g)
        nx, nv = self.needs_input_grad
        zero = xp.zeros((), dtype=g.dtype)
        gx = sum_to(xp.where(self.mask, zero, g), self.x_shape) if nx else None
        gv = xp.asarray(xp.where(self.mask, g, zero).sum()) if nv else None
        return gx, gv

    def backward_tensors(self, g):
        """The same rule in Tensor ops, recorded, for create_graph."""
        from gradcli.autograd.double_backward import sum_to_tensor
        from gradcli.ops.arithmetic import where

        nx, nv = self.needs_input_grad
        gx = sum_to_tensor(where(self.mask, 0.0, g), self.x_shape) if nx else None
        gv = where(self.mask, g, 0.0).sum() if nv else None
        return gx, gv


def masked_fill(x, mask, value):
    """A copy of `x` with `value` (a number or a 0-d tensor) where the bool `mask` is true."""
    Tensor = _tensor.Tensor
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(
            f"masked_fill: only boolean masks are supported, got {got}; build the mask with "
            "a comparison (x > 0) or convert it with .bool()"
        )
    is_tensor = isinstance(value, Tensor)
    if is_tensor:
        if value._data.ndim:
            raise ShapeError(
                f"masked_fill: the value must be a number or a 0-d tensor, got a tensor of "
                f"shape {tuple(value._data.shape)}; use torch.where(mask, value, x) instead"
            )
        if value._data.dtype != x._data.dtype:
            value = value.to(x._data.dtype)
    else:
        xp = get_array_module(x._data)
        value = Tensor._make(xp.asarray(value).astype(x._data.dtype))
    return MaskedFill.apply(x, value, mask=mask._data, value_is_tensor=is_tensor)
