"""LambdaLR and MultiplicativeLR: schedules given as Python functions of the epoch."""

from __future__ import annotations

import copy
import types

from gradcli.optim._lr_base import LRScheduler, check_optimizer, current_lrs
from gradcli.optim.optimizer import OptimizerError


class LambdaLR(LRScheduler):
    """lr = initial lr * lr_lambda(epoch), with one function or one per param group.

    >>> sched = LambdaLR(opt, lr_lambda=lambda epoch: 0.95**epoch)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _per_group(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict:
        """As PyTorch: plain functions and lambdas are not saved (None); callable objects save
        their attributes, which `load_state_dict` gives back to the same objects."""
        return _without_functions(self)

    def load_state_dict(self, state_dict: dict) -> None:
        _load_with_functions(self, state_dict)


class MultiplicativeLR(LRScheduler):
    """Multiply the lr by lr_lambda(epoch) at every step after the first.

    >>> sched = MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.95)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _per_group(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        lrs = current_lrs(self.optimizer)
        if self.last_epoch > 0:
            return [lr * fn(self.last_epoch) for lr, fn in zip(lrs, self.lr_lambdas)]
        return lrs

    state_dict = LambdaLR.state_dict
    load_state_dict = LambdaLR.load_state_dict


def _per_group(optimizer, lr_lambda) -> list:
    n = len(optimizer.param_groups)
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * n
    if len(lr_lambda) != n:
        raise OptimizerError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


def _without_functions(scheduler) -> dict:
    skip = ("optimizer", "lr_lambdas")
    state = copy.deepcopy({k: v for k, v in scheduler.__dict__.items() if k not in skip})
    state["lr_lambdas"] = [
        None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
        for fn in scheduler.lr_lambdas
    ]
    return state


def _load_with_functions(scheduler, state_dict: dict) -> None:
    state = dict(state_dict)
    saved = state.pop("lr_lambdas", [None] * len(scheduler.lr_lambdas))
    LRScheduler.load_state_dict(scheduler, state)
    for fn, attrs in zip(scheduler.lr_lambdas, saved):
        if attrs is not None:
            fn.__dict__.update(copy.deepcopy(attrs))
