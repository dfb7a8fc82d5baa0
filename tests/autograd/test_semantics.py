"""PyTorch's autograd rules, one test each (including the error cases and their messages)."""

import numpy as np
import pytest

import gradcli
from gradcli.errors import AutogradError


def leaf(*shape):
    return gradcli.randn(*shape, requires_grad=True)


def test_requires_grad_is_contagious_and_is_leaf():
    a, b = leaf(2), gradcli.randn(2)
    y = a * b
    assert y.requires_grad and not y.is_leaf
    z = b * 2
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    assert a.is_leaf and a.grad_fn is None
    with gradcli.no_grad():
        w = a * 2
    assert not w.requires_grad and w.is_leaf


def test_grad_fn_nodes_and_next_functions():
    a, b = leaf(2), leaf(2)
    y = (a * b).sum()
    assert y.grad_fn.name() == "SumBackward0"
    ((mul, _),) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    names = [n.name() for n, _ in mul.next_functions]
    assert names == ["AccumulateGrad", "AccumulateGrad"]
    assert mul.next_functions[0][0].variable is a
    # the same leaf shows the same AccumulateGrad node every time, as in PyTorch
    assert (a * 3).grad_fn.next_functions[0][0] is mul.next_functions[0][0]
    # a constant operand appears as None
    assert (a * 3).grad_fn.next_functions[1] == (None, 0)
    assert "grad_fn=<SumBackward0>" in repr(y)


def test_backward_on_scalar_seeds_one_and_non_scalar_needs_gradient():
    a = leaf(3)
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2, 2, 2])
    with pytest.raises(AutogradError, match="only for scalar outputs.*shape \\(3,\\)"):
        (a * 2).backward()
    a.grad = None
    (a * 2).backward(gradient=gradcli.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [2, 0, -2])


def test_backward_without_grad_raises():
    with pytest.raises(AutogradError, match="does not require grad"):
        gradcli.ones(2).sum().backward()


def test_gradients_accumulate_until_zeroed():
    a = leaf(2)
    (a * 3).sum().backward()
    (a * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6, 6])
    a.grad.zero_()
    (a * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3, 3])
    a.grad = None
    (a * 1).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1])


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    a, b = leaf(2), leaf(2)
    (a + b).sum().backward()  # Add hands the same gradient to both leaves
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])


def test_non_leaf_grad_is_none_unless_retained():
    a = leaf(2)
    h = a * 2
    k = a * 3
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    assert k.retains_grad and not h.retains_grad
    np.testing.assert_allclose(k.grad.numpy(), h.detach().numpy())


def test_second_backward_needs_retain_graph():
    a = leaf(2)
    y = (a * a).sum()
    y.backward()
    with pytest.raises(AutogradError, match="retain_graph=True"):
        y.backward()
    a.grad = None
    z = (a * a).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(a.grad.numpy(), 4 * a.detach().numpy(), rtol=1e-6)


def test_no_grad_context_decorator_and_modes():
    a = leaf(2)
    with gradcli.no_grad():
        assert not gradcli.is_grad_enabled()
        with gradcli.enable_grad():
            assert (a * 2).requires_grad
        assert not (a * 2).requires_grad
    assert gradcli.is_grad_enabled()

    @gradcli.no_grad()
    def f(x):
        return x * 2

    assert not f(a).requires_grad and gradcli.is_grad_enabled()
    gradcli.set_grad_enabled(False)
    assert not gradcli.is_grad_enabled()
    gradcli.set_grad_enabled(True)
    with gradcli.set_grad_enabled(False):
        assert not (a * 2).requires_grad
    assert gradcli.is_grad_enabled()


def test_inplace_ops_bump_version():
    t = gradcli.zeros(3)
    assert t._version == 0
    t.add_(1)
    t += 1
    t.mul_(2)
    t *= 2
    t.sub_(1)
    t -= 1
    t.div_(2)
    t /= 2
    t.clamp_(0, 1)
    t.fill_(3)
    t.copy_(gradcli.ones(3))
    t[0] = 5
    t.zero_()
    assert t._version == 13
    np.testing.assert_array_equal(t.numpy(), [0, 0, 0])


def test_modified_saved_tensor_raises_with_versions():
    a = leaf(2)
    b = a * 1
    c = b.exp()  # saves its output
    c.mul_(2)
    with pytest.raises(AutogradError) as err:
        c.sum().backward()
    msg = str(err.value)
    assert "modified by an inplace operation" in msg
    assert "[float32 (2,)] " in msg and "is at version 1; expected version 0" in msg
    assert "ExpBackward0" in msg


def test_modifying_an_input_that_backward_does_not_need_is_fine():
    x = gradcli.ones(2)
    w = leaf(2)
    y = x + w  # Add saves nothing
    x.add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1, 1])
    w.grad = None
    z = w * gradcli.tensor([2.0, 3.0])  # saves the constant factor only, not w
    with gradcli.no_grad():
        w.add_(1)
    z.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2, 3])


def test_inplace_on_leaf_requiring_grad():
    a = leaf(2)
    with pytest.raises(
        AutogradError,
        match="a leaf Variable that requires grad is being used in an in-place operation",
    ):  # noqa: E501
        a.add_(1)
    with pytest.raises(AutogradError, match="leaf Variable"):
        a[0] = 1.0
    before = a._version
    with gradcli.no_grad():
        a.sub_(0.5)
        a -= 0.5
    assert a.is_leaf and a.grad_fn is None and a._version == before + 2


def test_inplace_on_non_leaf_rebases_graph():
    a = leaf(3)
    y = a * 2
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0"
    y.add_(a)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [7, 7, 7])


def test_setitem_on_graph_tensor_routes_gradients():
    a, v = leaf(4), leaf(2)
    y = a * 1
    y[1:3] = v * 10
    (y * gradcli.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 0, 0, 4])
    np.testing.assert_array_equal(v.grad.numpy(), [20, 30])
    assert y.grad_fn.name() == "CopySlices"


def test_register_hook_on_leaf_and_non_leaf():
    a = leaf(2)
    seen = []
    h = a * 2
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = a.register_hook(lambda g: g * 10)
    (h * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3, 3])
    np.testing.assert_array_equal(a.grad.numpy(), [60, 60])
    handle.remove()
    a.grad = None
    (a * 1).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1])


def test_requires_grad_flags():
    with pytest.raises(AutogradError, match="floating point"):
        gradcli.tensor([1, 2], requires_grad=True)
    y = leaf(2) * 2
    with pytest.raises(AutogradError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    t = gradcli.ones(2).requires_grad_()
    assert t.requires_grad and t.is_leaf


def test_detach_data_numpy():
    a = leaf(2)
    with pytest.raises(AutogradError, match="detach\\(\\).numpy\\(\\)"):
        a.numpy()
    d = a.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), a.data.numpy())
    y = a * 2
    assert y.data.grad_fn is None and not y.data.requires_grad


def test_diamond_graph_visits_each_node_once():
    a = leaf(2)
    b = a * 2
    calls = []
    b.register_hook(lambda g: calls.append(1))
    c = b + b * b + b.exp()
    c.sum().backward()
    assert len(calls) == 1
    expected = 2 * (1 + 2 * b.detach().numpy() + np.exp(b.detach().numpy()))
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-6)


def test_long_chain_backward_is_iterative():
    x = gradcli.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y  # freeing a deep graph must not overflow the stack either


def test_repr_matches_pytorch_style():
    assert repr(gradcli.tensor([[1.0, 2.0]], requires_grad=True)) == (
        "tensor([[1., 2.]], requires_grad=True)"
    )
    assert repr(gradcli.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(gradcli.tensor([1.5, -2.25])) == "tensor([ 1.5000, -2.2500])"
    assert repr(gradcli.tensor([1.0], dtype=gradcli.float64)) == (
        "tensor([1.], dtype=gradcli.float64)"
    )
    a = gradcli.tensor([1.0], requires_grad=True)
    assert repr(a * 2) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_tensor_attributes():
    t = gradcli.zeros(2, 3)
    assert t.shape == (2, 3) and t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.dim() == 2 and t.ndim == 2 and t.numel() == 6
    assert t.dtype == gradcli.float32 and str(t.device) == "cpu"
    assert t.T.shape == (3, 2)
    assert gradcli.tensor([[1.5]]).item() == 1.5
    assert gradcli.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert t.long().dtype == gradcli.int64 and t.double().dtype == gradcli.float64
    assert t.to(gradcli.float64).float().dtype == gradcli.float32
    assert t.cpu() is t and t.to("cpu") is t


def test_dtype_change_is_differentiable():
    a = leaf(2)
    (a.double() * 2).sum().backward()
    assert a.grad.dtype == gradcli.float32
    np.testing.assert_array_equal(a.grad.numpy(), [2, 2])


def test_cuda_without_gpu_is_a_clear_error():
    if gradcli.cuda.is_available():
        pytest.skip("a GPU is present")
    from gradcli.errors import DeviceError

    with pytest.raises(DeviceError, match="CUDA device requested but it cannot be used"):
        gradcli.zeros(2).cuda()
    with pytest.raises(DeviceError, match="unknown device"):
        gradcli.zeros(2, device="tpu")
