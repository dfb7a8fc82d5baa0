"""N optimizer steps and schedule sequences against PyTorch itself (skipped without torch)."""

from __future__ import annotations

import numpy as np
import pytest

import gradcli
import gradcli.optim as optim
from gradcli.optim import lr_scheduler

from .reference import WEIGHTS, run_gradcli, toy_grads

torch = pytest.importorskip("torch")

CONFIGS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.6), "maximize": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.2}),
]


def _torch_run(name, kwargs, steps, dtype):
    params = [torch.tensor(w.astype(dtype), requires_grad=True) for w in WEIGHTS]
    opt = getattr(torch.optim, name)(params, foreach=False, **kwargs)
    for _ in range(steps):
        grads = toy_grads([p.detach().numpy().astype(np.float64) for p in params])
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g.astype(dtype))
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_steps_match_torch(name, kwargs, dtype):
    ours, _ = run_gradcli(lambda ps: getattr(optim, name)(ps, **kwargs), 25, dtype=dtype)
    theirs = _torch_run(name, kwargs, 25, dtype)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p._data, t, rtol=tol, atol=tol)


def test_schedules_match_torch():
    def build(lib, opt):
        return lib.SequentialLR(
            opt,
            [
                lib.LinearLR(opt, start_factor=0.1, total_iters=4),
                lib.CosineAnnealingLR(opt, T_max=7, eta_min=1e-4),
                lib.StepLR(opt, step_size=3, gamma=0.3),
            ],
            milestones=[4, 15],
        )

    ours_opt = optim.SGD([gradcli.zeros(1, requires_grad=True)], lr=0.3, momentum=0.9)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3, momentum=0.9)
    ours, theirs = build(lr_scheduler, ours_opt), build(torch.optim.lr_scheduler, theirs_opt)
    for _ in range(30):
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
        assert ours.get_last_lr() == theirs.get_last_lr()
