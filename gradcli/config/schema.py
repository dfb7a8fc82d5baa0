"""The config schema: every key with its type, range and help; unknown keys, inf and nan are
rejected.

The parts that name components (layers, loss, optimizer, scheduler) are unions generated from
the registries in `layers.py`, `losses.py`, `optimizers.py` and `schedulers.py`, so the model is
built by `config_model()`, again whenever a registry changes. `schema.Config` is the current one.
"""

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PositiveInt,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gradcli.config.graph import Block, Name, rewrite_uses
from gradcli.config.layers import LAYERS, any_layer
from gradcli.config.losses import LOSSES, any_loss
from gradcli.config.optimizers import OPTIMIZERS, any_optimizer
from gradcli.config.schedulers import SCHEDULERS, any_scheduler
from gradcli.config.spec import Strict

REGISTRIES = (LAYERS, LOSSES, OPTIMIZERS, SCHEDULERS)
NAME_MAX = 100  # it names a folder: well under the usual 255-byte limit, with room for suffixes
Metric = Literal["val_loss", "val_accuracy", "train_loss"]


class Data(Strict):
    dataset: str = Field(description="shapes, spirals, blobs, regression, mnist, ...")
    root: str | None = Field(None, description="Data root; default $GRADCLI_DATA_DIR or datasets/.")
    options: dict[str, Any] = Field(default_factory=dict, description="Dataset options.")
    transforms: list[str | dict[str, Any]] = Field(default_factory=list)
    augment: list[str | dict[str, Any]] = Field(
        default_factory=list,
        description="Per training batch, in order: random_crop (padding, size), hflip (p).",
    )
    batch_size: PositiveInt = 64
    eval_batch_size: PositiveInt = 1000
    val_split: float = Field(0.1, ge=0.0, lt=1.0, description="Fraction of train held out.")
    shuffle: bool = True

    @field_validator("augment")
    @classmethod
    def _augment(cls, v):
        # lazy: the schema loads without the data package
        from gradcli.data.augment import DataError, build_augment

        try:
            build_augment(v)
        except DataError as exc:
            raise ValueError(str(exc)) from None
        return v


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
    epochs: PositiveInt | None = Field(
        1, description="Epochs to train; train.steps, when set, wins (null: only steps)."
    )
    steps: PositiveInt | None = Field(None, description="Stop after this many steps.")
    grad_clip: GradClip | None = None
    early_stopping: EarlyStopping | None = None
    checkpoint: Checkpoint = Field(default_factory=Checkpoint)
    log_every_steps: PositiveInt = 50
    val_every_epochs: PositiveInt = 1
    test: bool = Field(
        False, description="At the end, evaluate the best checkpoint (else the last) on test."
    )

    @model_validator(mode="after")
    def _length(self):
        if self.epochs is None and self.steps is None:
            raise ValueError("give train.epochs or train.steps: without either the run never ends")
        return self


class Distributed(Strict):
    """Only read when several processes run (mpirun -n K, or gradcli train --procs K)."""

    backend: Literal["auto", "mpi", "nccl"] = Field(
        "auto", description="auto: NCCL for device cuda, else MPI."
    )
    bucket_mb: float = Field(
        4.0, gt=0.0, le=1024.0, description="Gradients are all-reduced in flat buckets this big."
    )
    sync_batchnorm: bool = Field(
        False, description="Batch-norm statistics over the global batch, not each rank's slice."
    )


class TensorBoardLogger(Strict):
    histograms: bool = Field(False, description="Also a histogram of each weight every epoch.")


class Output(Strict):
    runs_dir: str = "runs"
    loggers: list[Literal["csv", "tensorboard", "mlflow"]] = Field(
        default_factory=lambda: ["csv"],
        description="csv: metrics.csv (always written: resume and curves read it); "
        "tensorboard: <run>/tensorboard/; mlflow: $MLFLOW_TRACKING_URI, else mlruns/ next to "
        "runs_dir.",
    )
    tensorboard: TensorBoardLogger = Field(default_factory=TensorBoardLogger)

    @field_validator("loggers")
    @classmethod
    def _once(cls, v):
        twice = sorted({name for name in v if v.count(name) > 1})
        if twice:
            raise ValueError(f"{twice[0]} is listed twice; list each logger once")
        return v


class Sweep(Strict):
    """Read by `gradcli sweep CONFIG` (its flags win); `gradcli train` ignores it."""

    params: dict[str, str | list[str | int | float | bool]] = Field(
        default_factory=dict,
        description="KEY: SPEC as --param takes it, e.g. optimizer.lr: log:1e-4..1e-1, "
        "model.layers[0].linear: int:32..256, data.batch_size: [32, 64].",
    )
    trials: PositiveInt | None = Field(None, description="Default: the whole grid, else 20.")
    sampler: Literal["tpe", "random", "grid"] = "tpe"
    metric: Metric | None = Field(None, description="Default: train.checkpoint.best_metric.")
    prune: bool | None = Field(None, description="Stop bad trials early (default: on with tpe).")
    jobs: PositiveInt = Field(1, description="Trials trained at once, in parallel processes.")


def _check_name(cls, v: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", v):
        raise ValueError("use letters, digits, '.', '_' and '-' (it names a folder)")
    return v


def _check_device(cls, v: str) -> str:
    if not re.fullmatch(r"cpu|auto|cuda(:\d+)?", v.strip().lower()):
        raise ValueError("expected 'cpu', 'cuda', 'cuda:N' or 'auto'")
    return v.strip().lower()


def _check_scheduler(cls, v, info: ValidationInfo):
    """The schedule must be able to drive the optimizer (validated before it: fields go in
    order), so a refusal is located at `scheduler:` rather than found when the run is built."""
    optimizer = info.data.get("optimizer")  # absent when the optimizer itself is invalid
    problem = None if v is None or optimizer is None else v.check_optimizer(optimizer)
    if problem is not None:
        raise ValueError(problem)
    return v


def _make_config() -> type[BaseModel]:
    """The config models over the registries as they are now."""
    AnyLayer, AnyLoss = any_layer(), any_loss()
    AnyOptimizer, AnyScheduler = any_optimizer(), any_scheduler()
    # specs that nest other components (a sequential scheduler) name these unions
    unions = dict(AnyLayer=AnyLayer, AnyLoss=AnyLoss, AnyOptimizer=AnyOptimizer)
    unions["AnyScheduler"] = AnyScheduler
    for registry in REGISTRIES:
        for _, spec in registry.items():
            if any(u in str(a) for a in spec.__annotations__.values() for u in unions):
                spec.model_rebuild(force=True, _types_namespace=unions)

    class Model(Strict):
        input_shape: list[PositiveInt] = Field(
            min_length=1,
            description="Shape of one sample without the batch dimension, e.g. [1, 28, 28].",
        )
        blocks: dict[Name, Block] = Field(
            default_factory=dict,
            description="Named, reusable blocks, used in `layers` like a layer: `- name: {...}`.",
        )
        layers: list[AnyLayer] = Field(min_length=1, description="The network, in order.")

        @model_validator(mode="before")
        @classmethod
        def _block_uses(cls, raw):
            # a block's name is a key like a layer's: tag its uses for the layer union
            if isinstance(raw, dict) and isinstance(raw.get("blocks"), dict):
                raw = {**raw, "layers": rewrite_uses(raw.get("layers"), set(raw["blocks"]))}
            return raw

        @field_validator("blocks")
        @classmethod
        def _not_a_layer(cls, v):
            taken = [name for name in v if name in LAYERS or name in ("name", "args", "repeat")]
            if taken:
                raise ValueError(f"block '{taken[0]}' has a reserved name; rename the block")
            return v

    class Config(Strict):
        """A whole run."""

        name: str = Field(max_length=NAME_MAX, description="Run name: the folder under runs/.")
        seed: int = Field(0, ge=0, le=2**32 - 1)
        device: str = Field("cpu", description="cpu, cuda, cuda:N or auto.")
        dtype: Literal["float32", "float64"] = "float32"
        data: Data
        model: Model
        loss: AnyLoss = Field(default_factory=lambda: LOSSES.get("cross_entropy")())
        optimizer: AnyOptimizer
        scheduler: AnyScheduler | None = None
        train: Train = Field(default_factory=Train)
        output: Output = Field(default_factory=Output)
        distributed: Distributed = Field(default_factory=Distributed)
        sweep: Sweep | None = Field(None, description="Hyperparameter search: gradcli sweep.")
        _source: Any = PrivateAttr(None)  # load.Source: where each key came from, for errors

        def where(self, *path) -> str:
            """`file:line:col` of a key, for errors found after validation."""
            return self._source.where(path) if self._source is not None else "config"

        _name = field_validator("name")(_check_name)
        _device = field_validator("device")(_check_device)
        _scheduler = field_validator("scheduler")(_check_scheduler)

    # named as if defined at module level: reprs read `Config(...)`, and pickle finds the
    # class through the module's __getattr__ below
    Model.__qualname__, Config.__qualname__ = "Model", "Config"
    return Config


_built: dict[str, Any] = {}


def config_model() -> type[BaseModel]:
    """The `Config` model for the components registered now (cached until a registry changes)."""
    key = tuple(r.version for r in REGISTRIES)
    if _built.get("key") != key:
        _built["model"], _built["key"] = _make_config(), key
    return _built["model"]


def __getattr__(name: str):
    if name == "Config":  # `from gradcli.config.schema import Config`: the current model
        return config_model()
    if name == "Model":
        return config_model().model_fields["model"].annotation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
