"""The config schema: every key with its type, range and help; unknown keys are rejected.

Layers are written the short way (`- relu`, `- linear: 10`); their specs live in `layers.py`.
Loss, optimizer and scheduler are chosen by a `type:` key (a bare string is just the type).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PositiveInt,
    PrivateAttr,
    field_validator,
    model_validator,
)

from gradcli.config.layers import AnyLayer, Strict


class Model(Strict):
    input_shape: list[PositiveInt] = Field(
        description="Shape of one sample without the batch dimension, e.g. [1, 28, 28]."
    )
    layers: list[AnyLayer] = Field(min_length=1, description="The network, in order.")


# ---- loss, optimizer, scheduler (chosen by `type:`; a bare string is just the type) ---------


class Typed(Strict):
    """A component chosen by its `type:` key."""


# `loss: cross_entropy` is short for `loss: {type: cross_entropy}`
_BareType = BeforeValidator(lambda raw: {"type": raw} if isinstance(raw, str) else raw)


class CrossEntropy(Typed):
    type: Literal["cross_entropy"]
    label_smoothing: float = Field(0.0, ge=0.0, le=1.0)
    ignore_index: int = -100
    weight: list[float] | None = Field(None, description="Per-class weights.")


class NLL(Typed):
    type: Literal["nll"]
    ignore_index: int = -100
    weight: list[float] | None = None


class MSE(Typed):
    type: Literal["mse"]
    reduction: Literal["mean", "sum"] = "mean"


class L1(Typed):
    type: Literal["l1"]
    reduction: Literal["mean", "sum"] = "mean"


class SmoothL1(Typed):
    type: Literal["smooth_l1"]
    beta: float = Field(1.0, ge=0.0)


class BCEWithLogits(Typed):
    type: Literal["bce_with_logits"]


class BCE(Typed):
    type: Literal["bce"]


Loss = Annotated[
    CrossEntropy | NLL | MSE | L1 | SmoothL1 | BCEWithLogits | BCE,
    Field(discriminator="type"),
    _BareType,
]

LR = Annotated[float, Field(gt=0.0, description="Learning rate (> 0).")]
Decay = Annotated[float, Field(ge=0.0)]


class SGD(Typed):
    type: Literal["sgd"]
    lr: LR
    momentum: float = Field(0.0, ge=0.0)
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: Decay = 0.0


class Adam(Typed):
    type: Literal["adam", "adamw"]
    lr: LR = 1e-3
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (
        0.9,
        0.999,
    )
    eps: float = Field(1e-8, gt=0.0)
    weight_decay: Decay | None = Field(None, description="Default 0 (adam) or 0.01 (adamw).")
    amsgrad: bool = False


class RMSprop(Typed):
    type: Literal["rmsprop"]
    lr: LR = 1e-2
    alpha: float = Field(0.99, ge=0.0)
    eps: float = Field(1e-8, gt=0.0)
    momentum: float = Field(0.0, ge=0.0)
    centered: bool = False
    weight_decay: Decay = 0.0


class Adagrad(Typed):
    type: Literal["adagrad"]
    lr: LR = 1e-2
    lr_decay: float = Field(0.0, ge=0.0)
    eps: float = Field(1e-10, gt=0.0)
    weight_decay: Decay = 0.0


Optimizer = Annotated[SGD | Adam | RMSprop | Adagrad, Field(discriminator="type"), _BareType]


class StepSched(Typed):
    type: Literal["step"]
    step_size: PositiveInt = Field(description="Epochs between decays.")
    gamma: float = Field(0.1, gt=0.0)


class MultiStepSched(Typed):
    type: Literal["multistep"]
    milestones: list[PositiveInt]
    gamma: float = Field(0.1, gt=0.0)


class ExponentialSched(Typed):
    type: Literal["exponential"]
    gamma: float = Field(gt=0.0)


class CosineSched(Typed):
    type: Literal["cosine"]
    t_max: PositiveInt | None = Field(None, description="Epochs; defaults to train.epochs.")
    eta_min: float = Field(0.0, ge=0.0)


class WarmupSched(Typed):
    type: Literal["linear"]
    start_factor: float = Field(1 / 3, gt=0.0, le=1.0)
    end_factor: float = Field(1.0, gt=0.0, le=1.0)
    total_iters: PositiveInt = 5


class OneCycleSched(Typed):
    type: Literal["onecycle"]
    max_lr: LR
    pct_start: float = Field(0.3, gt=0.0, lt=1.0)
    anneal_strategy: Literal["cos", "linear"] = "cos"
    div_factor: float = Field(25.0, gt=0.0)
    final_div_factor: float = Field(1e4, gt=0.0)


class PlateauSched(Typed):
    type: Literal["plateau"]
    metric: Literal["val_loss", "val_accuracy"] = "val_loss"
    factor: float = Field(0.1, gt=0.0, lt=1.0)
    patience: int = Field(10, ge=0)
    threshold: float = Field(1e-4, ge=0.0)
    cooldown: int = Field(0, ge=0)
    min_lr: float = Field(0.0, ge=0.0)


Scheduler = Annotated[
    StepSched | MultiStepSched | ExponentialSched | CosineSched | WarmupSched | OneCycleSched
    | PlateauSched,
    Field(discriminator="type"),
    _BareType,
]  # fmt: skip

# ---- data, train, output ---------------------------------------------------------------------

Metric = Literal["val_loss", "val_accuracy", "train_loss"]


class Data(Strict):
    dataset: str = Field(description="shapes, spirals, blobs, regression, mnist, ...")
    root: str | None = Field(None, description="Data root; default $GRADCLI_DATA_DIR or datasets/.")
    options: dict[str, Any] = Field(default_factory=dict, description="Dataset options.")
    transforms: list[str | dict[str, Any]] = Field(default_factory=list)
    batch_size: PositiveInt = 64
    eval_batch_size: PositiveInt = 1000
    val_split: float = Field(0.1, ge=0.0, lt=1.0, description="Fraction of train held out.")
    shuffle: bool = True


class GradClip(Strict):
    max_norm: float | None = Field(None, gt=0.0)
    value: float | None = Field(None, gt=0.0)

    @model_validator(mode="after")
    def _one(self):
        if (self.max_norm is None) == (self.value is None):
            raise ValueError("give exactly one of max_norm (clip by norm) or value")
        return self


class EarlyStopping(Strict):
    metric: Metric = "val_loss"
    patience: PositiveInt = 5
    min_delta: float = Field(0.0, ge=0.0)
    mode: Literal["min", "max"] | None = Field(None, description="Default: max for accuracy.")


class Checkpoint(Strict):
    every_epochs: int = Field(1, ge=0, description="Write last.safetensors every N epochs.")
    every_steps: int = Field(0, ge=0, description="Also every N steps (0: off).")
    best_metric: Metric | None = "val_loss"
    mode: Literal["min", "max"] | None = None
    keep_last: PositiveInt = Field(1, description="How many epoch-numbered copies to keep.")


class Train(Strict):
    epochs: PositiveInt | None = 1
    steps: PositiveInt | None = Field(None, description="Stop after this many steps.")
    grad_clip: GradClip | None = None
    early_stopping: EarlyStopping | None = None
    checkpoint: Checkpoint = Field(default_factory=Checkpoint)
    log_every_steps: PositiveInt = 50
    val_every_epochs: PositiveInt = 1


class Output(Strict):
    runs_dir: str = "runs"


class Config(Strict):
    """A whole run."""

    name: str = Field(description="Run name: the folder under runs/.")
    seed: int = 0
    device: str = Field("cpu", description="cpu, cuda, cuda:N or auto.")
    dtype: Literal["float32", "float64"] = "float32"
    data: Data
    model: Model
    loss: Loss = Field(default_factory=lambda: CrossEntropy(type="cross_entropy"))
    optimizer: Optimizer
    scheduler: Scheduler | None = None
    train: Train = Field(default_factory=Train)
    output: Output = Field(default_factory=Output)
    _source: Any = PrivateAttr(None)  # load.Source: where each key came from, for errors

    def where(self, *path) -> str:
        """`file:line:col` of a key, for errors found after validation."""
        return self._source.where(path) if self._source is not None else "config"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", v):
            raise ValueError("use letters, digits, '.', '_' and '-' (it names a folder)")
        return v

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if not re.fullmatch(r"cpu|auto|cuda(:\d+)?", v.strip().lower()):
            raise ValueError("expected 'cpu', 'cuda', 'cuda:N' or 'auto'")
        return v.strip().lower()
