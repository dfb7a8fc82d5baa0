"""Learning-rate schedules in the YAML (`scheduler: {type: cosine}`): each spec holds its fields,
its name, how it is stepped, and how to build it for an optimizer.

`sequential` chains epoch-wise schedules, as PyTorch's SequentialLR does (warm-up, then cosine):

    scheduler:
      type: sequential
      schedulers: [{type: linear, start_factor: 0.1, total_iters: 5}, cosine]
      milestones: [5]        # the cosine starts at epoch 5 and, by default, spans the rest
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from gradcli import optim
from gradcli.config.optimizers import LR, OPTIMIZERS, OptimizerSpec
from gradcli.config.spec import SpecRegistry, Typed, tagged_union

lrs = optim.lr_scheduler


@dataclass(frozen=True)
class Span:
    """How long the schedule runs: `epochs` (for epoch-wise schedules) and `steps` in all."""

    epochs: int
    steps: int


class SchedulerSpec(Typed):
    """`per_step`: stepped after every batch rather than every epoch."""

    per_step: ClassVar[bool] = False

    def watched_metric(self) -> str | None:
        """The validation metric `step(value)` takes, for schedules driven by one."""
        return None

    def check_optimizer(self, optimizer: OptimizerSpec) -> str | None:
        """Why this schedule cannot drive `optimizer` (validated with the config), or None."""
        return None

    def build(self, optimizer, span: Span):
        raise NotImplementedError


SCHEDULERS = SpecRegistry("scheduler", SchedulerSpec)


def any_scheduler():
    return tagged_union(SCHEDULERS)


@SCHEDULERS.register("step")
class StepSched(SchedulerSpec):
    step_size: PositiveInt = Field(description="Epochs between decays.")
    gamma: float = Field(0.1, gt=0.0)

    def build(self, optimizer, span):
        return lrs.StepLR(optimizer, self.step_size, self.gamma)


@SCHEDULERS.register("multistep")
class MultiStepSched(SchedulerSpec):
    milestones: list[PositiveInt]
    gamma: float = Field(0.1, gt=0.0)

    def build(self, optimizer, span):
        return lrs.MultiStepLR(optimizer, self.milestones, self.gamma)


@SCHEDULERS.register("exponential")
class ExponentialSched(SchedulerSpec):
    gamma: float = Field(gt=0.0)

    def build(self, optimizer, span):
        return lrs.ExponentialLR(optimizer, self.gamma)


@SCHEDULERS.register("cosine")
class CosineSched(SchedulerSpec):
    t_max: PositiveInt | None = Field(
        None, description="Epochs; defaults to train.epochs (in a sequential: its span)."
    )
    eta_min: float = Field(0.0, ge=0.0)

    def build(self, optimizer, span):
        return lrs.CosineAnnealingLR(optimizer, self.t_max or span.epochs, self.eta_min)


@SCHEDULERS.register("linear")
class WarmupSched(SchedulerSpec):
    start_factor: float = Field(1 / 3, gt=0.0, le=1.0)
    end_factor: float = Field(1.0, gt=0.0, le=1.0)
    total_iters: PositiveInt = 5

    def build(self, optimizer, span):
        return lrs.LinearLR(optimizer, self.start_factor, self.end_factor, self.total_iters)


@SCHEDULERS.register("onecycle")
class OneCycleSched(SchedulerSpec):
    per_step = True
    max_lr: LR
    pct_start: float = Field(0.3, gt=0.0, lt=1.0)
    anneal_strategy: Literal["cos", "linear"] = "cos"
    div_factor: float = Field(25.0, gt=0.0)
    final_div_factor: float = Field(1e4, gt=0.0)
    cycle_momentum: bool = Field(
        True, description="Cycle the momentum (or Adam's beta1) inversely to the lr."
    )

    def check_optimizer(self, optimizer):
        # OneCycleLR looks for these in the optimizer's defaults, which follow its spec's keys
        if self.cycle_momentum and not _has_momentum(type(optimizer)):
            fits = [name for name, spec in OPTIMIZERS.items() if _has_momentum(spec)]
            return (
                f"{self.kind} cycles the momentum, but optimizer '{optimizer.kind}' has none; set "
                f"cycle_momentum: false, or use an optimizer with one ({', '.join(fits)})"
            )
        return None

    def build(self, optimizer, span):
        return lrs.OneCycleLR(
            optimizer, self.max_lr, total_steps=span.steps, pct_start=self.pct_start,
            anneal_strategy=self.anneal_strategy, div_factor=self.div_factor,
            final_div_factor=self.final_div_factor, cycle_momentum=self.cycle_momentum,
        )  # fmt: skip


@SCHEDULERS.register("cyclic")
class CyclicSched(SchedulerSpec):
    per_step = True
    base_lr: LR = Field(description="The bottom of each cycle (it replaces optimizer.lr).")
    max_lr: LR = Field(description="The top of the first cycle.")
    step_size_up: PositiveInt = Field(2000, description="Steps (batches) from bottom to top.")
    step_size_down: PositiveInt | None = Field(None, description="Defaults to step_size_up.")
    mode: Literal["triangular", "triangular2", "exp_range"] = Field(
        "triangular",
        description="triangular2 halves the height every cycle; exp_range "
        "scales it by gamma**step.",
    )
    gamma: float = Field(1.0, gt=0.0, le=1.0, description="For exp_range.")
    cycle_momentum: bool = Field(
        True, description="Cycle the momentum (or Adam's beta1) inversely to the lr."
    )
    base_momentum: float = Field(0.8, ge=0.0, lt=1.0)
    max_momentum: float = Field(0.9, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.max_lr < self.base_lr:
            raise ValueError(f"max_lr {self.max_lr} is below base_lr {self.base_lr}")
        if self.cycle_momentum and self.max_momentum < self.base_momentum:
            raise ValueError(
                f"max_momentum {self.max_momentum} is below base_momentum {self.base_momentum}"
            )
        return self

    def check_optimizer(self, optimizer):
        return OneCycleSched.check_optimizer(self, optimizer)

    def build(self, optimizer, span):
        return lrs.CyclicLR(
            optimizer, self.base_lr, self.max_lr, step_size_up=self.step_size_up,
            step_size_down=self.step_size_down, mode=self.mode, gamma=self.gamma,
            cycle_momentum=self.cycle_momentum, base_momentum=self.base_momentum,
            max_momentum=self.max_momentum,
        )  # fmt: skip


def _has_momentum(spec: type[OptimizerSpec]) -> bool:
    return "momentum" in spec.model_fields or "betas" in spec.model_fields


@SCHEDULERS.register("plateau")
class PlateauSched(SchedulerSpec):
    metric: Literal["val_loss", "val_accuracy"] = "val_loss"
    factor: float = Field(0.1, gt=0.0, lt=1.0)
    patience: int = Field(10, ge=0)
    threshold: float = Field(1e-4, ge=0.0)
    cooldown: int = Field(0, ge=0)
    min_lr: float = Field(0.0, ge=0.0)

    def watched_metric(self):
        return self.metric

    def build(self, optimizer, span):
        return lrs.ReduceLROnPlateau(
            optimizer, mode="max" if self.metric == "val_accuracy" else "min",
            factor=self.factor, patience=self.patience, threshold=self.threshold,
            cooldown=self.cooldown, min_lr=self.min_lr,
        )  # fmt: skip


@SCHEDULERS.register("sequential")
class Sequential(SchedulerSpec):
    # "AnyScheduler" is every registered scheduler: the schema resolves it (see schema.py)
    schedulers: list[AnyScheduler] = Field(  # noqa: F821
        min_length=2, description="Epoch-wise schedules, run one after another."
    )
    milestones: list[PositiveInt] = Field(
        description="Epoch at which each next schedule takes over, increasing (one fewer "
        "than schedulers)."
    )

    @model_validator(mode="after")
    def _chainable(self):
        n, ms = len(self.schedulers), self.milestones
        if len(ms) != n - 1:
            raise ValueError(f"{n} schedulers need {n - 1} milestones, got {len(ms)}")
        if any(b <= a for a, b in zip(ms, ms[1:])):
            raise ValueError(f"milestones must increase, got {ms}")
        for i, s in enumerate(self.schedulers):
            if s.per_step or s.watched_metric() is not None:
                raise ValueError(
                    f"schedulers[{i}] ({s.kind}) cannot be chained: a sequential schedule steps "
                    "once per epoch, without a metric"
                )
        return self

    def build(self, optimizer, span):
        starts = [0, *self.milestones]
        ends = [*self.milestones, max(span.epochs, self.milestones[-1] + 1)]
        children = [
            s.build(optimizer, replace(span, epochs=end - start))
            for s, start, end in zip(self.schedulers, starts, ends)
        ]
        return lrs.SequentialLR(optimizer, children, self.milestones)
