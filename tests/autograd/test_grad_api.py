"""autograd.grad / autograd.backward / backward(inputs=...), inference_mode and anomaly mode."""

import numpy as np
import pytest

import gradcli
from gradcli.autograd import grad
from gradcli.errors import AutogradError, ShapeError


def leaves():
    x = gradcli.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = gradcli.tensor([0.5, -1.0, 2.0], requires_grad=True)
    return x, w


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x, w = leaves()
    y = (x * w).sum()
    gx, gw = grad(y, [x, w])
    np.testing.assert_array_equal(gx.numpy(), [0.5, -1.0, 2.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0, 3.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad and gx.grad_fn is None
    (only,) = grad((x * x).sum(), x)  # a single tensor as inputs also gives a tuple
    np.testing.assert_array_equal(only.numpy(), [2.0, 4.0, 6.0])


def test_grad_of_an_intermediate_and_of_several_outputs():
    x, w = leaves()
    h = x * w
    y = (h * h).sum()
    (gh,) = grad(y, h)
    np.testing.assert_array_equal(gh.numpy(), 2 * np.array([0.5, -2.0, 6.0]))
    a, b = x.sum(), (x * x).sum()
    (g,) = grad([a, b], x, grad_outputs=[gradcli.tensor(1.0), gradcli.tensor(10.0)])
    np.testing.assert_array_equal(g.numpy(), [21.0, 41.0, 61.0])


def test_grad_outputs_for_a_non_scalar_output_and_shape_errors():
    x, _ = leaves()
    (g,) = grad(x * 2, x, grad_outputs=gradcli.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(g.numpy(), [2.0, 0.0, -2.0])
    with pytest.raises(AutogradError, match="implicitly created only for scalar outputs"):
        grad(x * 2, x)
    with pytest.raises(ShapeError, match=r"grad_output\[0\] has a shape of \(2,\)"):
        grad(x * 2, x, grad_outputs=gradcli.ones(2))


def test_retain_graph():
    x, _ = leaves()
    y = (x.exp()).sum()
    grad(y, x, retain_graph=True)
    (g,) = grad(y, x)
    np.testing.assert_allclose(g.numpy(), np.exp([1.0, 2.0, 3.0]), rtol=1e-6)
    with pytest.raises(AutogradError, match="second time"):
        grad(y, x)


def test_allow_unused_and_materialize_grads():
    x, w = leaves()
    y = (x * 3).sum()
    with pytest.raises(AutogradError, match=r"inputs\[1\]\) appears to not have been used"):
        grad(y, [x, w], retain_graph=True)
    gx, gw = grad(y, [x, w], allow_unused=True, retain_graph=True)
    assert gw is None and gx.numpy().tolist() == [3.0, 3.0, 3.0]
    _, gw = grad(y, [x, w], materialize_grads=True)
    np.testing.assert_array_equal(gw.numpy(), [0.0, 0.0, 0.0])


def test_errors_for_tensors_without_grad():
    x, _ = leaves()
    c = gradcli.ones(3)
    with pytest.raises(AutogradError, match="element 0 of tensors does not require grad"):
        grad(c.sum(), x)
    with pytest.raises(AutogradError, match="does not require grad"):
        grad((x * c).sum(), c)


def test_hooks_run_inside_grad():
    x, _ = leaves()
    h = x * 2
    h.register_hook(lambda g: g * 10)
    (g,) = grad(h.sum(), x)
    np.testing.assert_array_equal(g.numpy(), [20.0, 20.0, 20.0])


def test_only_the_needed_part_of_the_graph_runs():
    calls = []

    class Spy(gradcli.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x, w = leaves()
    y = (x * 2).sum() + Spy.apply(w).sum()
    grad(y, x)
    assert calls == []
    # nor the node of a requested intermediate, when nothing requested lies below it
    h = Spy.apply(w)
    (g,) = grad((h * h).sum(), h)
    assert calls == [] and g.numpy().tolist() == [1.0, -2.0, 4.0]


def test_autograd_backward_and_inputs_argument():
    x, w = leaves()
    gradcli.autograd.backward([(x * w).sum(), x.sum()], [gradcli.tensor(2.0), None])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -1.0, 5.0])
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0, 6.0])
    x.grad = w.grad = None
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 3.0])
    (x * w).sum().backward(inputs=w)  # accumulates, as .backward() does
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0, 6.0])


def test_inference_mode():
    x, _ = leaves()
    with gradcli.inference_mode():
        assert not gradcli.is_grad_enabled()
        assert gradcli.autograd.is_inference_mode_enabled()
        y = x * 2
    assert gradcli.is_grad_enabled() and not gradcli.autograd.is_inference_mode_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert gradcli.autograd.grad_mode.is_inference(y)
    assert not gradcli.autograd.grad_mode.is_inference(x * 2)
    assert y.is_inference() and not (x * 2).is_inference()  # the Tensor method, as PyTorch's

    @gradcli.inference_mode()
    def predict(t):
        return t * 3

    assert not predict(x).requires_grad
    with gradcli.inference_mode(False):
        assert (x * 2).requires_grad
    # as in PyTorch: an op that would save an inference tensor for backward refuses it
    (x + y).sum().backward()
    with pytest.raises(AutogradError, match="inference tensors cannot be saved for backward"):
        x * y
    (x * y.clone()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 5.0, 7.0])


def test_anomaly_mode_is_accepted():
    x, _ = leaves()
    with gradcli.autograd.detect_anomaly():
        assert gradcli.autograd.is_anomaly_enabled()
        (x * x).sum().backward()
    assert not gradcli.autograd.is_anomaly_enabled()
    gradcli.autograd.set_detect_anomaly(True)
    assert gradcli.autograd.is_anomaly_enabled()
    gradcli.autograd.set_detect_anomaly(False)
    assert not gradcli.autograd.is_anomaly_enabled()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
