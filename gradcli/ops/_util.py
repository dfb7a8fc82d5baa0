"""Helpers shared by the ops: broadcasting undo, dim normalisation, scalar lifting."""

from __future__ import annotations

import numpy as np

from gradcli.autograd import tensor as _tensor
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError


def sum_to(g, shape):
    """Reduce a broadcast gradient `g` back to `shape` (undoes NumPy broadcasting)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1
    )
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead else g


def norm_dims(op: str, dim, ndim: int):
    """`dim` (None, int or sequence) as a sorted tuple of non-negative axes, or None for all."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    n = max(ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor of {ndim} dimension(s) "
                f"(expected a value in [{-n}, {n - 1}])"
            )
        out.append(d % n)
    return tuple(sorted(set(out)))


def norm_dim(op: str, dim: int, ndim: int) -> int:
    return norm_dims(op, dim, ndim)[0]


def expand_reduced(g, shape, axes, keepdim):
    """Broadcast the gradient of a reduction over `axes` back to the input `shape`."""
    xp = get_array_module(g)
    if axes is None:
        return xp.broadcast_to(g.reshape((1,) * len(shape)), shape)
    if not keepdim:
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


def lift(value, like):
    """`value` as a Tensor: Python scalars take `like`'s dtype and device (no float64 creep)."""
    Tensor = _tensor.Tensor
    if isinstance(value, Tensor):
        return value
    xp = get_array_module(like._data)
    if isinstance(value, (bool, int, float)):
        dt = like._data.dtype
        if isinstance(value, float) and dt.kind != "f":
            dt = np.float32
        elif isinstance(value, bool) and dt.kind == "b":
            dt = np.bool_
        return Tensor._make(xp.asarray(value, dtype=dt))
    return Tensor._make(xp.asarray(value))


def check_ndim(op: str, t, ndim: int, what: str, hint: str = ""):
    if t._data.ndim != ndim:
        raise ShapeError(
            f"{op}: expected a {ndim}-D input ({what}) but got shape {tuple(t._data.shape)}"
            + (f"; {hint}" if hint else "")
        )
