"""Config -> objects. Each component's spec builds itself (see layers.py, losses.py, ...); this
module chains the layers, inferring each layer's input size from `model.input_shape`, and
reports a mismatch or an oversized layer with its index and the shapes, before any data is read;
`build_training` makes everything a training run consists of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import gradcli
from gradcli import nn, optim
from gradcli.config import schema as S
from gradcli.config.schedulers import Span
from gradcli.config.trace import Step, Tracer, sequence
from gradcli.data import DataLoader, DataSplits, build_augment, build_datasets
from gradcli.errors import ConfigError


@dataclass
class LayerShape:
    index: int
    kind: str  # the entry's name in the YAML: conv2d, residual, a block's name, ...
    module: nn.Module
    output_shape: tuple[int, ...]
    save: str | None = None  # a `save:` entry's name
    reads: list[str] = field(default_factory=list)  # the saved outputs an add/concat merges


def trace_layers(config: S.Config) -> list[LayerShape]:
    """Build each entry of `model.layers` (a layer, block, residual, ...) for its inferred input
    and run a 2-sample dummy batch through each plain layer (see `trace.Tracer`).

    Sizes are checked from the shapes before anything is allocated: a model that would not fit
    in memory is a one-line error naming the layer, not a MemoryError (or a swapping machine).
    """
    shape = tuple(config.model.input_shape)
    tracer = Tracer(config)
    tracer.check_elements("model.input_shape", ("model", "input_shape"), shape)
    steps = tracer.steps(config.model.layers, shape, ("model", "layers"))
    return [
        LayerShape(i, _kind(spec), s.module, s.shape, s.save, s.reads)
        for i, (spec, s) in enumerate(zip(config.model.layers, steps))
    ]


def _kind(spec) -> str:
    return spec.name if spec.kind == "block" else spec.kind


def build_model(config: S.Config, device=None) -> nn.Sequential:
    """A Sequential with one module per `model.layers` entry (a `Graph` if it saves outputs)."""
    return _assemble(config, trace_layers(config), device)


def _assemble(config: S.Config, layers: list[LayerShape], device=None) -> nn.Sequential:
    model = sequence([Step(x.module, x.output_shape, x.save, x.reads) for x in layers])
    if config.dtype == "float64":
        model = model.double()
    return model.to(device) if device is not None else model


def build_loss(spec, device=None) -> nn.Module:
    return spec.build(device)


def build_optimizer(spec, params) -> optim.Optimizer:
    return spec.build(params)


@dataclass
class Schedule:
    scheduler: object
    per_step: bool  # stepped after every batch (onecycle) rather than every epoch
    metric: str | None = None  # plateau: the validation metric it watches


def run_length(train: S.Train, steps_per_epoch: int) -> Span:
    """How long a run is, in epochs and in steps: `train.steps`, when set, wins over `epochs`
    (the last epoch may then be partial). The trainer and the schedules agree by using this."""
    if train.steps is None:
        return Span(epochs=train.epochs, steps=train.epochs * steps_per_epoch)
    return Span(epochs=math.ceil(train.steps / steps_per_epoch), steps=train.steps)


def build_scheduler(config: S.Config, optimizer, steps_per_epoch: int) -> Schedule | None:
    spec = config.scheduler
    if spec is None:
        return None
    span = run_length(config.train, steps_per_epoch)
    return Schedule(spec.build(optimizer, span), spec.per_step, spec.watched_metric())


@dataclass
class Training:
    """What a training run is made of; the trainer runs it."""

    data: DataSplits
    model: nn.Module
    loss_fn: nn.Module
    optimizer: optim.Optimizer
    train_loader: DataLoader
    val_loader: DataLoader | None
    schedule: Schedule | None


def build_training(config: S.Config, device=None, data_root=None) -> Training:
    """Data (train and validation splits), model, loss, optimizer, loaders and schedule, each
    checked against the others before the first step."""
    gradcli.manual_seed(config.seed)
    layers = trace_layers(config)  # shapes through every layer and branch, before any data
    d = config.data
    data = build_datasets(
        d.dataset, data_root or d.root, d.options, d.transforms, d.val_split, config.seed,
        splits=("train", "val", "test") if config.train.test else ("train", "val"),
    )  # fmt: skip
    sample_shape = tuple(data.train[0][0].shape)
    if sample_shape != tuple(config.model.input_shape):
        raise ConfigError(
            f"{config.where('model', 'input_shape')}: model.input_shape is "
            f"{list(config.model.input_shape)} but dataset '{d.dataset}' gives samples of "
            f"shape {list(sample_shape)} (after transforms); set input_shape to that"
        )
    model = _assemble(config, layers, device)
    check_outputs(config, model, data.info, layers[-1].output_shape)
    optimizer = build_optimizer(config.optimizer, model.parameters())
    train_loader = DataLoader(
        data.train,
        d.batch_size,
        shuffle=d.shuffle,
        seed=config.seed,
        device=device,
        dtype=config.dtype,
        augment=build_augment(d.augment, seed=config.seed),  # training only: eval sees raw data
    )
    val_loader = None
    if data.val is not None and len(data.val):
        val_loader = DataLoader(data.val, d.eval_batch_size, device=device, dtype=config.dtype)
    schedule = build_scheduler(config, optimizer, len(train_loader))
    loss_fn = build_loss(config.loss, device)
    return Training(data, model, loss_fn, optimizer, train_loader, val_loader, schedule)


def check_outputs(config, model, info, out_shape: tuple[int, ...]) -> None:
    """The model must have something to train, and its output for one sample (`out_shape`, as
    `trace_layers` found it) must fit the dataset's targets under the configured loss (the loss
    says how): say so before training, not at step 1."""
    where = config.where("model", "layers", len(config.model.layers) - 1)
    if not any(p.requires_grad for p in model.parameters()):
        raise ConfigError(
            f"{config.where('model', 'layers')}: model.layers has no trainable parameters; add a "
            "layer that learns (linear, conv2d, ...)"
        )
    problem = config.loss.check_options(info)
    if problem is not None:
        raise ConfigError(f"{config.where('loss')}: {problem}")
    problem = config.loss.check(out_shape, info)
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")
