"""Sorting along a dim: sort, argsort, topk. Values carry gradients (scattered back to where
they came from); indices are int64.

Every sort here is stable. Descending order keeps equal elements in their original order too
(PyTorch's stable=True), and NaN counts as the largest value, as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops._aliases import numpy_names
from gradcli.ops._util import norm_dim

# PyTorch's torch.return_types.sort / topk: tuples with .values and .indices
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


def _argsort(a, axis, descending):
    """Stable argsort of array `a` along `axis` (int64)."""
    xp = get_array_module(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable").astype("int64", copy=False)
    # Sort the reversed array ascending, then reverse the result: the largest come first, and
    # equal elements keep their original order. (argsort(-a) fails for bool, unsigned and NaN.)
    n = a.shape[axis]
    rev = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable")
    return (n - 1 - xp.flip(rev, axis)).astype("int64", copy=False)


class TakeAlong(Function):
    """`x` gathered at `indices` along `dim` (the values of sort/topk)."""

    def name(self):
        return self.node_name

    def forward(self, x, indices, dim, node_name):
        self.shape, self.dim, self.node_name = x.shape, dim, node_name
        self.save_for_backward(indices)
        return get_array_module(x).take_along_axis(x, indices, axis=dim)

    def backward(self, g):
        return _put_along(g, self.saved_tensors[0], self.dim, self.shape)

    def backward_tensors(self, g):
        """The scatter as a recorded op, for create_graph."""
        return PutAlong.apply(g, indices=self.saved_tensors[0], dim=self.dim, shape=self.shape)


def _put_along(g, indices, dim, shape):
    xp = get_array_module(g)
    out = xp.zeros(shape, dtype=g.dtype)
    xp.put_along_axis(out, indices, g, dim)  # indices are distinct within a slice
    return out


class PutAlong(Function):
    """TakeAlong's backward (a scatter into zeros) as an op; its own backward is the gather."""

    def forward(self, g, indices, dim, shape):
        self.indices, self.dim = indices, dim
        return _put_along(g, indices, dim, shape)

    def backward(self, gg):
        return get_array_module(gg).take_along_axis(gg, self.indices, axis=self.dim)

    def backward_tensors(self, gg):
        return TakeAlong.apply(gg, indices=self.indices, dim=self.dim, node_name="GatherBackward0")


def _sorted(op, x, dim, descending, k=None):
    """(values, indices) of x sorted along dim, the first k of them if k is given."""
    Tensor = _tensor.Tensor
    nd = x._data.ndim
    d = norm_dim(op, dim, nd)
    a = x._data if nd else x._data.reshape(1)  # a 0-d tensor sorts as one element
    idx = _argsort(a, d, descending)
    if k is not None:
        idx = idx[(slice(None),) * d + (slice(0, k),)]
    if not nd:
        idx = idx.reshape(())
        return x.clone(), Tensor._make(idx)
    name = "TopkBackward0" if k is not None else "SortBackward0"
    values = TakeAlong.apply(x, indices=idx, dim=d, node_name=name)
    return values, Tensor._make(idx)


@numpy_names
def sort(x, dim=-1, descending=False, *, stable=False):
    """(values, indices) sorted along `dim`; `stable` is accepted (every sort is stable)."""
    return sort_result(*_sorted("sort", x, dim, descending))


@numpy_names
def argsort(x, dim=-1, descending=False, *, stable=False):
    """The int64 indices that sort `x` along `dim`."""
    d = norm_dim("argsort", dim, x._data.ndim)
    a = x._data if x._data.ndim else x._data.reshape(1)
    idx = _argsort(a, d, descending)
    return _tensor.Tensor._make(idx if x._data.ndim else idx.reshape(()))


@numpy_names
def topk(x, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) values along `dim` and their indices, largest first.
    `sorted=False` is accepted; the values come sorted anyway."""
    n = x._data.shape[norm_dim("topk", dim, x._data.ndim)] if x._data.ndim else 1
    if not 0 <= k <= n:
        raise IndexError(
            f"topk: k={k} is out of range for dim {dim} of size {n} (shape "
            f"{tuple(x._data.shape)}); pass 0 <= k <= {n}"
        )
    return topk_result(*_sorted("topk", x, dim, largest, k))
