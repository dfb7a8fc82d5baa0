"""Optimizer state dicts: PyTorch's layout, exact resumption, private copies, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gradcli
import gradcli.optim as optim

from .reference import ALL, ALL_IDS, WEIGHTS, feed_grads


def _params(dtype=np.float32):
    return [gradcli.tensor(w.astype(dtype), requires_grad=True) for w in WEIGHTS]


def _copies(params):
    return [gradcli.tensor(p._data.copy(), requires_grad=True) for p in params]


def _steps(opt, params, n):
    for _ in range(n):
        feed_grads(params)
        opt.step()


def _assert_same_run(opt_a, params_a, opt_b, params_b, steps=4):
    """Continue both optimizers; every weight and state array must stay bit-identical."""
    _steps(opt_a, params_a, steps)
    _steps(opt_b, params_b, steps)
    for pa, pb in zip(params_a, params_b):
        assert np.array_equal(pa._data, pb._data)
        sa, sb = opt_a.state[pa], opt_b.state[pb]
        assert sa.keys() == sb.keys()
        for key in sa:
            va, vb = sa[key], sb[key]
            if isinstance(va, gradcli.Tensor):
                assert np.array_equal(va._data, vb._data), key
            else:
                assert va == vb, key


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_resume_from_state_dict_is_bit_identical(make):
    params_a = _params()
    opt_a = make(params_a)
    _steps(opt_a, params_a, 3)
    sd = opt_a.state_dict()

    params_b = _copies(params_a)
    opt_b = make(params_b)
    opt_b.param_groups[0]["lr"] = 123.0  # overwritten by the load
    opt_b.load_state_dict(sd)
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    assert opt_b.param_groups[0]["params"][0] is params_b[0]
    for pa, pb in zip(params_a, params_b):
        for key, value in opt_b.state[pb].items():
            if isinstance(value, gradcli.Tensor):  # copied, never aliased
                assert not np.shares_memory(value._data, opt_a.state[pa][key]._data)
    # opt_a's steps change the arrays inside `sd`; opt_b must not notice
    _assert_same_run(opt_a, params_a, opt_b, params_b)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_resume_after_a_round_trip_through_numpy_and_json(make):
    """The shape a checkpoint gives back: arrays, 0-d steps, JSON param groups, string keys."""
    params_a = _params()
    opt_a = make(params_a)
    _steps(opt_a, params_a, 2)
    sd = opt_a.state_dict()
    saved = {
        "state": {
            str(i): {
                k: v._data.copy() if isinstance(v, gradcli.Tensor) else np.asarray(float(v))
                for k, v in entry.items()
            }
            for i, entry in sd["state"].items()
        },
        "param_groups": json.loads(json.dumps(sd["param_groups"])),
    }
    params_b = _copies(params_a)
    opt_b = make(params_b)
    opt_b.load_state_dict(saved)
    for pb in params_b:
        for key, value in opt_b.state[pb].items():
            assert isinstance(value, gradcli.Tensor) or type(value) is int, key
    if "betas" in opt_a.param_groups[0]:
        assert opt_b.param_groups[0]["betas"] == opt_a.param_groups[0]["betas"]
        assert isinstance(opt_b.param_groups[0]["betas"], tuple)
    _assert_same_run(opt_a, params_a, opt_b, params_b)


def test_layout_is_pytorchs():
    a, b, c = (gradcli.zeros(2, requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a]}, {"params": [b, c], "lr": 0.1}], lr=0.01)
    for p in (a, c):
        p.grad = gradcli.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.01, 0.1]
    assert set(sd["state"]) == {0, 2}  # b never had a gradient
    entry = sd["state"][2]
    assert set(entry) == {"step", "exp_avg", "exp_avg_sq"}
    assert entry["step"] == 1 and type(entry["step"]) is int
    assert isinstance(entry["exp_avg"], gradcli.Tensor)
    # the groups in the dict are copies: editing them does not reach the optimizer
    sd["param_groups"][0]["lr"] = 5.0
    assert opt.param_groups[0]["lr"] == 0.01


def test_load_casts_state_to_the_params_dtype():
    params_a = _params(np.float64)
    opt_a = optim.Adam(params_a, lr=0.1)
    _steps(opt_a, params_a, 2)
    params_b = _params(np.float32)
    opt_b = optim.Adam(params_b, lr=0.1)
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.state[params_b[0]]["exp_avg"]._data.dtype == np.float32


def test_adamw_stays_decoupled_after_load():
    p = gradcli.zeros(2, requires_grad=True)
    sd = optim.Adam([p]).state_dict()
    opt = optim.AdamW([gradcli.zeros(2, requires_grad=True)])
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_loading_switches_options_on_with_fresh_state():
    """A state saved without amsgrad/momentum loaded into groups asking for them still steps."""
    params = _params()
    opt = optim.Adam(params, lr=0.1)
    _steps(opt, params, 1)
    sd = opt.state_dict()
    sd["param_groups"][0]["amsgrad"] = True
    opt.load_state_dict(sd)
    _steps(opt, params, 1)
    assert "max_exp_avg_sq" in opt.state[params[0]]


def _opt(n_groups=1, sizes=(2,), shape=(2,)):
    groups = [
        {"params": [gradcli.zeros(*shape, requires_grad=True) for _ in range(sizes[i])]}
        for i in range(n_groups)
    ]
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def _stepped(opt):
    for g in opt.param_groups:
        for p in g["params"]:
            p.grad = gradcli.ones_like(p)
    opt.step()
    return opt


def test_error_on_different_number_of_groups():
    sd = _opt(1, (2,)).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups: 1 saved, 2 in"):
        _opt(2, (1, 1)).load_state_dict(sd)


def test_error_on_group_size_mismatch():
    sd = _opt(1, (3,)).state_dict()
    with pytest.raises(
        ValueError,
        match="doesn't match the size of optimizer's group: group 0 has 3 parameters in the "
        "state dict but 2 in this SGD",
    ):
        _opt(1, (2,)).load_state_dict(sd)


def test_error_on_shape_mismatch():
    sd = _stepped(_opt(shape=(3,))).state_dict()
    with pytest.raises(ValueError, match=r"'momentum_buffer' of shape \(3,\) for parameter 0"):
        _opt(shape=(2,)).load_state_dict(sd)


def test_error_on_malformed_dicts():
    opt = _opt()
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    sd = _stepped(_opt()).state_dict()
    sd["state"][7] = sd["state"][0]
    with pytest.raises(ValueError, match="state for parameter 7, which is in none of its"):
        opt.load_state_dict(sd)


def test_failed_load_leaves_the_optimizer_untouched():
    opt = _stepped(_opt())
    before = opt.state_dict()
    sd = _stepped(_opt(shape=(3,))).state_dict()
    with pytest.raises(ValueError):
        opt.load_state_dict(sd)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"].keys() == before["state"].keys()
