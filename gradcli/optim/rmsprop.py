"""RMSprop (Hinton), optionally centered and with momentum, PyTorch's formulation."""

from __future__ import annotations

from gradcli.backend import get_array_module
from gradcli.optim._inplace import addcdiv_, addcmul_, effective_grad, lerp_
from gradcli.optim.optimizer import Optimizer, check_non_negative, state_zeros


def rmsprop_update(
    param,
    grad,
    square_avg,
    grad_avg,
    momentum_buffer,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSprop step on raw arrays, in place on `param` and the running averages.

    `grad_avg` is used when `centered`, `momentum_buffer` when `momentum > 0`.
    """
    xp = get_array_module(param)
    g, _ = effective_grad(param, grad, weight_decay, maximize)
    scratch = xp.empty_like(param)
    square_avg *= alpha
    addcmul_(square_avg, 1.0 - alpha, g, g, scratch)
    if centered:
        lerp_(grad_avg, g, 1.0 - alpha, scratch)
        avg = xp.multiply(grad_avg, grad_avg)  # square_avg.addcmul(grad_avg, grad_avg, value=-1)
        xp.subtract(square_avg, avg, out=avg)
        xp.sqrt(avg, out=avg)
    else:
        avg = xp.sqrt(square_avg)
    avg += eps
    if momentum > 0:
        momentum_buffer *= momentum
        addcdiv_(momentum_buffer, 1.0, g, avg, scratch)
        xp.multiply(momentum_buffer, lr, out=scratch)
        param -= scratch
    else:
        addcdiv_(param, -lr, g, avg, scratch)


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    >>> opt = RMSprop(model.parameters(), lr=1e-2, alpha=0.99, momentum=0.9, centered=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        check_non_negative(lr, "learning rate")
        check_non_negative(eps, "epsilon value")
        check_non_negative(momentum, "momentum value")
        check_non_negative(weight_decay, "weight_decay value")
        check_non_negative(alpha, "alpha value")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        momentum = float(group["momentum"])
        centered = bool(group["centered"])
        options = {
            "lr": float(group["lr"]),
            "alpha": float(group["alpha"]),
            "eps": float(group["eps"]),
            "weight_decay": float(group["weight_decay"]),
            "momentum": momentum,
            "centered": centered,
            "maximize": bool(group["maximize"]),
        }
        flat = self._flat.get(group)
        if flat is not None and self._step_flat(flat, momentum, centered, options):
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = state_zeros(p)
            # created on demand, so that switching an option on after loading a state works
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = state_zeros(p)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = state_zeros(p)
            state["step"] += 1
            rmsprop_update(
                p._data,
                p.grad._data,
                state["square_avg"]._data,
                state["grad_avg"]._data if centered else None,
                state["momentum_buffer"]._data if momentum > 0 else None,
                **options,
            )
            p._vc[0] += 1

    def _step_flat(self, flat, momentum: float, centered: bool, options: dict) -> bool:
        """The same update on the whole group at once (see _flat.py); False when some but not
        all states are new (the loop decides)."""
        states = [self.state[p] for p in flat.params]
        if not any(states):
            for state in states:
                state["step"] = 0
        elif not all(s.get("square_avg") is not None for s in states):
            return False
        square_avg = flat.buffer(self.state, "square_avg")
        grad_avg = flat.buffer(self.state, "grad_avg") if centered else None
        buf = flat.buffer(self.state, "momentum_buffer") if momentum > 0 else None
        for state in states:
            state["step"] += 1
        rmsprop_update(flat.data, flat.gather_grads(), square_avg, grad_avg, buf, **options)
        for p in flat.params:
            p._vc[0] += 1
        return True
