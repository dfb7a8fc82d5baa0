"""gradcli.autograd.gradcheck / gradgradcheck: pass on correct gradients, catch wrong ones."""

import pytest

import gradcli
from gradcli.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def t64(*values):
    return gradcli.tensor(list(values), dtype=gradcli.float64, requires_grad=True)


class WrongSquare(Function):
    """x^2 with a backward that forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class DetachedSquare(Function):
    """Right first derivative, but computed from a detached x: its own derivative is lost."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x.detach()


def test_passes_on_builtin_ops_with_several_inputs_and_outputs():
    a, b = t64(0.3, -1.2, 2.0), t64(0.7, 0.1, -0.4)
    c = gradcli.tensor([1.0, 2.0, 3.0], dtype=gradcli.float64)  # no grad: not checked
    assert gradcheck(lambda x, y, z: (x * y.exp() + z, (x / (y * y + 1)).sum()), (a, b, c))
    assert gradcheck(lambda x: x.tanh() @ x, a)


def test_reports_a_wrong_backward():
    x = t64(0.5, 1.5)
    with pytest.raises(
        GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"
    ):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    assert isinstance(GradcheckError("x"), RuntimeError)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = t64(0.5, 1.5)
    assert gradcheck(DetachedSquare.apply, (x,))
    assert gradgradcheck(lambda t: t * t * t, (x,))
    assert gradgradcheck(DetachedSquare.apply, (x,), raise_exception=False) is False


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda t: t * 2, (gradcli.ones(2, dtype=gradcli.float64),))
