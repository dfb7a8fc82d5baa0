"""Adagrad (Duchi et al.): per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from gradcli.backend import get_array_module
from gradcli.optim._inplace import addcdiv_, addcmul_, effective_grad
from gradcli.optim.optimizer import Optimizer, check_non_negative, state_zeros


def adagrad_update(
    param,
    grad,
    state_sum,
    *,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step on raw arrays, in place on `param` and `state_sum`.

    `step` is the 1-based count including this step.
    """
    xp = get_array_module(param)
    g, _ = effective_grad(param, grad, weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    scratch = xp.empty_like(param)
    addcmul_(state_sum, 1.0, g, g, scratch)
    std = xp.sqrt(state_sum)
    std += eps
    addcdiv_(param, -clr, g, std, scratch)


class Adagrad(Optimizer):
    """Adagrad, PyTorch's formulation (the state exists from construction, as in PyTorch).

    >>> opt = Adagrad(model.parameters(), lr=1e-2, initial_accumulator_value=0.1)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        check_non_negative(lr, "learning rate")
        check_non_negative(lr_decay, "lr_decay value")
        check_non_negative(weight_decay, "weight_decay value")
        check_non_negative(initial_accumulator_value, "initial_accumulator_value value")
        check_non_negative(eps, "epsilon value")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = {
                "step": 0,
                "sum": state_zeros(p, float(group["initial_accumulator_value"])),
            }

    def _step_group(self, group: dict) -> None:
        options = {
            "lr": float(group["lr"]),
            "lr_decay": float(group["lr_decay"]),
            "weight_decay": float(group["weight_decay"]),
            "eps": float(group["eps"]),
            "maximize": bool(group["maximize"]),
        }
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            state["step"] += 1
            adagrad_update(p._data, p.grad._data, state["sum"]._data, step=state["step"], **options)
            p._vc[0] += 1
