"""The Optimizer base: param groups, zero_grad, step/closure, dtypes, versions, no graph."""

from __future__ import annotations

import numpy as np
import pytest

import gradcli
import gradcli.optim as optim

from .reference import ALL, ALL_IDS, feed_grads


def _params(dtype=gradcli.float32):
    gradcli.manual_seed(0)
    return [
        gradcli.randn(3, 4, dtype=dtype, requires_grad=True),
        gradcli.randn(4, dtype=dtype, requires_grad=True),
    ]


def _set_grads(params, value=1.0):
    for p in params:
        p.grad = gradcli.full_like(p, value)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_float32_params_keep_every_array_float32(make):
    params = _params()
    opt = make(params)
    for _ in range(3):
        feed_grads(params)
        opt.step()
    for p in params:
        assert p._data.dtype == np.float32
        for key, value in opt.state[p].items():
            if isinstance(value, gradcli.Tensor):
                assert value._data.dtype == np.float32, key
            else:
                assert type(value) is int, key  # step counts are Python ints


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_numpy_float64_hyper_parameters_do_not_promote(make):
    params = _params()
    opt = make(params)
    for group in opt.param_groups:  # e.g. an lr computed with NumPy by some schedule
        group["lr"] = np.float64(group["lr"])
        group["weight_decay"] = np.float64(group["weight_decay"])
    for _ in range(2):
        feed_grads(params)
        opt.step()
    assert all(p._data.dtype == np.float32 for p in params)
    assert all(
        v._data.dtype == np.float32
        for s in opt.state.values()
        for v in s.values()
        if isinstance(v, gradcli.Tensor)
    )


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_step_updates_in_place_bumps_versions_and_builds_no_graph(make):
    params = _params()
    arrays = [p._data for p in params]
    opt = make(params)
    _set_grads(params, 0.5)
    versions = [p._version for p in params]
    opt.step()
    for p, a, v in zip(params, arrays, versions):
        assert p._data is a  # same storage: views and the model see the update
        assert p._version == v + 1
        assert p.is_leaf and p.grad_fn is None and p.requires_grad


def test_params_without_grad_are_skipped():
    a, b = _params()
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = gradcli.ones_like(a)
    before = b._data.copy()
    opt.step()
    np.testing.assert_array_equal(b._data, before)
    assert b not in opt.state and b._version == 0
    assert opt.state[a]["step"] == 1


def test_param_groups_with_their_own_options():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b  # a lone tensor becomes a list
    a0, b0 = a._data.copy(), b._data.copy()
    _set_grads([a, b], 1.0)
    opt.step()
    np.testing.assert_allclose(a._data, a0 - 0.1, rtol=1e-6)
    np.testing.assert_allclose(b._data, b0 - 0.5, rtol=1e-6)
    assert a not in opt.state  # plain SGD keeps no state, as in PyTorch
    assert "momentum_buffer" in opt.state[b]


def test_add_param_group_takes_defaults_and_is_stepped():
    a, b = _params()
    opt = optim.Adam([a], lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": [b], "lr": 0.1})
    group = opt.param_groups[1]
    assert group["lr"] == 0.1 and group["betas"] == (0.8, 0.9) and group["eps"] == 1e-8
    _set_grads([a, b])
    b0 = b._data.copy()
    opt.step()
    # first Adam step moves each weight by lr (m_hat / sqrt(v_hat) = 1)
    np.testing.assert_allclose(b._data, b0 - 0.1, rtol=1e-5)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_adagrad_state_exists_from_construction_and_for_added_groups():
    a, b = _params()
    opt = optim.Adagrad([a], initial_accumulator_value=0.25)
    np.testing.assert_array_equal(opt.state[a]["sum"]._data, np.full((3, 4), 0.25, np.float32))
    opt.add_param_group({"params": [b], "initial_accumulator_value": 1.0})
    np.testing.assert_array_equal(opt.state[b]["sum"]._data, np.ones(4, np.float32))


def test_zero_grad_set_to_none():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    _set_grads(params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)
    opt.zero_grad()  # no gradients: nothing to do


def test_zero_grad_in_place_keeps_the_gradient_tensors():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    (params[0].sum() * 3 + params[1].sum()).backward()
    grads = [p.grad for p in params]
    arrays = [g._data for g in grads]
    opt.zero_grad(set_to_none=False)
    for p, g, a in zip(params, grads, arrays):
        assert p.grad is g and g._data is a
        np.testing.assert_array_equal(a, 0)
        assert not g.requires_grad
    # the next backward accumulates into the zeroed gradients
    (params[0].sum() * 2).backward()
    np.testing.assert_array_equal(params[0].grad._data, 2)


def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned():
    w = gradcli.tensor([1.0, -1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        calls.append(gradcli.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with gradcli.no_grad():  # e.g. an outer evaluation context
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == pytest.approx(2.0)
    np.testing.assert_allclose(w._data, [0.5, -0.5])  # w - 0.25 * 2w
    assert opt.step() is None


def test_step_leaves_grad_mode_alone():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    _set_grads(params)
    opt.step()
    assert gradcli.is_grad_enabled()


def test_repr_lists_the_groups():
    opt = optim.SGD(_params(), lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text and "params" not in text


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_hand_set_grad_of_another_dtype_keeps_state_in_the_params_dtype(make):
    params = _params()
    opt = make(params)
    for p in params:
        p.grad = gradcli.ones(*p.shape, dtype=gradcli.float64)
    opt.step()
    opt.step()
    for p in params:
        assert p._data.dtype == np.float32
        assert all(
            v._data.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "_data")
        )


def test_grad_of_the_wrong_shape_is_a_shape_error():
    p = gradcli.zeros(4, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = gradcli.ones(1)
    with pytest.raises(
        gradcli.errors.ShapeError, match=r"shape \(4,\) has a .grad of shape \(1,\)"
    ):
        opt.step()
