"""Adam and AdamW (Adam with decoupled weight decay), PyTorch's formulation."""

from __future__ import annotations

import math

from gradcli.backend import get_array_module
from gradcli.optim._inplace import addcdiv_, addcmul_, effective_grad, lerp_
from gradcli.optim.optimizer import Optimizer, OptimizerError, check_non_negative, state_zeros


def adam_update(
    param,
    grad,
    exp_avg,
    exp_avg_sq,
    max_exp_avg_sq,
    *,
    step: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """One Adam step on raw arrays, in place on `param` and the moment buffers.

    `step` is the 1-based count including this step; `max_exp_avg_sq` is used when `amsgrad`.
    """
    xp = get_array_module(param)
    if decoupled_weight_decay:
        if weight_decay != 0:
            param *= 1.0 - lr * weight_decay
        g, _ = effective_grad(param, grad, 0.0, maximize)
    else:
        g, _ = effective_grad(param, grad, weight_decay, maximize)
    scratch = xp.empty_like(param)
    lerp_(exp_avg, g, 1.0 - beta1, scratch)
    exp_avg_sq *= beta2
    addcmul_(exp_avg_sq, 1.0 - beta2, g, g, scratch)
    # bias corrections as Python floats: a NumPy float64 here would promote float32 params
    bias_correction1 = 1.0 - beta1**step
    bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
    if amsgrad:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = xp.sqrt(max_exp_avg_sq)
    else:
        denom = xp.sqrt(exp_avg_sq)
    denom /= bias_correction2_sqrt
    denom += eps
    addcdiv_(param, -(lr / bias_correction1), exp_avg, denom, scratch)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with optional AMSGrad, L2 or decoupled weight decay.

    >>> opt = Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ):
        check_non_negative(lr, "learning rate")
        check_non_negative(eps, "epsilon value")
        betas = tuple(betas)
        if len(betas) != 2:
            raise OptimizerError(f"betas must be a pair (beta1, beta2), got {betas}")
        for i, beta in enumerate(betas):
            check_non_negative(beta, f"beta parameter at index {i}")
            if not beta < 1.0:
                raise OptimizerError(f"Invalid beta parameter at index {i}: {beta}")
        check_non_negative(weight_decay, "weight_decay value")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        amsgrad = bool(group["amsgrad"])
        options = {
            "lr": float(group["lr"]),
            "beta1": float(beta1),
            "beta2": float(beta2),
            "eps": float(group["eps"]),
            "weight_decay": float(group["weight_decay"]),
            "amsgrad": amsgrad,
            "maximize": bool(group["maximize"]),
            "decoupled_weight_decay": bool(group["decoupled_weight_decay"]),
        }
        flat = self._flat.get(group)
        if flat is not None and self._step_flat(flat, amsgrad, options):
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = state_zeros(p)
                state["exp_avg_sq"] = state_zeros(p)
            if amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = state_zeros(p)
            state["step"] += 1
            max_sq = state["max_exp_avg_sq"]._data if amsgrad else None
            adam_update(
                p._data,
                p.grad._data,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                max_sq,
                step=state["step"],
                **options,
            )
            p._vc[0] += 1

    def _step_flat(self, flat, amsgrad: bool, options: dict) -> bool:
        """The same update on the whole group at once (see _flat.py); False unless every
        parameter's state is new or all are at the same step (bias corrections are per step)."""
        states = [self.state[p] for p in flat.params]
        if not any(states):
            for state in states:
                state["step"] = 0
        elif len({s.get("step") for s in states}) != 1 or not all(
            s.get("exp_avg") is not None and s.get("exp_avg_sq") is not None for s in states
        ):
            return False
        exp_avg = flat.buffer(self.state, "exp_avg")
        exp_avg_sq = flat.buffer(self.state, "exp_avg_sq")
        max_sq = flat.buffer(self.state, "max_exp_avg_sq") if amsgrad else None
        for state in states:
            state["step"] += 1
        step = states[0]["step"]
        adam_update(
            flat.data, flat.gather_grads(), exp_avg, exp_avg_sq, max_sq, step=step, **options
        )
        for p in flat.params:
            p._vc[0] += 1
        return True


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): `p *= 1 - lr * weight_decay`.

    >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # an AdamW stays decoupled, whatever was saved
            group["decoupled_weight_decay"] = True
