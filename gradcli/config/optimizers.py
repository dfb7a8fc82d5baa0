"""Optimizers in the YAML (`optimizer: {type: sgd, lr: 0.1}`): each spec holds its fields, its
name and how to build the optimizer for some parameters."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from gradcli import optim
from gradcli.config.spec import SpecRegistry, Typed, tagged_union

LR = Annotated[float, Field(gt=0.0, description="Learning rate (> 0).")]
Decay = Annotated[float, Field(ge=0.0)]
Beta = Annotated[float, Field(ge=0, lt=1)]


class OptimizerSpec(Typed):
    def build(self, params) -> optim.Optimizer:
        raise NotImplementedError


OPTIMIZERS = SpecRegistry("optimizer", OptimizerSpec)


def any_optimizer():
    return tagged_union(OPTIMIZERS)


@OPTIMIZERS.register("sgd")
class SGD(OptimizerSpec):
    lr: LR
    momentum: float = Field(0.0, ge=0.0)
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: Decay = 0.0

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self):
        # optim.SGD refuses it too, but only when the run is built: say it with the key's line
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            fix = "momentum (e.g. 0.9)" if self.momentum <= 0 else "dampening: 0"
            raise ValueError(
                f"nesterov needs momentum > 0 and dampening 0 (got momentum {self.momentum}, "
                f"dampening {self.dampening}); set {fix}, or nesterov: false"
            )
        return self

    def build(self, params):
        return optim.SGD(
            params, lr=self.lr, momentum=self.momentum, dampening=self.dampening,
            nesterov=self.nesterov, weight_decay=self.weight_decay,
        )  # fmt: skip


@OPTIMIZERS.register("adam")
class Adam(OptimizerSpec):
    lr: LR = 1e-3
    betas: tuple[Beta, Beta] = (0.9, 0.999)
    eps: float = Field(1e-8, gt=0.0)
    weight_decay: Decay | None = Field(None, description="Default 0 (adam) or 0.01 (adamw).")
    amsgrad: bool = False

    def build(self, params, cls=optim.Adam, default_decay=0.0):
        wd = self.weight_decay if self.weight_decay is not None else default_decay
        return cls(
            params, lr=self.lr, betas=tuple(self.betas), eps=self.eps, weight_decay=wd,
            amsgrad=self.amsgrad,
        )  # fmt: skip


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    def build(self, params):
        return super().build(params, optim.AdamW, default_decay=1e-2)


@OPTIMIZERS.register("rmsprop")
class RMSprop(OptimizerSpec):
    lr: LR = 1e-2
    alpha: float = Field(0.99, ge=0.0)
    eps: float = Field(1e-8, gt=0.0)
    momentum: float = Field(0.0, ge=0.0)
    centered: bool = False
    weight_decay: Decay = 0.0

    def build(self, params):
        return optim.RMSprop(
            params, lr=self.lr, alpha=self.alpha, eps=self.eps, momentum=self.momentum,
            centered=self.centered, weight_decay=self.weight_decay,
        )  # fmt: skip


@OPTIMIZERS.register("adagrad")
class Adagrad(OptimizerSpec):
    lr: LR = 1e-2
    lr_decay: float = Field(0.0, ge=0.0)
    eps: float = Field(1e-10, gt=0.0)
    weight_decay: Decay = 0.0

    def build(self, params):
        return optim.Adagrad(
            params, lr=self.lr, lr_decay=self.lr_decay, eps=self.eps,
            weight_decay=self.weight_decay,
        )  # fmt: skip


@OPTIMIZERS.register("adadelta")
class Adadelta(OptimizerSpec):
    lr: LR = Field(1.0, gt=0.0, description="Scales the step; 1.0 is the paper's method.")
    rho: float = Field(0.9, ge=0.0, le=1.0, description="Decay of the running averages.")
    eps: float = Field(1e-6, gt=0.0)
    weight_decay: Decay = 0.0

    def build(self, params):
        return optim.Adadelta(
            params, lr=self.lr, rho=self.rho, eps=self.eps, weight_decay=self.weight_decay
        )
