"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from gradcli.autograd.tensor import Tensor
from gradcli.backend import get_array_module
from gradcli.optim._inplace import effective_grad
from gradcli.optim.optimizer import Optimizer, OptimizerError, check_non_negative


def sgd_update(
    param, grad, momentum_buffer, *, lr, momentum, dampening, weight_decay, nesterov, maximize
):
    """One SGD step on raw arrays, in place on `param` (and `momentum_buffer`).

    Returns the momentum buffer: on the first step (`momentum_buffer is None`) it is a copy of
    the gradient, as in PyTorch; None when `momentum == 0`.
    """
    xp = get_array_module(param)
    g, owned = effective_grad(param, grad, weight_decay, maximize)
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = g if owned else g.copy()
            owned = False  # g is the buffer now: it must not be scaled in place below
        else:
            momentum_buffer *= momentum
            if dampening == 0:
                momentum_buffer += g
            else:
                momentum_buffer += xp.multiply(g, 1.0 - dampening)
        if nesterov:
            look_ahead = xp.multiply(momentum_buffer, momentum)
            look_ahead += g
            g, owned = look_ahead, True
        else:
            g, owned = momentum_buffer, False
    # PyTorch's param.add_(g, alpha=-lr): -(lr * g) rounds like lr * g, so this is the same
    if owned:
        g *= lr
        param -= g
    else:
        param -= xp.multiply(g, lr)
    return momentum_buffer


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), PyTorch's formulation.

    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        check_non_negative(lr, "learning rate")
        check_non_negative(momentum, "momentum value")
        check_non_negative(weight_decay, "weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise OptimizerError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        momentum = float(group["momentum"])
        options = {
            "lr": float(group["lr"]),
            "momentum": momentum,
            "dampening": float(group["dampening"]),
            "weight_decay": float(group["weight_decay"]),
            "nesterov": bool(group["nesterov"]),
            "maximize": bool(group["maximize"]),
        }
        flat = self._flat.get(group)
        if flat is not None and self._step_flat(flat, momentum, options):
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            if momentum == 0:  # no state at all, as in PyTorch
                sgd_update(p._data, p.grad._data, None, **options)
            else:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                buf = sgd_update(
                    p._data, p.grad._data, buf if buf is None else buf._data, **options
                )
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = Tensor._make(buf)
            p._vc[0] += 1

    def _step_flat(self, flat, momentum: float, options: dict) -> bool:
        """The same update on the whole group at once (see _flat.py); False when the group's
        momentum buffers are neither all there nor all still to be made (the loop decides)."""
        params = flat.params
        if momentum == 0:
            sgd_update(flat.data, flat.gather_grads(), None, **options)
        else:
            states = [self.state[p] for p in params]
            if all(s.get("momentum_buffer") is not None for s in states):
                buf = flat.buffer(self.state, "momentum_buffer")
                sgd_update(flat.data, flat.gather_grads(), buf, **options)
            elif not any("momentum_buffer" in s for s in states):
                buf = sgd_update(flat.data, flat.gather_grads(), None, **options)
                flat.install(self.state, "momentum_buffer", buf)
            else:
                return False
        for p in params:
            p._vc[0] += 1
        return True
