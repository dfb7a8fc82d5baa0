"""More elementwise ops PyTorch scripts call: log1p, expm1, square, reciprocal, rsqrt, erf,
atan2 (differentiable); floor, ceil, round, trunc, sign (gradient zero, as PyTorch's); isnan,
isinf, isfinite and the logical ops (boolean results, no gradient)."""

from __future__ import annotations

import math

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops import special
from gradcli.ops._util import lift, promote, sum_to, to_float


class Log1p(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).log1p(x)  # exact for small x, where log(1 + x) rounds

    def backward(self, g):
        (x,) = self.saved_tensors
        return g / (1 + x)


class Expm1(Function):
    def forward(self, x):
        out = get_array_module(x).expm1(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * (out + 1)


class Square(Function):
    def name(self):
        return "PowBackward0"  # PyTorch records square as pow(x, 2)

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, g):
        (x,) = self.saved_tensors
        return 2 * g * x


class Reciprocal(Function):
    def forward(self, x):
        out = 1 / x
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return -g * out * out


class Rsqrt(Function):
    def forward(self, x):
        out = 1 / get_array_module(x).sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return -0.5 * g * out * out * out


class Erf(Function):
    def forward(self, x):
        self.save_for_backward(x)
        # one kernel for numpy and cupy (cupy has no `special`, and cupy.vectorize cannot
        # compile the builtin math.erf)
        return special.erf(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        xp = get_array_module(x)
        return g * (2 / math.sqrt(math.pi)) * xp.exp(-x * x)


class Atan2(Function):
    """atan2(y, x): the angle of (x, y). d/dy = x / r^2, d/dx = -y / r^2."""

    def forward(self, y, x):
        self.shapes = y.shape, x.shape
        self.save_for_backward(y, x)
        return get_array_module(y).arctan2(y, x)

    def backward(self, g):
        y, x = self.saved_tensors
        r2 = x * x + y * y
        gy = sum_to(g * x / r2, self.shapes[0]) if self.needs_input_grad[0] else None
        gx = sum_to(-g * y / r2, self.shapes[1]) if self.needs_input_grad[1] else None
        return gy, gx


class Rounding(Function):
    """floor, ceil, round (half to even), trunc, sign: piecewise constant, so the gradient is
    zero everywhere, which is what PyTorch returns too."""

    def name(self):
        return f"{self.kind.capitalize()}Backward0"

    def forward(self, x, *, kind):
        self.kind = kind
        xp = get_array_module(x)
        fn = {"floor": xp.floor, "ceil": xp.ceil, "round": xp.round, "trunc": xp.trunc}
        return fn[kind](x) if kind in fn else xp.sign(x)

    def backward(self, g):
        return get_array_module(g).zeros_like(g)


def log1p(x):
    return Log1p.apply(to_float(x))


def expm1(x):
    return Expm1.apply(to_float(x))


def square(x):
    return Square.apply(x)


def reciprocal(x):
    return Reciprocal.apply(to_float(x))


def rsqrt(x):
    return Rsqrt.apply(to_float(x))


def erf(x):
    return Erf.apply(to_float(x))


def atan2(y, x):
    y, x = promote(to_float(y), to_float(lift(x, y)))
    return Atan2.apply(y, x)


def _rounding(kind):
    def fn(x):
        if x._data.dtype.kind in "iub" and kind != "sign":
            return x.clone()  # an integer is already whole
        return Rounding.apply(x, kind=kind)

    fn.__name__ = fn.__qualname__ = kind
    return fn


floor, ceil, round, trunc, sign = map(_rounding, ("floor", "ceil", "round", "trunc", "sign"))


def _test(name):
    def fn(x):
        return _tensor.Tensor._make(getattr(get_array_module(x._data), name)(x._data))

    fn.__name__ = fn.__qualname__ = name
    return fn


isnan, isinf, isfinite = _test("isnan"), _test("isinf"), _test("isfinite")


def logical_not(x):
    return _tensor.Tensor._make(get_array_module(x._data).logical_not(x._data))


def _logical(name):
    def fn(a, b):
        b = lift(b, a)
        return _tensor.Tensor._make(getattr(get_array_module(a._data), name)(a._data, b._data))

    fn.__name__ = fn.__qualname__ = name
    return fn


logical_and, logical_or, logical_xor = map(_logical, ("logical_and", "logical_or", "logical_xor"))
