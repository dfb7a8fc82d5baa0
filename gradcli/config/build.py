"""Config -> objects. Each component's spec builds itself (see layers.py, losses.py, ...); this
module chains the layers, inferring each layer's input size from `model.input_shape`, and
reports a mismatch or an oversized layer with its index and the shapes, before any data is read;
`build_training` makes everything a training run consists of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gradcli
from gradcli import nn, optim
from gradcli.config import schema as S
from gradcli.config.schedulers import Span
from gradcli.data import DataLoader, DataSplits, build_augment, build_datasets
from gradcli.errors import ConfigError, GradcliError

MAX_PARAMS = 10**9  # 4 GB of float32 weights, 16 GB with gradients and Adam's moments
MAX_SAMPLE_ELEMENTS = 10**8  # one sample's input or any layer's output: 400 MB in float32


@dataclass
class LayerShape:
    index: int
    kind: str
    module: nn.Module
    output_shape: tuple[int, ...]


def trace_layers(config: S.Config) -> list[LayerShape]:
    """Build each layer for its inferred input and run a 2-sample dummy batch through it.

    Sizes are checked from the shapes before anything is allocated: a model that would not fit
    in memory is a one-line error naming the layer, not a MemoryError (or a swapping machine).
    """
    shape = tuple(config.model.input_shape)
    _check_elements(config, "model.input_shape", config.where("model", "input_shape"), shape)
    out, total = [], 0
    for i, spec in enumerate(config.model.layers):
        where = f"{config.where('model', 'layers', i)}: model.layers[{i}]"
        spec.check_input(shape, where)
        total += spec.num_params(shape)
        if total > MAX_PARAMS:
            raise ConfigError(
                f"{where} ({spec.kind}) brings the model to {total:,} parameters, more than "
                f"the {MAX_PARAMS:,} gradcli allows; make the layer or its input smaller"
            )
        try:
            module = spec.build(shape)
            module.eval()
            with gradcli.no_grad():
                y = module(gradcli.zeros(2, *shape))
        except ConfigError:
            raise
        except MemoryError:
            raise ConfigError(
                f"{where} ({spec.kind}) does not fit in memory for input of shape {shape}"
            ) from None
        except (GradcliError, ValueError, IndexError) as e:
            raise ConfigError(
                f"{where} ({spec.kind}) cannot take input of shape {shape}: {e}"
            ) from None
        shape = tuple(y.shape[1:])
        if 0 in shape:
            raise ConfigError(
                f"{where} ({spec.kind}) gives an empty output {shape}; use a smaller kernel or "
                "stride, or more padding"
            )
        _check_elements(config, f"model.layers[{i}] ({spec.kind}) output", where, shape)
        module.train()
        out.append(LayerShape(i, spec.kind, module, shape))
    return out


def _check_elements(config, what: str, where: str, shape: tuple) -> None:
    n = math.prod(shape)
    if n > MAX_SAMPLE_ELEMENTS:
        raise ConfigError(
            f"{where}: {what} has {n:,} elements per sample {list(shape)}, more than the "
            f"{MAX_SAMPLE_ELEMENTS:,} gradcli allows"
        )


def build_model(config: S.Config, device=None) -> nn.Sequential:
    return _assemble(config, trace_layers(config), device)


def _assemble(config: S.Config, layers: list[LayerShape], device=None) -> nn.Sequential:
    model = nn.Sequential(*[layer.module for layer in layers])
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
    layers = trace_layers(config)
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
