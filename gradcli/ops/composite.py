"""PyTorch functions that are a few existing differentiable ops: their gradients come from
those ops (each already value- and gradient-checked); here only the composition is tested."""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops import cumulative, reduce
from gradcli.ops._util import lift


def _dims(x, dim) -> tuple[int, ...]:
    dims = range(x.ndim) if dim is None else (dim if isinstance(dim, list | tuple) else (dim,))
    return tuple(sorted({d % max(x.ndim, 1) for d in dims}))


def amax(x, dim=None, keepdim=False):
    """The maximum over `dim` (an int, several, or all): values only."""
    return _extreme(x, dim, keepdim, reduce.max)


def amin(x, dim=None, keepdim=False):
    return _extreme(x, dim, keepdim, reduce.min)


def _extreme(x, dim, keepdim, fn):
    out = x
    for d in reversed(_dims(x, dim)):  # from the last, so the earlier dims keep their place
        out = fn(out, d, True).values
    return out if keepdim else out.reshape(_kept(x.shape, _dims(x, dim)))


def _kept(shape, dims) -> tuple[int, ...]:
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) over `dim`, shifted by the maximum so that large values do not
    overflow (the shift is a constant: its gradient cancels)."""
    shift = amax(x.detach(), dim, keepdim=True)
    xp = get_array_module(shift._data)
    shift._data = xp.where(xp.isfinite(shift._data), shift._data, 0)
    out = (x - shift).exp().sum(_dims(x, dim), keepdim=True).log() + shift
    return out if keepdim else out.reshape(_kept(x.shape, _dims(x, dim)))


def prod(x, dim=None, keepdim=False, *, dtype=None):
    """The product over one dim or all; exact gradients with zeros (through cumprod)."""
    if dtype is not None:
        x = x.to(dtype)
    if dim is None:
        return cumulative.cumprod(x.reshape(-1), 0)[-1]
    d = dim % max(x.ndim, 1)
    out = narrow(cumulative.cumprod(x, d), d, x.shape[d] - 1, 1)
    return out if keepdim else out.squeeze(d)


def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise ShapeError(
            f"bmm: expected two 3-D tensors (batch, n, m) and (batch, m, p), got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}; use matmul for other shapes"
        )
    return a @ b


def flip(x, dims):
    index = [slice(None)] * x.ndim
    for d in _dims(x, dims):
        index[d] = slice(None, None, -1)
    return x[tuple(index)]


def index_select(x, dim, index):
    d = dim % max(x.ndim, 1)
    return x[(slice(None),) * d + (index,)]


def narrow(x, dim, start, length):
    d = dim % max(x.ndim, 1)
    start = start % x.shape[d] if start < 0 else start
    return x[(slice(None),) * d + (slice(start, start + length),)]


def outer(a, b):
    return a.reshape(-1, 1) * b.reshape(1, -1)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ShapeError(
            f"dot: expected two 1-D tensors of the same length, got shapes {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )
    return (a * b).sum()


def lerp(start, end, weight):
    return start + lift(weight, start) * (end - start)


def trace(x):
    if x.ndim != 2:
        raise ShapeError(f"trace: expected a matrix, got shape {tuple(x.shape)}")
    xp = get_array_module(x._data)
    n = min(x.shape)
    i = _tensor.Tensor._make(xp.arange(n))
    return x[i, i].sum()


def masked_select(x, mask):
    shape = tuple(get_array_module(x._data).broadcast_shapes(x.shape, mask.shape))
    return x.expand(*shape)[mask.expand(*shape)]


def nonzero(x, *, as_tuple=False):
    xp = get_array_module(x._data)
    where = xp.nonzero(x._data)
    if as_tuple:
        return tuple(_tensor.Tensor._make(w.astype(xp.int64)) for w in where)
    return _tensor.Tensor._make(xp.stack(where, axis=1).astype(xp.int64))


def broadcast_tensors(*tensors):
    xp = get_array_module(tensors[0]._data)
    shape = tuple(xp.broadcast_shapes(*(t.shape for t in tensors)))
    return tuple(t.expand(*shape) for t in tensors)


def meshgrid(*tensors, indexing="ij"):
    """Grids from 1-D tensors; `indexing="xy"` swaps the first two dims, as in numpy."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', not {indexing!r}")
    sizes = [t.numel() for t in tensors]
    if indexing == "xy" and len(tensors) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        axis = i if indexing == "ij" or len(tensors) < 2 or i > 1 else 1 - i
        view = [1] * len(tensors)
        view[axis] = -1
        out.append(t.reshape(*view).expand(*sizes))
    return tuple(out)


def clamp_min(x, min):
    return x.clamp(min=min)


def clamp_max(x, max):
    return x.clamp(max=max)
