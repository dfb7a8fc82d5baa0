"""Module hooks run by Module.__call__: full backward (pre-)hooks and forward hooks with kwargs.
Expected values follow what PyTorch 2.14.1 gives for the same modules (checked by hand)."""

import numpy as np

import gradcli
from gradcli import nn


def linear():
    lin = nn.Linear(3, 2)
    with gradcli.no_grad():
        lin.weight.copy_(gradcli.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]))
        lin.bias.zero_()
    return lin


def test_full_backward_hook_sees_grad_input_and_grad_output():
    lin, calls = linear(), []
    lin.register_full_backward_pre_hook(lambda m, go: calls.append(("pre", m, go)))
    lin.register_full_backward_hook(lambda m, gi, go: calls.append(("hook", m, gi, go)))
    x = gradcli.ones(4, 3, requires_grad=True)
    (lin(x) * gradcli.tensor([1.0, 10.0])).sum().backward()
    (pre, m, go), (hook, m2, gi, go2) = calls
    assert (pre, hook) == ("pre", "hook") and m is lin and m2 is lin
    assert len(go) == 1 and len(gi) == 1 and go2 is go
    np.testing.assert_array_equal(go[0].numpy(), np.tile([1.0, 10.0], (4, 1)))
    np.testing.assert_array_equal(gi[0].numpy(), np.tile([-9.0, 7.0, 3.0], (4, 1)))
    np.testing.assert_array_equal(x.grad.numpy(), gi[0].numpy())


def test_input_without_grad_gives_none_and_parameters_still_get_grads():
    lin, calls = linear(), []
    lin.register_full_backward_hook(lambda m, gi, go: calls.append(gi))
    lin(gradcli.ones(2, 3)).sum().backward()
    assert calls == [(None,)]
    np.testing.assert_array_equal(lin.weight.grad.numpy(), np.full((2, 3), 2.0))


def test_hooks_may_replace_gradients():
    lin = linear()
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 7,))
    x = gradcli.ones(1, 3, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[7.0, 7.0, 7.0]])

    lin2 = linear()
    lin2.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    x = gradcli.ones(1, 3, requires_grad=True)
    lin2(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 5.0, 6.0]])
    np.testing.assert_array_equal(lin2.bias.grad.numpy(), [2.0, 2.0])


def test_several_inputs_and_outputs():
    class Two(nn.Module):
        def forward(self, a, b):
            return a * 2, a * b

    m, got = Two(), []
    m.register_full_backward_hook(lambda mod, gi, go: got.append((gi, go)))
    a = gradcli.tensor([1.0, 2.0], requires_grad=True)
    b = gradcli.tensor([3.0, 4.0])
    u, v = m(a, b)
    (u.sum() + (v * 10).sum()).backward()
    ((gi, go),) = got
    # as PyTorch: b does not require grad, and its entry is zeros (not None)
    np.testing.assert_array_equal(gi[0].numpy(), [32.0, 42.0])
    np.testing.assert_array_equal(gi[1].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(go[1].numpy(), [10.0, 10.0])
    np.testing.assert_array_equal(a.grad.numpy(), [32.0, 42.0])


def test_hooks_fire_from_the_last_layer_back_and_handles_remove_them():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    order = []
    handles = [
        layer.register_full_backward_hook(lambda m, gi, go, i=i: order.append(i))
        for i, layer in enumerate(net)
    ]
    net(gradcli.randn(2, 3)).sum().backward()
    assert order == [2, 1, 0]
    for h in handles:
        h.remove()
    net(gradcli.randn(2, 3)).sum().backward()
    assert order == [2, 1, 0]


def test_no_backward_hooks_without_grad_mode():
    lin, calls = linear(), []
    lin.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    with gradcli.no_grad():
        y = lin(gradcli.ones(1, 3, requires_grad=True))
    assert not y.requires_grad and calls == []


def test_forward_hooks_with_kwargs_and_prepend():
    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    k, order = Scale(), []
    k.register_forward_pre_hook(lambda m, args, kwargs: (args, {"scale": 5.0}), with_kwargs=True)
    k.register_forward_hook(lambda m, args, kwargs, out: out + kwargs["scale"], with_kwargs=True)
    assert k(gradcli.ones(1), scale=2.0).item() == 10.0
    k.register_forward_hook(lambda m, a, out: order.append("second"))
    k.register_forward_hook(lambda m, a, out: order.append("first"), prepend=True)
    k(gradcli.ones(1))
    assert order == ["first", "second"]
