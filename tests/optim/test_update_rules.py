"""Each optimizer's update rule against an independent float64 reference, option by option."""

from __future__ import annotations

import numpy as np
import pytest

import gradcli
import gradcli.optim as optim

from .reference import (
    WEIGHTS,
    ref_adagrad,
    ref_adam,
    ref_rmsprop,
    ref_sgd,
    run_gradcli,
    toy_grads,
)

STEPS = 12


def _adam_ref(decoupled):
    def ref(ws, grad_fn, steps, **kw):
        return ref_adam(ws, grad_fn, steps, decoupled=decoupled, **kw)

    return ref


# (optimizer class, its kwargs, reference, the reference's kwargs)
CASES = [
    (optim.SGD, {"lr": 0.1}, ref_sgd, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9}, ref_sgd, {"lr": 0.05, "momentum": 0.9}),
    (
        optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1},
        ref_sgd,
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1},
    ),
    (
        optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        ref_sgd,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    ),
    (
        optim.SGD,
        {"lr": 0.01, "momentum": 0.5, "maximize": True, "weight_decay": 0.2},
        ref_sgd,
        {"lr": 0.01, "momentum": 0.5, "maximize": True, "weight_decay": 0.2},
    ),
    (optim.Adam, {"lr": 0.05}, _adam_ref(False), {"lr": 0.05}),
    (
        optim.Adam,
        {"lr": 0.05, "betas": (0.3, 0.8), "eps": 1e-3, "weight_decay": 0.1},
        _adam_ref(False),
        {"lr": 0.05, "betas": (0.3, 0.8), "eps": 1e-3, "weight_decay": 0.1},
    ),
    (
        optim.Adam,
        {"lr": 0.05, "amsgrad": True, "maximize": True},
        _adam_ref(False),
        {"lr": 0.05, "amsgrad": True, "maximize": True},
    ),
    (
        optim.Adam,
        {"lr": 0.05, "weight_decay": 0.3, "decoupled_weight_decay": True},
        _adam_ref(True),
        {"lr": 0.05, "weight_decay": 0.3},
    ),
    (optim.AdamW, {"lr": 0.05}, _adam_ref(True), {"lr": 0.05, "weight_decay": 1e-2}),
    (
        optim.AdamW,
        {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "maximize": True},
        _adam_ref(True),
        {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "maximize": True},
    ),
    (optim.RMSprop, {"lr": 0.01}, ref_rmsprop, {"lr": 0.01}),
    (
        optim.RMSprop,
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "weight_decay": 0.1},
        ref_rmsprop,
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "weight_decay": 0.1},
    ),
    (
        optim.RMSprop,
        {"lr": 0.01, "centered": True, "eps": 1e-4},
        ref_rmsprop,
        {"lr": 0.01, "centered": True, "eps": 1e-4},
    ),
    (
        optim.RMSprop,
        {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True},
        ref_rmsprop,
        {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True},
    ),
    (optim.Adagrad, {"lr": 0.1}, ref_adagrad, {"lr": 0.1}),
    (
        optim.Adagrad,
        {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
        ref_adagrad,
        {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
    ),
    (
        optim.Adagrad,
        {"lr": 0.1, "eps": 1e-3, "maximize": True},
        ref_adagrad,
        {"lr": 0.1, "eps": 1e-3, "maximize": True},
    ),
]
IDS = [f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, kw, _, _ in CASES]


@pytest.mark.parametrize(("cls", "kwargs", "ref", "ref_kwargs"), CASES, ids=IDS)
def test_matches_reference_in_float64(cls, kwargs, ref, ref_kwargs):
    params, _ = run_gradcli(lambda ps: cls(ps, **kwargs), STEPS)
    expected = ref(WEIGHTS, toy_grads, STEPS, **ref_kwargs)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._data, e, rtol=1e-10, atol=1e-12)
    # and the weights did move
    assert not np.allclose(params[0]._data, WEIGHTS[0])


@pytest.mark.parametrize(("cls", "kwargs", "ref", "ref_kwargs"), CASES, ids=IDS)
def test_float32_stays_close_to_reference(cls, kwargs, ref, ref_kwargs):
    params, _ = run_gradcli(lambda ps: cls(ps, **kwargs), STEPS, dtype=np.float32)
    expected = ref(WEIGHTS, toy_grads, STEPS, **ref_kwargs)
    for p, e in zip(params, expected):
        assert p._data.dtype == np.float32
        np.testing.assert_allclose(p._data, e, rtol=2e-5, atol=2e-5)


def _linear_problem():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3
    return x, y


def _linear_grads(x, y):
    def grads(ws):
        w, b = ws
        r = x @ w + b - y
        return [2 * x.T @ r / len(x), 2 * r.sum(axis=0) / len(x)]

    return grads


@pytest.mark.parametrize(
    ("make", "ref"),
    [
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda *a: ref_sgd(*a, 0.1, 0.9)),
        (lambda ps: optim.Adam(ps, lr=0.1), lambda *a: ref_adam(*a, lr=0.1)),
        (
            lambda ps: optim.AdamW(ps, lr=0.1),
            lambda *a: ref_adam(*a, lr=0.1, weight_decay=1e-2, decoupled=True),
        ),
        (lambda ps: optim.RMSprop(ps, lr=0.01), lambda *a: ref_rmsprop(*a, lr=0.01)),
        (lambda ps: optim.Adagrad(ps, lr=0.5), lambda *a: ref_adagrad(*a, lr=0.5)),
    ],
    ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"],
)
def test_tiny_linear_model_with_autograd(make, ref):
    """Gradients from backward(), zero_grad between steps: same path as a training loop."""
    x, y = _linear_problem()
    w0 = [np.zeros((3, 1)), np.zeros(1)]
    w = gradcli.tensor(w0[0], dtype=gradcli.float64, requires_grad=True)
    b = gradcli.tensor(w0[1], dtype=gradcli.float64, requires_grad=True)
    opt = make([w, b])
    xt, yt = gradcli.tensor(x), gradcli.tensor(y)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        r = xt @ w + b - yt
        loss = (r * r).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    expected = ref(w0, _linear_grads(x, y), 20)
    np.testing.assert_allclose(w._data, expected[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b._data, expected[1], rtol=1e-10, atol=1e-12)
    assert losses[-1] < losses[0]


def test_adamw_defaults_to_decoupled_weight_decay_of_1e_2():
    p = gradcli.zeros(2, requires_grad=True)
    opt = optim.AdamW([p])
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2
    assert group["decoupled_weight_decay"] is True
    assert optim.Adam([gradcli.zeros(1, requires_grad=True)]).defaults["weight_decay"] == 0


def test_adamw_decays_weights_even_with_zero_gradient():
    p = gradcli.tensor([1.0, -2.0], dtype=gradcli.float64, requires_grad=True)
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = gradcli.zeros(2, dtype=gradcli.float64)
    opt.step()
    # exp_avg is 0, so only the decoupled decay moves the weights
    np.testing.assert_allclose(p._data, [1.0 * 0.95, -2.0 * 0.95])


def test_sgd_first_momentum_step_is_plain_sgd_and_buffer_is_a_copy():
    p = gradcli.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    p.grad = gradcli.tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(p._data, [0.5, 1.5])
    buf = opt.state[p]["momentum_buffer"]
    assert buf._data is not p.grad._data
    p.grad._data[...] = 100.0  # changing the gradient afterwards must not touch the buffer
    np.testing.assert_array_equal(buf._data, [1.0, 1.0])


def test_gradients_are_never_modified():
    for cls, kwargs, _, _ in CASES:
        params = [gradcli.tensor(w, requires_grad=True) for w in WEIGHTS]
        opt = cls(params, **kwargs)
        for _ in range(2):
            grads = toy_grads([p._data for p in params])
            for p, g in zip(params, grads):
                p.grad = gradcli.tensor(g)
            opt.step()
            for p, g in zip(params, grads):
                np.testing.assert_array_equal(p.grad._data, g, err_msg=f"{cls.__name__}{kwargs}")


def test_update_functions_work_on_raw_arrays():
    p = np.array([1.0, 2.0], dtype=np.float32)
    g = np.array([0.5, -0.5], dtype=np.float32)
    buf = optim.sgd_update(
        p,
        g,
        None,
        lr=0.1,
        momentum=0.9,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        maximize=False,
    )
    np.testing.assert_allclose(p, [0.95, 2.05])
    np.testing.assert_array_equal(buf, g)
    assert p.dtype == buf.dtype == np.float32
