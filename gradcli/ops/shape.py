"""Shape ops (views, permutations, expand), concatenation, and copies (clone, fill_, copy_, to)."""

from __future__ import annotations

from gradcli.autograd.function import Function
from gradcli.backend import device_of, get_array_module, to_device
from gradcli.errors import ShapeError
from gradcli.ops._util import norm_dim, norm_dims, promote, sum_to


class View(Function):
    is_view = True

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


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


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


class Squeeze(View):
    pass


def squeeze(x, dim=None):
    shape = x._data.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        dims = norm_dims("squeeze", dim, len(shape))
        new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
    return Squeeze.apply(x, shape=new)


class Unsqueeze(View):
    pass


def unsqueeze(x, dim):
    nd = x._data.ndim + 1
    d = norm_dim("unsqueeze", dim, nd)
    shape = list(x._data.shape)
    shape.insert(d, 1)
    return Unsqueeze.apply(x, shape=tuple(shape))


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


class Transpose(Permute):
    pass


def transpose(x, dim0, dim1):
    nd = x._data.ndim
    if nd == 0 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    dims = list(range(nd))
    a, b = norm_dim("transpose", dim0, nd), norm_dim("transpose", dim1, nd)
    dims[a], dims[b] = dims[b], dims[a]
    return Transpose.apply(x, dims=tuple(dims))


class Expand(Function):
    is_view = True

    def forward(self, x, shape):
        self.shape = x.shape
        return get_array_module(x).broadcast_to(x, shape)

    def backward(self, g):
        return sum_to(g, self.shape)


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


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    d = norm_dim("cat", dim, tensors[0]._data.ndim)
    return Cat.apply(*promote(*tensors), dim=d)


class Stack(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        return get_array_module(arrays[0]).stack(arrays, axis=dim)

    def backward(self, g):
        xp = get_array_module(g)
        return tuple(xp.take(g, i, axis=self.dim) for i in range(g.shape[self.dim]))


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    d = norm_dim("stack", dim, tensors[0]._data.ndim + 1)
    return Stack.apply(*promote(*tensors), dim=d)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


def clone(x):
    return Clone.apply(x)


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


class Repeat(Function):
    """The tensor tiled `repeats` times along each dim (new leading dims first)."""

    def forward(self, x, repeats):
        self.shape, self.repeats = x.shape, repeats
        return get_array_module(x).tile(x, repeats)

    def backward(self, g):
        # view each dim of size r * n as (r, n) and add up the r copies
        split = self._split()
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(self.shape)

    def _split(self):
        lead = len(self.repeats) - len(self.shape)
        inner = (1,) * lead + tuple(self.shape)
        return [s for r, n in zip(self.repeats, inner) for s in (r, n)]

    def backward_tensors(self, g):
        """The same sum over the copies in Tensor ops, recorded, for create_graph."""
        split = self._split()
        return g.reshape(split).sum(tuple(range(0, len(split), 2))).reshape(self.shape)


def repeat(x, *sizes):
    """`x.repeat(2, 3)`: copies along each dim; more sizes than dims add leading dims."""
    sizes = _shape_arg(sizes)
    if len(sizes) < x._data.ndim or any(s < 0 for s in sizes):
        raise ShapeError(
            f"repeat: got repeats {list(sizes)} for shape {tuple(x._data.shape)}; give one "
            "non-negative count per dim (at least as many as the tensor has dims)"
        )
    return Repeat.apply(x, repeats=sizes)


def view_dtype(x, dtype):
    """The same bytes read as `dtype` (no copy, no gradient); with another element size the
    last dim shrinks or grows, as `Tensor.view(dtype)` in PyTorch."""
    from gradcli import dtypes
    from gradcli.autograd import tensor as _tensor

    a = x._data
    dt = dtypes.to_numpy_dtype(dtype)
    if dt.itemsize != a.dtype.itemsize:
        why = None
        if a.ndim == 0:
            why = "a 0-d tensor"
        elif a.shape[-1] * a.dtype.itemsize % dt.itemsize:
            why = f"a last dim of size {a.shape[-1]}"
        elif a.strides[-1] != a.dtype.itemsize:
            why = "a last dim that is not contiguous (call .contiguous() first)"
        if why:
            raise ShapeError(
                f"view: cannot view {x.dtype} as {dtypes.from_numpy_dtype(dt)} (element sizes "
                f"{a.dtype.itemsize} and {dt.itemsize} bytes) with {why}"
            )
    t = _tensor.Tensor._make(a.view(dt))
    t._vc = x._vc  # shares storage: an in-place change of either bumps both versions
    return t
