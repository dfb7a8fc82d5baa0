"""Rounded division and remainders: div(rounding_mode='trunc'|'floor'), fmod, remainder (%).

Integer inputs stay integer (exact, never through float). Dividing an integer by zero is an
error, as in PyTorch; floats follow IEEE (x // 0 = inf, fmod(x, 0) = nan) silently, as in
PyTorch (NumPy would warn).
"""

from __future__ import annotations

import numpy as np

from gradcli.autograd.double_backward import const, sum_to_tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops._util import lift, promote, sum_to


def _check_int_divisor(op, b):
    if b.dtype.kind in "iub" and not b.all():
        raise ZeroDivisionError(
            f"{op}: integer division by zero (a divisor is 0); use float tensors for IEEE "
            "inf/nan results or mask the zeros"
        )


def _trunc_div(xp, a, b):
    if a.dtype.kind == "f":
        return xp.trunc(a / b)
    q = xp.floor_divide(a, b)
    # floor rounds a negative inexact quotient down; truncation rounds it toward zero
    return q + ((q < 0) & (q * b != a)).astype(q.dtype)


class RoundedDiv(Function):
    """a / b rounded toward zero ('trunc') or down ('floor'): a step function, so its
    gradient is zero almost everywhere (PyTorch returns zeros too)."""

    def name(self):
        return "DivBackward3"

    def forward(self, a, b, mode):
        self.shapes = a.shape, b.shape
        xp = get_array_module(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.floor_divide(a, b) if mode == "floor" else _trunc_div(xp, a, b)

    def backward(self, g):
        xp = get_array_module(g)
        na, nb = self.needs_input_grad
        ga = xp.zeros(self.shapes[0], dtype=g.dtype) if na else None
        gb = xp.zeros(self.shapes[1], dtype=g.dtype) if nb else None
        return ga, gb

    def backward_tensors(self, g):
        return tuple(None if z is None else const(z) for z in self.backward(g._data))


def rounded_div(a, b, rounding_mode):
    """`div(a, b, rounding_mode=...)` for 'trunc' and 'floor' (None is true division)."""
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}"
        )
    a, b = promote(a, lift(b, a))
    _check_int_divisor("div", b._data)
    return RoundedDiv.apply(a, b, mode=rounding_mode)


def floor_divide(a, b):
    """`a // b`: division rounded down (Python's and PyTorch's `//`)."""
    return rounded_div(a, b, "floor")


class _Remainder(Function):
    """a - b * q with q = a / b rounded ('trunc' for fmod, 'floor' for remainder).
    d/da = 1, d/db = -q."""

    mode = "trunc"

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        xp = get_array_module(a)
        if self.needs_input_grad[1]:
            self.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.fmod(a, b) if self.mode == "trunc" else xp.remainder(a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        ga = sum_to(g, self.shapes[0]) if na else None
        gb = sum_to(-g * self._quotient(), self.shapes[1]) if nb else None
        return ga, gb

    def _quotient(self):
        a, b = self.saved_tensors
        xp = get_array_module(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _trunc_div(xp, a, b) if self.mode == "trunc" else xp.floor_divide(a, b)

    def backward_tensors(self, g):
        """The same rule in Tensor ops (q is piecewise constant), recorded, for create_graph."""
        na, nb = self.needs_input_grad
        ga = sum_to_tensor(g, self.shapes[0]) if na else None
        gb = sum_to_tensor(-g * const(self._quotient()), self.shapes[1]) if nb else None
        return ga, gb


class Fmod(_Remainder):
    mode = "trunc"


class Remainder(_Remainder):
    mode = "floor"


def _remainder_op(op, cls, a, b):
    a, b = promote(a, lift(b, a))
    _check_int_divisor(op, b._data)
    return cls.apply(a, b)


def fmod(a, b):
    """Remainder with the sign of the dividend `a` (C's fmod): fmod(-7, 2) = -1."""
    return _remainder_op("fmod", Fmod, a, b)


def remainder(a, b):
    """Remainder with the sign of the divisor `b` (Python's %): remainder(-7, 2) = 1."""
    return _remainder_op("remainder", Remainder, a, b)
