"""Elementwise arithmetic and math: forward and backward side by side."""

from __future__ import annotations

import math

import numpy as np

from gradcli import dtypes
from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops._util import lift, operands, promote, sum_to, to_float
from gradcli.ops.division import rounded_div


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g):
        sa, sb = self.shapes
        na, nb = self.needs_input_grad
        return (sum_to(g, sa) if na else None), (sum_to(g, sb) if nb else None)


def add(a, b):
    return Add.apply(*operands(a, b))


class Sub(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g):
        sa, sb = self.shapes
        na, nb = self.needs_input_grad
        return (sum_to(g, sa) if na else None), (sum_to(-g, sb) if nb else None)


def sub(a, b):
    return Sub.apply(*operands(a, b))


class Mul(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        na, nb = self.needs_input_grad
        # Save only what each gradient needs, so modifying the other input stays legal.
        self.save_for_backward(a if nb else None, b if na else None)
        return a * b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = sum_to(g * b, self.shapes[0]) if b is not None else None
        gb = sum_to(g * a, self.shapes[1]) if a is not None else None
        return ga, gb


def mul(a, b):
    return Mul.apply(*operands(a, b))


class Div(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        self.save_for_backward(a if self.needs_input_grad[1] else None, b)
        return a / b

    def backward(self, g):
        a, b = self.saved_tensors
        na, nb = self.needs_input_grad
        ga = sum_to(g / b, self.shapes[0]) if na else None
        gb = sum_to(-g * a / (b * b), self.shapes[1]) if nb else None
        return ga, gb


def div(a, b, *, rounding_mode=None):
    """a / b; `rounding_mode` 'trunc' or 'floor' rounds the quotient (see division.py)."""
    if rounding_mode is not None:
        return rounded_div(a, b, rounding_mode)
    a, b = operands(a, b)
    if a._data.dtype.kind != "f":
        # true division of integers gives the default float dtype, not float64
        a, b = a.to(dtypes.default_float), b.to(dtypes.default_float)
    return Div.apply(a, b)


class Pow(Function):
    """x ** p for a Python-number exponent p."""

    def forward(self, x, p):
        self.p = p
        self.save_for_backward(x)
        return x**p

    def backward(self, g):
        (x,) = self.saved_tensors
        p = self.p
        if p == 0:
            return get_array_module(g).zeros_like(g)  # not 0 * x**-1, which is nan at x == 0
        if p == 2:
            return g * (x + x)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 = inf, silently
            return g * (p * x ** (p - 1))


class PowTensor(Function):
    """a ** b with a tensor exponent."""

    def name(self):
        return "PowBackward1"

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        with np.errstate(divide="ignore", invalid="ignore"):  # IEEE, silently as PyTorch
            out = a**b
        self.save_for_backward(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved_tensors
        xp = get_array_module(g)
        na, nb = self.needs_input_grad
        ga = None
        if na:
            # where b == 0 the derivative is 0, not 0 * a**-1 (nan at a == 0), as in PyTorch
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = xp.where(b == 0, 0, g * b * a ** xp.where(b == 0, 1, b - 1))
            ga = sum_to(ga.astype(g.dtype, copy=False), self.shapes[0])
        if nb:
            # d(a^b)/db = a^b log a, nan where a < 0. At a == 0, as in PyTorch: 0 where b >= 0
            # (not 0 * log 0 = nan) and inf * -inf = -inf where b < 0 (0 ** -1 = inf). Each
            # case is chosen before multiplying, so the kernel warns about nothing.
            at_zero = xp.where(b < 0, -math.inf, 0)
            logs = xp.where(
                a > 0, xp.log(xp.where(a > 0, a, 1)), xp.where(a < 0, math.nan, at_zero)
            )
            gb = out * logs.astype(out.dtype, copy=False)
            gb = sum_to(g * gb, self.shapes[1])
        else:
            gb = None
        return ga, gb


def pow(a, b):
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        if isinstance(b, float):
            b = float(b)  # np.float64 is a float; as a NumPy scalar it would promote to float64
            if a._data.dtype.kind != "f":
                a = a.to(dtypes.default_float)
        return Pow.apply(a, p=b)
    return PowTensor.apply(*operands(a, b))


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


def neg(x):
    return Neg.apply(x)


class Abs(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).abs(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * get_array_module(x).sign(x)


def abs(x):
    return Abs.apply(x)


class Exp(Function):
    def forward(self, x):
        out = get_array_module(x).exp(x)
        self.save_for_backward(out)  # d exp = exp: the output is all backward needs
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * out


def exp(x):
    return Exp.apply(to_float(x))


class Log(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).log(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g / x


def log(x):
    return Log.apply(to_float(x))


class Sqrt(Function):
    def forward(self, x):
        out = get_array_module(x).sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g / (out + out)


def sqrt(x):
    return Sqrt.apply(to_float(x))


class Sin(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).sin(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * get_array_module(x).cos(x)


def sin(x):
    return Sin.apply(to_float(x))


class Cos(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return get_array_module(x).cos(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return -g * get_array_module(x).sin(x)


def cos(x):
    return Cos.apply(to_float(x))


class Maximum(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        self.save_for_backward(a, b)
        return get_array_module(a).maximum(a, b)

    def backward(self, g):
        return _split_ties(self, g, flip=False)


def maximum(a, b):
    return Maximum.apply(*operands(a, b))


class Minimum(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        self.save_for_backward(a, b)
        return get_array_module(a).minimum(a, b)

    def backward(self, g):
        return _split_ties(self, g, flip=True)


def minimum(a, b):
    return Minimum.apply(*operands(a, b))


def _split_ties(fn, g, flip):
    # PyTorch splits the gradient in half where the two inputs are equal.
    a, b = fn.saved_tensors
    xp = get_array_module(g)
    wins = (a < b) if flip else (a > b)
    half = (g * 0.5).astype(g.dtype, copy=False)
    ga = xp.where(wins, g, xp.where(a == b, half, 0))
    gb = g - ga if g.shape == ga.shape else xp.where(wins, 0, xp.where(a == b, half, g))
    na, nb = fn.needs_input_grad
    return (sum_to(ga, fn.shapes[0]) if na else None), (sum_to(gb, fn.shapes[1]) if nb else None)


class Clamp(Function):
    def name(self):
        return "ClampBackward1"

    def forward(self, x, lo=None, hi=None):
        self.save_for_backward(x)
        self.lo, self.hi = lo, hi
        return get_array_module(x).clip(x, lo, hi)

    def backward(self, g):
        (x,) = self.saved_tensors
        keep = True
        if self.lo is not None:
            keep = x >= self.lo
        if self.hi is not None:
            keep = keep & (x <= self.hi)
        return g * keep


def clamp(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    if x._data.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = x.to(dtypes.default_float)  # as PyTorch: int.clamp(min=0.5) is float32
    return Clamp.apply(x, lo=min, hi=max)


class Where(Function):
    def forward(self, a, b, cond):
        self.shapes = a.shape, b.shape
        self.save_for_backward(cond)
        return get_array_module(a).where(cond, a, b)

    def backward(self, g):
        (cond,) = self.saved_tensors
        xp = get_array_module(g)
        zero = xp.zeros((), dtype=g.dtype)
        na, nb = self.needs_input_grad
        ga = sum_to(xp.where(cond, g, zero), self.shapes[0]) if na else None
        gb = sum_to(xp.where(cond, zero, g), self.shapes[1]) if nb else None
        return ga, gb


def where(cond, a, b):
    """Elements of `a` where `cond` is true, else of `b` (a or b may be Python scalars)."""
    Tensor = _tensor.Tensor
    if not isinstance(cond, Tensor):
        cond = Tensor._make(get_array_module(cond).asarray(cond))
    # with two Python scalars the condition decides: where(c, 1.0, 0.0) is float32
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else cond
    a, b = lift(a, ref), lift(b, ref)
    return Where.apply(*promote(a, b), cond=cond._data)
