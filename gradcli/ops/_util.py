"""Helpers shared by the ops: broadcasting undo, dim normalisation, scalar lifting."""

from __future__ import annotations

import numpy as np

from gradcli import dtypes
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
        if d % n in out:
            raise ShapeError(f"{op}: dim {d % n} appears multiple times in the list of dims")
        out.append(d % n)
    # a 0-d tensor accepts dim 0 / -1 (as in PyTorch) but has no axis to reduce
    return tuple(sorted(out)) if ndim else ()


def norm_dim(op: str, dim: int, ndim: int) -> int:
    dims = norm_dims(op, dim, ndim)
    return dims[0] if dims else 0


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
        elif not isinstance(value, bool) and dt.kind == "b":
            dt = np.int64  # bool_tensor + 2 is 2 or 3, not True
        return Tensor._make(xp.asarray(value, dtype=dt))
    return Tensor._make(xp.asarray(value))


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote_types(a, b):
    """PyTorch's promote_types: across categories the higher one wins (int64 * float32 is
    float32, where NumPy says float64); within one category NumPy's rule applies."""
    ca, cb = _CATEGORY.get(a.kind, 3), _CATEGORY.get(b.kind, 3)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def result_type(*tensors):
    """PyTorch's result dtype: 0-d tensors (and lifted Python scalars) only decide it when
    they are of a higher category than every dimensioned tensor (float32 + 0-d float64 is
    float32, int64 + 0-d float64 is float64)."""
    dims = [t._data.dtype for t in tensors if t._data.ndim]
    zeros = [t._data.dtype for t in tensors if not t._data.ndim]
    r = z = None
    for d in dims:
        r = d if r is None else _promote_types(r, d)
    for d in zeros:
        z = d if z is None else _promote_types(z, d)
    if r is None or (z is not None and _CATEGORY.get(z.kind, 3) > _CATEGORY.get(r.kind, 3)):
        return z
    return r


def to_float(x):
    """Int and bool inputs of a float-valued op (exp, sigmoid) become the default float dtype, as
    in PyTorch; NumPy would give float64 (or float16 for bool)."""
    return x if x._data.dtype.kind == "f" else x.to(dtypes.default_float)


def operands(a, b):
    """`promote(a, lift(b, a))`, the operands of a binary op, with the common case first: two
    tensors of one dtype (NumPy's built-in dtypes are singletons, so `is` decides it)."""
    if isinstance(b, _tensor.Tensor) and a._data.dtype is b._data.dtype:
        return a, b
    return promote(a, lift(b, a))


def promote(*tensors):
    """Cast the operands of an elementwise op to their common dtype (a tracked cast, so each
    input still gets its gradient in its own dtype)."""
    if len(tensors) == 2:  # the common case, kept cheap
        da, db = tensors[0]._data.dtype, tensors[1]._data.dtype
        if da is db or da == db:
            return tensors
    else:
        first = tensors[0]._data.dtype
        if all(t._data.dtype == first for t in tensors):
            return tensors
    dt = result_type(*tensors)
    return tuple(t if t._data.dtype == dt else t.to(dt) for t in tensors)
