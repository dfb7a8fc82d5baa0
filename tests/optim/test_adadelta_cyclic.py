"""Adadelta, LambdaLR, MultiplicativeLR and CyclicLR: values recorded from PyTorch 2.14.1
(CPU, float64) for the same calls, a float64 loop written from the algorithm, float32 kept,
argument checks, state dict round trips, and the scheduler's hold on the optimizer's momentum."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gradcli
import gradcli.optim as optim
from gradcli.optim import lr_scheduler as sched

from .reference import WEIGHTS, run_gradcli, toy_grads

# fmt: off
# Adadelta on tests/optim/reference.py's toy problem (WEIGHTS, toy_grads), 6 steps: final weights
ADADELTA_DEFAULT = [[[-1.58411663138213, 0.0443579655687, 0.72107778279577, 0.17220864335515], [0.84391779346179, 2.89326224000784, -1.48027833528146, 0.96519766218621], [-1.6464747874371, 0.32405715235909, -0.49272466566524, 1.30394824170691]], [-0.84044976749662, 0.50018047445196, -1.28486597864308, -2.13939157563444]]  # noqa: E501
# Adadelta(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)
ADADELTA_OPTIONS = [[[-1.67936921120602, 0.13899973058654, 0.81484038969181, 0.07599939453569], [0.93752387526062, 2.98684267776157, -1.40122809224762, 0.87182835112499], [-1.74271105296099, 0.41920524874323, -0.58748054909787, 1.39787499485169]], [-0.93404244243693, 0.59906023759477, -1.19109745993238, -2.23411106769074]]  # noqa: E501
# get_last_lr() after construction and each of 12 steps, and param_groups[1]'s momentum (beta1)
# after each step, for two groups with lr 0.1 and 0.02 (see the tests for the calls)
TRI = [[0.01, 0.001], [0.039999999999999994, 0.004], [0.06999999999999999, 0.006999999999999999], [0.09999999999999999, 0.009999999999999998], [0.055, 0.0055], [0.01, 0.001], [0.04000000000000003, 0.0040000000000000036], [0.06999999999999999, 0.006999999999999999], [0.09999999999999999, 0.009999999999999998], [0.05500000000000005, 0.005500000000000005], [0.01, 0.001], [0.04000000000000003, 0.0040000000000000036], [0.06999999999999999, 0.006999999999999999]]  # noqa: E501
TRI_MOMENTUM = [0.8666666666666667, 0.7833333333333333, 0.7, 0.825, 0.95, 0.8666666666666666, 0.7833333333333333, 0.7, 0.8249999999999998, 0.95, 0.8666666666666666, 0.7833333333333333]  # noqa: E501
TRI2 = [[0.01, 0.01], [0.05500000000000001, 0.05500000000000001], [0.1, 0.1], [0.05500000000000001, 0.05500000000000001], [0.01, 0.01], [0.0325, 0.0325], [0.05500000000000001, 0.05500000000000001], [0.0325, 0.0325], [0.01, 0.01], [0.02125, 0.02125], [0.0325, 0.0325], [0.02125, 0.02125], [0.01, 0.01]]  # noqa: E501
TRI2_MOMENTUM = [0.8500000000000001, 0.8, 0.8500000000000001, 0.9, 0.875, 0.8500000000000001, 0.875, 0.9, 0.8875000000000001, 0.875, 0.8875000000000001, 0.9]  # noqa: E501
EXP = [[0.01, 0.01], [0.03700000000000001, 0.03700000000000001], [0.0586, 0.0586], [0.07561000000000001, 0.07561000000000001], [0.04936600000000002, 0.04936600000000002], [0.027714699999999988, 0.027714699999999988], [0.01, 0.01], [0.02434890700000003, 0.02434890700000003], [0.03582803259999999, 0.03582803259999999], [0.04486784401000001, 0.04486784401000001], [0.03092070640599999, 0.03092070640599999], [0.019414317882700018, 0.019414317882700018], [0.01, 0.01]]  # noqa: E501
EXP_BETA1 = [0.87, 0.8460000000000001, 0.8271000000000001, 0.85626, 0.880317, 0.9, 0.8840567699999999, 0.8713021860000001, 0.8612579511, 0.8767547706600001, 0.889539646797, 0.9]  # noqa: E501
LAMBDA = [[0.1, 0.02], [0.05, 0.01], [0.025, 0.006666666666666666], [0.0125, 0.005], [0.00625, 0.004], [0.003125, 0.003333333333333333], [0.0015625, 0.002857142857142857]]  # noqa: E501
# fmt: on


def ref_adadelta(ws, steps, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    """The algorithm as PyTorch's docs write it, one plain float64 loop."""
    ws = [w.astype(np.float64).copy() for w in ws]
    sq = [np.zeros_like(w) for w in ws]
    acc = [np.zeros_like(w) for w in ws]
    for _ in range(steps):
        for i, g in enumerate(toy_grads(ws)):
            g = (-g if maximize else g) + weight_decay * ws[i]
            sq[i] = rho * sq[i] + (1 - rho) * g * g
            delta = np.sqrt(acc[i] + eps) / np.sqrt(sq[i] + eps) * g
            acc[i] = rho * acc[i] + (1 - rho) * delta * delta
            ws[i] = ws[i] - lr * delta
    return ws


@pytest.mark.parametrize(
    "kwargs, recorded",
    [({}, ADADELTA_DEFAULT),
     ({"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True},
      ADADELTA_OPTIONS)],
)  # fmt: skip
def test_adadelta_matches_pytorch_and_the_algorithm(kwargs, recorded):
    params, opt = run_gradcli(lambda ps: optim.Adadelta(ps, **kwargs), 6)
    for p, want, ref in zip(params, recorded, ref_adadelta(WEIGHTS, 6, **kwargs)):
        np.testing.assert_allclose(p.detach().numpy(), want, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-12, atol=1e-13)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 6 and set(state) == {"step", "square_avg", "acc_delta"}


def test_adadelta_float32_and_state_dict_round_trip():
    params, opt = run_gradcli(lambda ps: optim.Adadelta(ps, lr=0.7), 3, dtype=np.float32)
    assert all(p.dtype == gradcli.float32 for p in params)
    assert opt.state[params[0]]["acc_delta"].dtype == gradcli.float32
    ref = ref_adadelta(WEIGHTS, 3, lr=0.7)
    np.testing.assert_allclose(params[0].detach().numpy(), ref[0], rtol=1e-5, atol=1e-6)
    copies = [gradcli.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    other = optim.Adadelta(copies, lr=0.7)
    other.load_state_dict(opt.state_dict())
    for o, group in ((opt, params), (other, copies)):
        for p, g in zip(group, toy_grads([q.detach().numpy().astype(np.float64) for q in group])):
            p.grad = gradcli.tensor(g.astype(np.float32))
        o.step()
    for a, b in zip(params, copies):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1}, "Invalid learning rate: -1"), ({"rho": 1.5}, "Invalid rho value: 1.5"),
     ({"rho": -0.1}, "Invalid rho value: -0.1"), ({"eps": -1e-6}, "Invalid epsilon value"),
     ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1")],
)  # fmt: skip
def test_adadelta_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adadelta([gradcli.zeros(2, requires_grad=True)], **kwargs)


def _opt(kind="SGD", **kwargs):
    groups = [
        {"params": [gradcli.zeros(1, requires_grad=True)], "lr": 0.1},
        {"params": [gradcli.zeros(1, requires_grad=True)], "lr": 0.02},
    ]
    return getattr(optim, kind)(groups, **kwargs)


def _run(scheduler, n, key=None):
    """get_last_lr() after construction and each (optimizer, scheduler) step, and group 1's
    momentum (or beta1) after each step."""
    lrs, momenta = [scheduler.get_last_lr()], []
    for _ in range(n):
        scheduler.optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
        group = scheduler.optimizer.param_groups[1]
        if key is not None:
            momenta.append(group["momentum"] if key == "momentum" else group["betas"][0])
    return lrs, momenta


def _approx(expected):
    return [pytest.approx(row, rel=1e-13, abs=1e-16) for row in expected]


def test_cyclic_triangular_per_group_and_momentum_match_pytorch():
    opt = _opt(momentum=0.9)
    s = sched.CyclicLR(opt, [0.01, 0.001], [0.1, 0.01], step_size_up=3, step_size_down=2,
                       base_momentum=[0.8, 0.7], max_momentum=[0.9, 0.95])  # fmt: skip
    # construction sets the lr to base_lr and the momentum to max_momentum
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.001]
    lrs, momenta = _run(s, 12, "momentum")
    assert lrs == _approx(TRI)
    assert momenta == pytest.approx(TRI_MOMENTUM, rel=1e-13)


def test_cyclic_triangular2_gives_sgd_without_momentum_one_as_pytorch():
    opt = _opt()  # momentum=0, but "momentum" is one of SGD's options: CyclicLR cycles it
    lrs, momenta = _run(sched.CyclicLR(opt, 0.01, 0.1, step_size_up=2, mode="triangular2"), 12,
                        "momentum")  # fmt: skip
    assert lrs == _approx(TRI2)
    assert momenta == pytest.approx(TRI2_MOMENTUM, rel=1e-13)


def test_cyclic_exp_range_cycles_adams_beta1_like_pytorch():
    opt = _opt("Adam")
    s = sched.CyclicLR(opt, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9)
    lrs, beta1 = _run(s, 12, "betas")
    assert lrs == _approx(EXP)
    assert beta1 == pytest.approx(EXP_BETA1, rel=1e-13)
    assert opt.param_groups[0]["betas"][1] == 0.999  # beta2 untouched


def test_cyclic_custom_scale_fn_and_momentum_needs():
    opt = _opt("Adadelta")
    with pytest.raises(ValueError, match="must support momentum or beta1 .* cycle_momentum=False"):
        sched.CyclicLR(opt, 0.01, 0.1)
    s = sched.CyclicLR(opt, 0.0, 1.0, step_size_up=2, cycle_momentum=False,
                       scale_fn=lambda x: 0.5**x, scale_mode="iterations")  # fmt: skip
    lrs, _ = _run(s, 4)
    assert [row[0] for row in lrs] == pytest.approx([0.0, 0.25, 0.25, 0.0625, 0.0])
    with pytest.raises(ValueError, match="mode 'square' is invalid"):
        sched.CyclicLR(_opt(), 0.01, 0.1, mode="square")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        sched.CyclicLR(_opt(), 0.01, [0.1, 0.2, 0.3])


def test_cyclic_drives_the_optimizers_step():
    # the lr and momentum the scheduler sets are the ones the next SGD step uses
    p = gradcli.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    s = sched.CyclicLR(opt, 0.1, 0.3, step_size_up=1)
    p.grad = gradcli.tensor([1.0])
    opt.step()  # lr 0.1, first momentum step: the buffer is the gradient
    assert p.item() == pytest.approx(0.9)
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.3)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.8)
    opt.step()  # buffer 0.8 * 1 + 1 = 1.8, times lr 0.3
    assert p.item() == pytest.approx(0.9 - 0.54)


def test_lambda_lr_matches_pytorch_and_multiplicative_lr():
    s = sched.LambdaLR(_opt(), [lambda e: 0.5**e, lambda e: 1 / (e + 1)])
    assert _run(s, 6)[0] == _approx(LAMBDA)
    m = sched.MultiplicativeLR(_opt(), lambda e: 0.5)
    assert _run(m, 3)[0] == _approx([[0.1, 0.02], [0.05, 0.01], [0.025, 0.005], [0.0125, 0.0025]])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(_opt(), [lambda e: 1.0])


class Halving:
    """A callable object: its attributes are saved in the scheduler's state dict."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor**epoch


def test_lambda_state_dict_saves_callable_objects_not_functions():
    fn = Halving()
    s = sched.LambdaLR(_opt(), [fn, lambda e: 1.0])
    _run(s, 2)
    fn.factor = 0.25
    state = json.loads(json.dumps(s.state_dict()))
    assert state["lr_lambdas"] == [{"factor": 0.25}, None] and state["last_epoch"] == 2
    fn2 = Halving()
    other = sched.LambdaLR(_opt(), [fn2, lambda e: 1.0])
    other.load_state_dict(state)
    assert fn2.factor == 0.25 and other.last_epoch == 2


@pytest.mark.parametrize(
    "make",
    [lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
     lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="exp_range", gamma=0.8),
     lambda o: sched.LambdaLR(o, lambda e: 0.9**e)],
)  # fmt: skip
def test_state_dict_round_trip_through_json(make):
    opt_a = _opt(momentum=0.9)
    s_a = make(opt_a)
    _run(s_a, 5)
    opt_sd = json.loads(json.dumps(opt_a.state_dict()))
    s_sd = json.loads(json.dumps(s_a.state_dict()))
    opt_b = _opt(momentum=0.9)
    s_b = make(opt_b)
    opt_b.load_state_dict(opt_sd)
    s_b.load_state_dict(s_sd)
    for _ in range(6):
        assert s_b.get_last_lr() == s_a.get_last_lr()
        assert [g["momentum"] for g in opt_b.param_groups] == [
            g["momentum"] for g in opt_a.param_groups
        ]
        _run(s_a, 1)
        _run(s_b, 1)
