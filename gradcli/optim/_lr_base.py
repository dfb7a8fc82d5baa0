"""The LRScheduler base class, shared by every schedule in `gradcli.optim.lr_scheduler`."""

from __future__ import annotations

import copy

from gradcli.optim.optimizer import Optimizer, OptimizerError


def check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def current_lrs(optimizer: Optimizer) -> list:
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """Base class: subclasses compute `get_lr()` from `last_epoch` and the current lrs.

    `last_epoch` counts the `step()` calls (construction makes the first, to epoch 0);
    `base_lrs` are the groups' `initial_lr`.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0: load the optimizer's state "
                        "dict first, or use last_epoch=-1 for a fresh run"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The learning rates for `self.last_epoch` (called by `step()`)."""
        raise NotImplementedError

    def get_last_lr(self) -> list:
        """The learning rates set by the last `step()`, one per param group."""
        return list(self._last_lr)

    def step(self) -> None:
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:  # SequentialLR jumps a scheduler to epoch 0 at a milestone
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = current_lrs(self.optimizer)

    def state_dict(self) -> dict:
        """Every attribute but the optimizer (copied: later steps do not change it)."""
        return copy.deepcopy({k: v for k, v in self.__dict__.items() if k != "optimizer"})

    def load_state_dict(self, state_dict: dict) -> None:
        state = {k: v for k, v in state_dict.items() if k != "optimizer"}
        unknown = sorted(set(state) - set(self.__dict__))
        if unknown:
            raise OptimizerError(
                f"{type(self).__name__}.load_state_dict: unexpected keys {unknown}; was the "
                "state dict saved from a different kind of scheduler?"
            )
        self.__dict__.update(copy.deepcopy(state))
