"""Shape and indexing ops: views, permutations, indexing, assignment, concatenation."""

from __future__ import annotations

import numpy as np

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import device_of, get_array_module, scatter_add, to_device
from gradcli.errors import ShapeError
from gradcli.ops._util import norm_dim, norm_dims, promote, sum_to


class View(Function):
    is_view = True

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


class Squeeze(View):
    pass


class Unsqueeze(View):
    pass


class Permute(Function):
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return g.transpose(inverse)


class Transpose(Permute):
    pass


class Expand(Function):
    is_view = True

    def forward(self, x, shape):
        self.shape = x.shape
        return get_array_module(x).broadcast_to(x, shape)

    def backward(self, g):
        return sum_to(g, self.shape)


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


class Cat(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        return get_array_module(arrays[0]).concatenate(arrays, axis=dim)

    def backward(self, g):
        xp = get_array_module(g)
        cuts, total = [], 0
        for s in self.sizes[:-1]:
            total += s
            cuts.append(total)
        return tuple(xp.split(g, cuts, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        return get_array_module(arrays[0]).stack(arrays, axis=dim)

    def backward(self, g):
        xp = get_array_module(g)
        return tuple(xp.take(g, i, axis=self.dim) for i in range(g.shape[self.dim]))


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class Fill(Function):
    def forward(self, x, value):
        return get_array_module(x).full_like(x, value)

    def backward(self, g):
        return get_array_module(g).zeros_like(g)  # the old value no longer matters


class Copy(Function):
    """`a.copy_(b)`: b broadcast into a's shape, dtype and device."""

    def name(self):
        return "CopyBackwards"

    def forward(self, a, b):
        self.b_shape, self.b_dtype, self.b_device = b.shape, b.dtype, device_of(b)
        b = to_device(b, device_of(a))
        return get_array_module(a).broadcast_to(b, a.shape).astype(a.dtype)

    def backward(self, g):
        xp = get_array_module(g)
        ga = xp.zeros_like(g) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = to_device(sum_to(g, self.b_shape), self.b_device).astype(self.b_dtype, copy=False)
        return ga, gb


class ToCopy(Function):
    """A change of dtype and/or device; the gradient goes back to the input's."""

    def forward(self, x, dtype, device):
        self.in_dtype = x.dtype
        self.in_device = device_of(x)
        out = to_device(x, device) if device is not None else x
        return out.astype(dtype, copy=out is x) if dtype is not None else out

    def backward(self, g):
        return to_device(g, self.in_device).astype(self.in_dtype, copy=False)


# ---- functional forms ------------------------------------------------------------------------


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(x, *shape):
    shape = _shape_arg(shape)
    size = x._data.size
    known = 1
    for s in shape:
        known *= s if s != -1 else 1
    if shape.count(-1) > 1 or (-1 not in shape and known != size) or (known and size % known):
        raise ShapeError(f"view: shape {list(shape)} is invalid for input of size {size}")
    return View.apply(x, shape=shape)


def flatten(x, start_dim=0, end_dim=-1):
    nd = x._data.ndim
    if nd == 0:
        return reshape(x, 1)
    s, e = norm_dim("flatten", start_dim, nd), norm_dim("flatten", end_dim, nd)
    shape = x._data.shape
    return reshape(x, *shape[:s], -1, *shape[e + 1 :])


def squeeze(x, dim=None):
    shape = x._data.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        dims = norm_dims("squeeze", dim, len(shape))
        new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    return Squeeze.apply(x, shape=new)


def unsqueeze(x, dim):
    nd = x._data.ndim + 1
    d = norm_dim("unsqueeze", dim, nd)
    shape = list(x._data.shape)
    shape.insert(d, 1)
    return Unsqueeze.apply(x, shape=tuple(shape))


def permute(x, *dims):
    dims = _shape_arg(dims)
    nd = x._data.ndim
    if len(dims) != nd:
        raise ShapeError(
            f"permute: got {len(dims)} dims {list(dims)} for a tensor of shape "
            f"{tuple(x._data.shape)}; pass a permutation of 0..{nd - 1}"
        )
    # norm_dims range-checks each dim and rejects repeats (an out-of-range dim used to wrap)
    norm_dims("permute", dims, nd)
    return Permute.apply(x, dims=tuple(d % nd for d in dims))


def transpose(x, dim0, dim1):
    nd = x._data.ndim
    if nd == 0 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    dims = list(range(nd))
    a, b = norm_dim("transpose", dim0, nd), norm_dim("transpose", dim1, nd)
    dims[a], dims[b] = dims[b], dims[a]
    return Transpose.apply(x, dims=tuple(dims))


def expand(x, *sizes):
    sizes = _shape_arg(sizes)
    shape = x._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ShapeError(
            f"expand: cannot expand shape {tuple(shape)} to {sizes}: the number of sizes must "
            f"be at least the tensor's {len(shape)} dimension(s)"
        )
    for i, s in enumerate(sizes):
        if i < lead and s < 0:
            why = f"size {s} is not allowed for the new leading dim {i}"
        elif i >= lead and s != -1 and shape[i - lead] not in (1, s):
            why = f"size {s} at dim {i} must match the existing size {shape[i - lead]}"
        else:
            continue
        raise ShapeError(
            f"expand: cannot expand shape {tuple(shape)} to {sizes}: {why} (only size-1 dims "
            "can grow; -1 keeps a size)"
        )
    target = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return Expand.apply(x, shape=target)


def index(x, key):
    key = _convert_key(key)
    return Index.apply(x, key=key, basic=_is_basic(key))


def _convert_key(key):
    """Tensors and lists inside an index become arrays."""
    Tensor = _tensor.Tensor
    if isinstance(key, Tensor):
        return key._data
    if isinstance(key, list):
        return _as_index_array(key)
    if isinstance(key, tuple):
        return tuple(
            k._data if isinstance(k, Tensor) else _as_index_array(k) if isinstance(k, list) else k
            for k in key
        )
    return key


def _as_index_array(values):
    return np.asarray(values)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    d = norm_dim("cat", dim, tensors[0]._data.ndim)
    return Cat.apply(*promote(*tensors), dim=d)


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    d = norm_dim("stack", dim, tensors[0]._data.ndim + 1)
    return Stack.apply(*promote(*tensors), dim=d)


def clone(x):
    return Clone.apply(x)
