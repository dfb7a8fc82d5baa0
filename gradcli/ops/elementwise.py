"""More elementwise ops: copysign (differentiable) and isclose (a boolean test, no gradient)."""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._util import lift, promote, sum_to, to_float


class Copysign(Function):
    """|a| with the sign of b. d/da is +1 or -1 (whether a's sign was kept or flipped), 0 at
    a == 0 as in PyTorch; the result does not vary with b, so d/db = 0."""

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        xp = get_array_module(a)
        out = xp.copysign(a, b)
        if self.needs_input_grad[0]:
            kept = xp.signbit(a) == xp.signbit(out)
            self.save_for_backward(xp.where(kept, 1, -1).astype(a.dtype) * (a != 0))
        return out

    def backward(self, g):
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            (slope,) = self.saved_tensors
            ga = sum_to(g * slope, self.shapes[0])
        if nb:
            gb = get_array_module(g).zeros(self.shapes[1], dtype=g.dtype)
        return ga, gb

    def backward_tensors(self, g):
        """The same rule in Tensor ops (the slope is piecewise constant), for create_graph."""
        from gradcli.autograd.double_backward import const, sum_to_tensor

        na, nb = self.needs_input_grad
        ga = sum_to_tensor(g * const(self.saved_tensors[0]), self.shapes[0]) if na else None
        gb = const(get_array_module(g._data).zeros(self.shapes[1], g._data.dtype)) if nb else None
        return ga, gb


def copysign(a, b):
    """Magnitudes of `a` with the signs of `b` (floats; integers give the default float)."""
    a = to_float(a)  # first: lifting -1 into an unsigned tensor's dtype would overflow
    return Copysign.apply(*promote(a, to_float(lift(b, a))))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol * |b| (a bool tensor), as torch.isclose."""
    Tensor = _tensor.Tensor
    if not isinstance(b, Tensor):
        raise TypeError(
            f"isclose(): argument 'other' must be a Tensor, not {type(b).__name__}; "
            "wrap it with gradcli.tensor(...)"
        )
    if a._data.dtype != b._data.dtype:
        raise TypeError(
            f"isclose(): dtypes differ ({a.dtype} and {b.dtype}); convert one with .to(dtype)"
        )
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose(): rtol ({rtol}) and atol ({atol}) must be non-negative")
    xp = get_array_module(a._data)
    try:
        out = xp.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError:
        raise ShapeError(
            f"isclose(): shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
        ) from None
    return Tensor._make(xp.asarray(out))
