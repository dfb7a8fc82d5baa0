"""The module-level math functions with PyTorch's signatures: `gradcli.add(input, other, *,
alpha=1, out=None)`, `gradcli.sum(input, dim, keepdim, *, dtype)`, `axis=`/`keepdims=` for
`dim`/`keepdim`. Each is a thin wrapper over one op in `gradcli.ops` (which Tensor's methods
call too); what it adds is the keyword surface and `out=`.

>>> gradcli.add(gradcli.tensor([1.0, 2.0]), 10, alpha=2)
tensor([21., 22.])
"""

from __future__ import annotations

import warnings

import numpy as np

from gradcli import ops
from gradcli.autograd import grad_mode
from gradcli.autograd import tensor as _tensor
from gradcli.errors import AutogradError, DeviceError
from gradcli.ops._aliases import numpy_names
from gradcli.ops._util import lift


def _into(out, result, op: str):
    """Write `result` into `out` and return `out`, as PyTorch's `out=` does (resizing it, with a
    warning when it held elements of another shape); without `out`, return `result`."""
    if out is None:
        return result
    if grad_mode.is_grad_enabled() and (result._requires_grad or out._requires_grad):
        raise AutogradError(
            f"{op}(): out= does not support autograd, but an argument requires grad; drop out= "
            "or call it under `with gradcli.no_grad():`"
        )
    if out.device != result.device:
        raise DeviceError(f"{op}(): out is on {out.device} but the result is on {result.device}")
    src, dst = result._data, out._data
    if not np.can_cast(src.dtype, dst.dtype, "same_kind"):
        raise TypeError(
            f"{op}(): the result's dtype {result.dtype} can't be cast to out's dtype {out.dtype}; "
            f"pass an out of dtype {result.dtype}"
        )
    if dst.shape != src.shape:
        if dst.size:
            warnings.warn(
                f"{op}(): out of shape {tuple(dst.shape)} was resized to {tuple(src.shape)}; "
                "pass an out of the result's shape (or an empty one) to avoid this",
                UserWarning,
                stacklevel=3,
            )
        out._data = dst = src.astype(dst.dtype)
    else:
        dst[...] = src
    out._vc[0] += 1
    return out


def _operands(input, other):
    """Either side may be a Python number (`gradcli.add(2, t)`); it takes the tensor's dtype."""
    if not isinstance(input, _tensor.Tensor):
        input = lift(input, other)
    return input, lift(other, input)


def _scaled(op, input, other, alpha):
    if alpha == 1:
        return other
    ints = input._data.dtype.kind in "iub" and other._data.dtype.kind in "iub"
    if ints and isinstance(alpha, float):
        raise TypeError(f"{op}(): alpha={alpha} is a float but both inputs are integer tensors")
    return ops.mul(other, alpha)


# ---- arithmetic -------------------------------------------------------------------------------


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other."""
    input, other = _operands(input, other)
    return _into(out, ops.add(input, _scaled("add", input, other, alpha)), "add")


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other."""
    input, other = _operands(input, other)
    return _into(out, ops.sub(input, _scaled("sub", input, other, alpha)), "sub")


def mul(input, other, *, out=None):
    return _into(out, ops.mul(*_operands(input, other)), "mul")


def div(input, other, *, rounding_mode=None, out=None):
    """True division; rounding_mode 'trunc' or 'floor' rounds the quotient."""
    result = ops.div(*_operands(input, other), rounding_mode=rounding_mode)
    return _into(out, result, "div")


subtract, multiply, divide, true_divide = sub, mul, div, div


def _unary(op):
    def fn(input, *, out=None):
        return _into(out, op(input), op.__name__)

    fn.__name__ = fn.__qualname__ = op.__name__
    fn.__doc__ = f"{op.__name__}(input, *, out=None), elementwise."
    return fn


abs, exp, log, sqrt, sin, cos, tanh, sigmoid = map(
    _unary, (ops.abs, ops.exp, ops.log, ops.sqrt, ops.sin, ops.cos, ops.tanh, ops.sigmoid)
)


def _compare(name):
    def fn(input, other, *, out=None):
        input, other = _operands(input, other)
        return _into(out, getattr(input, name)(other), name)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(input, other, *, out=None): elementwise comparison, a bool tensor."
    return fn


eq, ne, lt, le, gt, ge = map(_compare, ("eq", "ne", "lt", "le", "gt", "ge"))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def neg(input, *, out=None):
    return _into(out, ops.neg(input), "neg")


negative = neg


def pow(input, exponent, *, out=None):
    input, exponent = _operands(input, exponent)
    return _into(out, ops.pow(input, exponent), "pow")


@numpy_names
def any(input, dim=None, keepdim=False):
    return input.any() if dim is None else input.any(dim, keepdim)


@numpy_names
def all(input, dim=None, keepdim=False):
    return input.all() if dim is None else input.all(dim, keepdim)


def t(input):
    return input.t()


def maximum(input, other, *, out=None):
    return _into(out, ops.maximum(input, other), "maximum")


def minimum(input, other, *, out=None):
    return _into(out, ops.minimum(input, other), "minimum")


def clamp(input, min=None, max=None, *, out=None):
    return _into(out, ops.clamp(input, min, max), "clamp")


clip = clamp


def matmul(input, other, *, out=None):
    return _into(out, ops.matmul(input, other), "matmul")


def mm(input, mat2, *, out=None):
    return _into(out, ops.mm(input, mat2), "mm")


# ---- reductions (dtype= casts the input first, as in PyTorch) ---------------------------------


def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


@numpy_names
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return _into(out, ops.sum(_cast(input, dtype), dim, keepdim), "sum")


@numpy_names
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return _into(out, ops.mean(_cast(input, dtype), dim, keepdim), "mean")


@numpy_names
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    result = ops.var(input, dim, unbiased, keepdim, correction=correction)
    return _into(out, result, "var")


@numpy_names
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    result = ops.std(input, dim, unbiased, keepdim, correction=correction)
    return _into(out, result, "std")


@numpy_names
def max(input, dim=None, keepdim=False):
    """The largest element, `(values, indices)` along `dim`, or `max(a, b)` elementwise."""
    return ops.max(input, dim, keepdim)


@numpy_names
def min(input, dim=None, keepdim=False):
    return ops.min(input, dim, keepdim)


@numpy_names
def argmax(input, dim=None, keepdim=False):
    return ops.argmax(input, dim, keepdim)


@numpy_names
def argmin(input, dim=None, keepdim=False):
    return ops.argmin(input, dim, keepdim)


def softmax(input, dim, dtype=None):
    return ops.softmax(_cast(input, dtype), dim)


def log_softmax(input, dim, dtype=None):
    return ops.log_softmax(_cast(input, dtype), dim)


# ---- joining --------------------------------------------------------------------------------


@numpy_names
def cat(tensors, dim=0, *, out=None):
    return _into(out, ops.cat(tensors, dim), "cat")


concat = concatenate = cat


@numpy_names
def stack(tensors, dim=0, *, out=None):
    return _into(out, ops.stack(tensors, dim), "stack")
