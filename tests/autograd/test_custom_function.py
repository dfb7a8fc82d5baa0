"""ctx-style custom Functions (`class F(gradcli.autograd.Function)`), as PyTorch users write."""

import gc
import weakref

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.autograd import Function
from gradcli.errors import AutogradError, ShapeError


class Legendre3(Function):
    """P3(x) = (5x^3 - 3x) / 2, with the hand-written derivative 3/2 (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x**2 - 1)


class ScaledExp(Function):
    """exp(x) * k with a Python-number argument; saves its output, as exp's backward wants."""

    @staticmethod
    def forward(ctx, x, k):
        out = x.exp() * k
        ctx.save_for_backward(out)
        ctx.seen_needs = ctx.needs_input_grad
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out, None


def test_value_gradient_and_node_name():
    x = gradcli.tensor([-1.0, -0.5, 0.3, 2.0], requires_grad=True)
    y = Legendre3.apply(x)
    xs = np.array([-1.0, -0.5, 0.3, 2.0])
    np.testing.assert_allclose(y.detach().numpy(), 0.5 * (5 * xs**3 - 3 * xs), rtol=1e-6)
    assert y.grad_fn.name() == "Legendre3Backward"
    assert "grad_fn=<Legendre3Backward>" in repr(y)
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * xs**2 - 1), rtol=1e-6)


def test_finite_differences_float64():
    gradcheck(Legendre3.apply, np.array([-1.2, 0.1, 0.7]))
    gradcheck(lambda x: ScaledExp.apply(x, 3.0), np.array([[0.2, -1.0], [0.5, 1.5]]))


def test_gradcheck_api_on_a_custom_function():
    x = gradcli.tensor([0.3, -0.8, 1.1], dtype=gradcli.float64, requires_grad=True)
    assert gradcli.autograd.gradcheck(Legendre3.apply, (x,))
    assert gradcli.autograd.gradgradcheck(Legendre3.apply, (x,))


def test_ctx_attributes_non_tensor_args_and_needs_input_grad():
    x = gradcli.tensor([0.0, 1.0], requires_grad=True)
    y = ScaledExp.apply(x, 2.0)
    assert y.grad_fn.seen_needs == (True, False)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.0, 1.0]), rtol=1e-6)

    # a non-tensor input must get None back
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(AutogradError, match="position 2, but the corresponding forward input"):
        Bad.apply(x, 2.0).sum().backward()


def test_second_tensor_input_without_grad_gets_false():
    class MulFn(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            ctx.flags = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return (g * b if ctx.needs_input_grad[0] else None), (
                g * a if ctx.needs_input_grad[1] else None
            )

    a, b = gradcli.tensor([2.0], requires_grad=True), gradcli.tensor([5.0])
    y = MulFn.apply(a, b)
    assert y.grad_fn.flags == (True, False)
    y.backward()
    assert a.grad.item() == 5.0 and b.grad is None


class SplitSigns(Function):
    """Two outputs: relu(x) and relu(-x) * 3."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0), (-x).clamp(min=0) * 3

    @staticmethod
    def backward(ctx, g_pos, g_neg):
        (x,) = ctx.saved_tensors
        ctx.got = (g_pos, g_neg)
        return g_pos * (x > 0) - g_neg * 3 * (x < 0)


def test_multiple_outputs_each_carry_their_gradient():
    x = gradcli.tensor([-2.0, 1.0, 3.0], requires_grad=True)
    pos, neg = SplitSigns.apply(x)
    assert pos.grad_fn.name() == neg.grad_fn.name() == "SplitSignsBackward"
    (pos * 2 + neg * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-15.0, 2.0, 2.0])
    gradcheck(lambda t: gradcli.stack(SplitSigns.apply(t)), np.array([-0.7, 0.4, 1.3]))


def test_unused_output_gets_zeros_or_none_without_materialize():
    x = gradcli.tensor([-2.0, 1.0], requires_grad=True)
    pos, _ = SplitSigns.apply(x)
    pos.sum().backward()
    node = pos.grad_fn.next_functions[0][0]
    np.testing.assert_array_equal(node.got[1].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])

    class NoMaterialize(SplitSigns):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return SplitSigns.forward(ctx, x)

        @staticmethod
        def backward(ctx, g_pos, g_neg):
            ctx.got = (g_pos, g_neg)
            return g_pos

    x.grad = None
    pos, _ = NoMaterialize.apply(x)
    pos.sum().backward()
    assert pos.grad_fn.next_functions[0][0].got[1] is None


def test_mark_non_differentiable():
    class SortFn(Function):
        @staticmethod
        def forward(ctx, x):
            order = gradcli.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(order)
            ctx.save_for_backward(order)
            return x[order], order

        @staticmethod
        def backward(ctx, g, g_order):
            (order,) = ctx.saved_tensors
            out = gradcli.zeros(g.shape)
            out[order] = g
            return out

    x = gradcli.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, order = SortFn.apply(x)
    assert values.requires_grad and not order.requires_grad and order.grad_fn is None
    (values * gradcli.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [100.0, 1.0, 10.0])


def test_saved_tensor_modified_in_place_is_an_error():
    x = gradcli.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Legendre3.apply(h)
    h.add_(1)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward_unless_retained():
    x = gradcli.tensor([1.0, 2.0], requires_grad=True)
    y = Legendre3.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 1.5 * (5 * np.array([1.0, 4.0]) - 1))
    with pytest.raises(AutogradError, match="backward through the graph a second time"):
        y.backward()


def test_wrong_gradient_count_and_shape():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return gradcli.ones(5)

    class Broadcast(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return gradcli.ones(4, 3)  # expandable from (3,): summed back, as PyTorch does

    x = gradcli.ones(3, requires_grad=True)
    with pytest.raises(AutogradError, match="incorrect number of gradients"):
        TooMany.apply(x).sum().backward()
    with pytest.raises(ShapeError, match=r"got \[5\] but expected shape compatible with \[3\]"):
        WrongShape.apply(x).sum().backward()
    Broadcast.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0, 4.0])


def test_no_graph_under_no_grad_and_forward_runs_without_grad():
    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.inside = gradcli.is_grad_enabled()
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = gradcli.ones(2, requires_grad=True)
    y = Probe.apply(x)
    assert y.grad_fn.inside is False
    with gradcli.no_grad():
        z = Probe.apply(x)
    assert z.grad_fn is None and not z.requires_grad


def test_input_returned_unchanged_is_a_new_output():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = gradcli.ones(2, requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and y.grad_fn.name() == "IdentityBackward" and x.is_leaf
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_setup_context_style():
    class Square(Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = gradcli.tensor([3.0], requires_grad=True)
    Square.apply(x).backward()
    assert x.grad.item() == 6.0


def test_legacy_instance_call_is_refused():
    with pytest.raises(AutogradError, match=r"call Legendre3.apply\(...\)"):
        Legendre3()(gradcli.ones(1))


def test_double_backward_through_a_custom_function():
    x = gradcli.tensor([0.5, -1.5], dtype=gradcli.float64, requires_grad=True)
    (g,) = gradcli.autograd.grad(Legendre3.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 1.5 * (5 * np.array([0.25, 2.25]) - 1))
    (h,) = gradcli.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 15 * np.array([0.5, -1.5]))
    # a saved output is differentiated through the node itself: d2/dx2 (2 e^x) = 2 e^x
    y = ScaledExp.apply(x, 2.0)
    (g,) = gradcli.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = gradcli.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 2 * np.exp([0.5, -1.5]))


def test_graph_frees_itself_without_the_cycle_collector():
    gc.disable()
    try:
        x = gradcli.ones(3, requires_grad=True)
        y = ScaledExp.apply(x, 1.0)
        node = weakref.ref(y.grad_fn)
        pos, _ = SplitSigns.apply(x)
        shared = weakref.ref(pos.grad_fn.next_functions[0][0])
        del y, pos, _
        assert node() is None and shared() is None
    finally:
        gc.enable()


def test_once_differentiable_and_mark_dirty():
    from gradcli.autograd.function import FunctionCtx, once_differentiable

    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            assert isinstance(ctx, FunctionCtx)
            return x * 2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            assert not gradcli.is_grad_enabled()
            return g * 2

    x = gradcli.ones(2, requires_grad=True)
    Twice.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])

    class InPlace(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

    with pytest.raises(AutogradError, match="does not support ctx.mark_dirty"):
        InPlace.apply(x)
