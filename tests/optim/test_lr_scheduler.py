"""LR schedules: the sequences PyTorch 2.13 produces, state dict round trips, argument checks.

The hard-coded sequences were produced by torch.optim.lr_scheduler for the same calls
(two param groups with lr 0.1 and 0.02); the simple schedules are checked against their
closed forms instead.
"""

from __future__ import annotations

import json
import math

import pytest

import gradcli
import gradcli.optim as optim
from gradcli.optim import lr_scheduler as sched

# fmt: off
COSINE = [[0.1, 0.02], [0.0905463412215599, 0.018185661446562], [0.06579634122155989, 0.013435661446562], [0.035203658778440096, 0.007564338553437999], [0.010453658778440105, 0.002814338553438], [0.001, 0.001], [0.010453658778440102, 0.002814338553437999], [0.03520365877844012, 0.007564338553438001], [0.06579634122155993, 0.013435661446562004], [0.09054634122155995, 0.01818566144656201], [0.10000000000000005, 0.020000000000000007], [0.09054634122155998, 0.018185661446562015], [0.06579634122155995, 0.013435661446562008]]  # noqa: E501
LINEAR = [[0.025, 0.005], [0.037500000000000006, 0.0075], [0.05, 0.009999999999999998], [0.0625, 0.012499999999999997], [0.075, 0.014999999999999996], [0.075, 0.014999999999999996], [0.075, 0.014999999999999996], [0.075, 0.014999999999999996]]  # noqa: E501
ONECYCLE = [[0.040000000000000036, 0.020000000000000018], [0.52, 0.26], [1.0, 0.5], [0.9504846320134737, 0.47524231600673683], [0.8117456539497631, 0.40587282697488153], [0.6112620219362893, 0.30563101096814466], [0.38874197806371075, 0.19437098903185537], [0.18825834605023697, 0.09412917302511849], [0.049519367986526286, 0.024759683993263143], [4e-06, 2e-06], [0.04951936798652623, 0.024759683993263115]]  # noqa: E501
ONECYCLE_MOMENTUM = [0.8999999999999999, 0.85, 0.854951556604879, 0.8688255099070633, 0.8888739533021842, 0.9111260466978157, 0.9311744900929366, 0.945048443395121, 0.95, 0.945048443395121]  # noqa: E501
ONECYCLE3 = [[0.1, 0.1], [0.55, 0.55], [1.0, 1.0], [0.55, 0.55], [0.09999999999999998, 0.09999999999999998], [0.08585714285714287, 0.08585714285714287], [0.07171428571428572, 0.07171428571428572], [0.05757142857142858, 0.05757142857142858], [0.043428571428571434, 0.043428571428571434], [0.02928571428571429, 0.02928571428571429], [0.015142857142857152, 0.015142857142857152], [0.0010000000000000009, 0.0010000000000000009], [-0.013142857142857137, -0.013142857142857137]]  # noqa: E501
ONECYCLE3_BETA1 = [0.8500000000000001, 0.8, 0.8500000000000001, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]  # noqa: E501
SEQUENTIAL = [[0.05, 0.01], [0.07500000000000001, 0.015], [0.1, 0.019999999999999997], [0.1, 0.02], [0.05, 0.01], [0.1, 0.02], [0.07500000000000001, 0.015], [0.025000000000000015, 0.005000000000000002], [0.0, 0.0], [0.024999999999999994, 0.004999999999999999], [0.07500000000000005, 0.015000000000000012]]  # noqa: E501
PLATEAU_METRICS = [1.0, 0.995, 0.99, 0.98, 0.98, 0.98, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
PLATEAU = [[0.1, 0.02], [0.1, 0.02], [0.05, 0.02], [0.05, 0.02], [0.05, 0.02], [0.03, 0.02], [0.03, 0.02], [0.03, 0.02], [0.03, 0.02], [0.03, 0.02], [0.03, 0.02], [0.03, 0.02], [0.03, 0.02]]  # noqa: E501
PLATEAU_MAX_METRICS = [1.0, 1.4, 2.0, 2.0, 3.0, 1.0]
PLATEAU_MAX = [[0.1, 0.02], [0.010000000000000002, 0.002], [0.010000000000000002, 0.002], [0.0010000000000000002, 0.001], [0.0010000000000000002, 0.001], [0.00010000000000000003, 0.001]]  # noqa: E501
# fmt: on


def _opt(kind="SGD", **kwargs):
    groups = [
        {"params": [gradcli.zeros(1, requires_grad=True)], "lr": 0.1},
        {"params": [gradcli.zeros(1, requires_grad=True)], "lr": 0.02},
    ]
    return getattr(optim, kind)(groups, **kwargs)


def _run(scheduler, n):
    """get_last_lr() after construction and after each of `n` (optimizer, scheduler) steps."""
    lrs = [scheduler.get_last_lr()]
    for _ in range(n):
        scheduler.optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    return lrs


def _approx(expected):
    return [pytest.approx(row, rel=1e-13, abs=1e-16) for row in expected]


def test_step_lr_closed_form():
    s = sched.StepLR(_opt(), step_size=3, gamma=0.5)
    for epoch, lrs in enumerate(_run(s, 10)):
        assert lrs == pytest.approx([0.1 * 0.5 ** (epoch // 3), 0.02 * 0.5 ** (epoch // 3)])
    assert s.last_epoch == 10


def test_multi_step_lr_with_a_repeated_milestone():
    s = sched.MultiStepLR(_opt(), milestones=[5, 2, 5], gamma=0.1)
    powers = [0, 0, 1, 1, 1, 3, 3, 3]
    for lrs, k in zip(_run(s, 7), powers):
        assert lrs == pytest.approx([0.1 * 0.1**k, 0.02 * 0.1**k], rel=1e-12)


def test_exponential_lr_closed_form():
    s = sched.ExponentialLR(_opt(), gamma=0.9)
    for epoch, lrs in enumerate(_run(s, 8)):
        assert lrs == pytest.approx([0.1 * 0.9**epoch, 0.02 * 0.9**epoch], rel=1e-12)


def test_cosine_annealing_matches_torch_and_the_closed_form():
    s = sched.CosineAnnealingLR(_opt(), T_max=5, eta_min=0.001)
    lrs = _run(s, 12)
    assert lrs == _approx(COSINE)
    for t, row in enumerate(lrs):
        closed = [0.001 + (b - 0.001) * (1 + math.cos(math.pi * t / 5)) / 2 for b in (0.1, 0.02)]
        assert row == pytest.approx(closed, rel=1e-12)


def test_cosine_resumed_with_last_epoch_continues_from_the_current_lr_like_torch():
    opt = _opt()
    for group in opt.param_groups:
        group["initial_lr"] = group["lr"]
    s = sched.CosineAnnealingLR(opt, T_max=5, eta_min=0.001, last_epoch=2)
    assert s.last_epoch == 3 and s.get_last_lr() == [0.1, 0.02]  # construction keeps the lr
    s.step()
    assert s.get_last_lr()[0] == pytest.approx(0.02836292702275209, rel=1e-13)  # torch's value
    s.step()
    assert s.get_last_lr() == pytest.approx([0.001, 0.001], rel=1e-13)


def test_linear_warmup_matches_torch():
    s = sched.LinearLR(_opt(), start_factor=0.25, end_factor=0.75, total_iters=4)
    assert _run(s, 7) == _approx(LINEAR)


def test_one_cycle_cos_cycles_momentum_like_torch():
    opt = _opt(momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=10)
    assert opt.param_groups[0]["momentum"] == 0.95  # starts at max_momentum
    lrs, momenta = [s.get_last_lr()], []
    for _ in range(10):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr())
        momenta.append(opt.param_groups[0]["momentum"])
    assert lrs == _approx(ONECYCLE)
    assert momenta == pytest.approx(ONECYCLE_MOMENTUM, rel=1e-13)
    assert opt.param_groups[0]["max_lr"] == 1.0 and opt.param_groups[1]["max_lr"] == 0.5
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total"):
        s.step()


def test_one_cycle_three_phase_linear_cycles_adams_beta1():
    opt = _opt("Adam")
    s = sched.OneCycleLR(
        opt,
        max_lr=1.0,
        epochs=3,
        steps_per_epoch=4,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
        final_div_factor=100.0,
        base_momentum=0.8,
        max_momentum=0.9,
    )
    lrs, betas = [s.get_last_lr()], []
    for _ in range(12):
        s.step()
        lrs.append(s.get_last_lr())
        betas.append(opt.param_groups[0]["betas"][0])
    assert lrs == _approx(ONECYCLE3)
    assert betas == pytest.approx(ONECYCLE3_BETA1, rel=1e-13)
    assert opt.param_groups[0]["betas"][1] == 0.999  # beta2 untouched


def test_one_cycle_without_momentum_needs_cycle_momentum_false():
    with pytest.raises(ValueError, match="must support momentum or beta1.*cycle_momentum=False"):
        sched.OneCycleLR(_opt("Adagrad"), max_lr=0.1, total_steps=10)
    s = sched.OneCycleLR(_opt("Adagrad"), max_lr=0.1, total_steps=10, cycle_momentum=False)
    assert s.get_last_lr() == pytest.approx([0.004, 0.004])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "You must define either total_steps OR \\(epochs AND steps_per_epoch\\)"),
        ({"total_steps": 0}, "Expected positive integer total_steps, but got 0"),
        ({"epochs": 2, "steps_per_epoch": 2.5}, "Expected positive integer steps_per_epoch"),
        ({"total_steps": 10, "pct_start": 1.5}, "Expected float between 0 and 1 pct_start"),
        ({"total_steps": 10, "anneal_strategy": "exp"}, "anneal_strategy must be one of"),
        ({"total_steps": 10, "max_lr": [1.0]}, "max_lr must have the same length as"),
    ],
)
def test_one_cycle_argument_checks(kwargs, message):
    kwargs = {"max_lr": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        sched.OneCycleLR(_opt(momentum=0.9), **kwargs)


def test_sequential_lr_matches_torch():
    opt = _opt()
    warmup = sched.LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = sched.ExponentialLR(opt, gamma=0.5)
    cosine = sched.CosineAnnealingLR(opt, T_max=3)
    s = sched.SequentialLR(opt, [warmup, decay, cosine], milestones=[3, 5])
    assert _run(s, 10) == _approx(SEQUENTIAL)


def test_sequential_lr_argument_checks():
    opt = _opt()
    a = sched.ExponentialLR(opt, gamma=0.5)
    with pytest.raises(ValueError, match="expects number of schedulers provided to be one more"):
        sched.SequentialLR(opt, [a], milestones=[3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched.SequentialLR(opt, [a, sched.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(ValueError, match="to belong to the same optimizer"):
        sched.SequentialLR(opt, [a, sched.ExponentialLR(_opt(), gamma=0.5)], milestones=[3])
    with pytest.raises(ValueError, match="at least one scheduler"):
        sched.SequentialLR(opt, [], milestones=[])


def test_reduce_on_plateau_min_rel_with_cooldown_and_min_lr():
    s = sched.ReduceLROnPlateau(
        _opt(), factor=0.5, patience=1, cooldown=1, min_lr=0.03, threshold=0.01
    )
    out = []
    for metric in PLATEAU_METRICS:
        s.step(metric)
        out.append(s.get_last_lr())
    assert out == _approx(PLATEAU)


def test_reduce_on_plateau_max_abs_with_per_group_min_lr_and_tensor_metric():
    s = sched.ReduceLROnPlateau(
        _opt(),
        mode="max",
        factor=0.1,
        patience=0,
        threshold=0.5,
        threshold_mode="abs",
        min_lr=[0.0, 0.001],
    )
    out = []
    for metric in PLATEAU_MAX_METRICS:
        s.step(gradcli.tensor(metric))  # a 0-d tensor (e.g. a loss) works like a float
        out.append(s.get_last_lr())
    assert out == _approx(PLATEAU_MAX)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 1.0}, "Factor should be < 1.0"),
        ({"mode": "median"}, "mode median is unknown"),
        ({"threshold_mode": "pct"}, "threshold mode pct is unknown"),
        ({"min_lr": [0.1]}, "expected 2 min_lrs, got 1"),
    ],
)
def test_reduce_on_plateau_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sched.ReduceLROnPlateau(_opt(), **kwargs)


def test_get_last_lr_is_a_copy_and_base_lrs_are_the_initial_lrs():
    opt = _opt()
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    s.get_last_lr().append(99.0)
    assert s.get_last_lr() == [0.1, 0.02]
    s.step()
    assert s.base_lrs == [0.1, 0.02]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.01])


def test_resuming_needs_initial_lr_in_the_groups():
    with pytest.raises(KeyError, match="initial_lr' is not specified in param_groups\\[0\\]"):
        sched.StepLR(_opt(), step_size=2, last_epoch=4)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=2)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        sched.StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be positive"):
        sched.CosineAnnealingLR(_opt(), T_max=0)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        sched.LinearLR(_opt(), start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        sched.LinearLR(_opt(), end_factor=1.5)


SCHEDULES = {
    "StepLR": lambda o: sched.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda o: sched.MultiStepLR(o, milestones=[1, 4, 4], gamma=0.5),
    "ExponentialLR": lambda o: sched.ExponentialLR(o, gamma=0.7),
    "CosineAnnealingLR": lambda o: sched.CosineAnnealingLR(o, T_max=4, eta_min=0.001),
    "LinearLR": lambda o: sched.LinearLR(o, start_factor=0.2, total_iters=6),
    "OneCycleLR": lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=12),
    "OneCycleLR-adam": lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=12, three_phase=True),
    "SequentialLR": lambda o: sched.SequentialLR(
        o,
        [sched.LinearLR(o, start_factor=0.1, total_iters=3), sched.CosineAnnealingLR(o, T_max=5)],
        milestones=[3],
    ),
    "ReduceLROnPlateau": lambda o: sched.ReduceLROnPlateau(o, patience=1, cooldown=1),
}
METRICS = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4]


def _advance(s, n, start=0):
    for i in range(n):
        if isinstance(s, sched.ReduceLROnPlateau):
            s.step(METRICS[start + i])
        else:
            s.optimizer.step()
            s.step()


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_scheduler_state_dict_round_trip_through_json(name):
    kind = "Adam" if name.endswith("adam") else "SGD"
    opt_a = _opt(kind, **({"momentum": 0.9} if kind == "SGD" else {}))
    s_a = SCHEDULES[name](opt_a)
    _advance(s_a, 5)
    opt_sd = json.loads(json.dumps(opt_a.state_dict()))  # no state: nothing stepped
    s_sd = json.loads(json.dumps(s_a.state_dict()))
    assert "optimizer" not in s_sd and s_sd["last_epoch"] == 5

    opt_b = _opt(kind, **({"momentum": 0.9} if kind == "SGD" else {}))
    s_b = SCHEDULES[name](opt_b)
    opt_b.load_state_dict(opt_sd)
    s_b.load_state_dict(s_sd)
    assert s_b.get_last_lr() == s_a.get_last_lr()
    for i in range(5, 11):
        _advance(s_a, 1, i)
        _advance(s_b, 1, i)
        assert s_b.get_last_lr() == s_a.get_last_lr()
        for ga, gb in zip(opt_a.param_groups, opt_b.param_groups):
            assert {k: v for k, v in ga.items() if k != "params"} == {
                k: v for k, v in gb.items() if k != "params"
            }


def test_scheduler_state_dict_is_a_copy_and_rejects_foreign_keys():
    s = sched.MultiStepLR(_opt(), milestones=[2, 3])
    sd = s.state_dict()
    sd["milestones"].append(1)
    assert s.milestones == [2, 3]
    with pytest.raises(ValueError, match="unexpected keys \\['T_max'\\]"):
        s.load_state_dict({**sd, "T_max": 3})
