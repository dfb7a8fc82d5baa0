"""Adadelta (Zeiler, 2012): steps scaled by the ratio of two running RMS values, so the
update has the parameter's units and needs no hand-tuned learning rate (lr defaults to 1)."""

from __future__ import annotations

from gradcli.backend import get_array_module
from gradcli.optim._inplace import addcmul_, effective_grad
from gradcli.optim.optimizer import Optimizer, OptimizerError, check_non_negative, state_zeros


def adadelta_update(
    param,
    grad,
    square_avg,
    acc_delta,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adadelta step on raw arrays, in place on `param`, `square_avg` and `acc_delta`:

    square_avg = rho * square_avg + (1 - rho) * g^2
    delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
    acc_delta = rho * acc_delta + (1 - rho) * delta^2
    param -= lr * delta
    """
    xp = get_array_module(param)
    g, _ = effective_grad(param, grad, weight_decay, maximize)
    scratch = xp.empty_like(param)
    square_avg *= rho
    addcmul_(square_avg, 1.0 - rho, g, g, scratch)
    std = xp.add(square_avg, eps)
    xp.sqrt(std, out=std)
    delta = xp.add(acc_delta, eps)
    xp.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    acc_delta *= rho
    addcmul_(acc_delta, 1.0 - rho, delta, delta, scratch)
    xp.multiply(delta, lr, out=scratch)
    param -= scratch


class Adadelta(Optimizer):
    """Adadelta, PyTorch's formulation (lr scales the step; 1.0 is the paper's method).

    >>> opt = Adadelta(model.parameters(), lr=1.0, rho=0.9, eps=1e-6)
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        foreach=None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        check_non_negative(lr, "learning rate")
        check_non_negative(eps, "epsilon value")
        check_non_negative(weight_decay, "weight_decay value")
        check_non_negative(rho, "rho value")
        if not rho <= 1.0:
            raise OptimizerError(f"Invalid rho value: {rho}")
        if capturable or differentiable:
            raise OptimizerError(
                "Adadelta: capturable and differentiable are not supported by gradcli"
            )
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }  # foreach is accepted for PyTorch's signature; there is one implementation
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        options = {
            "lr": float(group["lr"]),
            "rho": float(group["rho"]),
            "eps": float(group["eps"]),
            "weight_decay": float(group["weight_decay"]),
            "maximize": bool(group["maximize"]),
        }
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = state_zeros(p)
                state["acc_delta"] = state_zeros(p)
            state["step"] += 1
            adadelta_update(
                p._data, p.grad._data, state["square_avg"]._data, state["acc_delta"]._data,
                **options,
            )  # fmt: skip
            p._vc[0] += 1
