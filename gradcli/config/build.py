"""Config -> objects: the one place that maps config names to model, loss, optimizer, scheduler
and data classes. Layer input sizes are inferred from `model.input_shape`, and a mismatch is
reported here, with the layer's index and the shapes, before any data is read."""

from __future__ import annotations

from dataclasses import dataclass

import gradcli
from gradcli import nn, optim
from gradcli.config import schema as S
from gradcli.config.layers import Layer
from gradcli.errors import ConfigError, GradcliError


@dataclass
class LayerShape:
    index: int
    kind: str
    module: nn.Module
    output_shape: tuple[int, ...]


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else v


def _layer(spec: Layer, shape: tuple[int, ...], where: str, i: int) -> nn.Module:
    k = spec.kind

    def need(ndim: int, what: str, fix: str):
        if len(shape) != ndim:
            raise ConfigError(
                f"{where}: model.layers[{i}] ({k}) expects {what} but its input has shape "
                f"{shape}; {fix}"
            )

    if k == "linear":
        need(1, "flat features", "add `- flatten` before it")
        return _init(nn.Linear(shape[0], spec.out_features, bias=spec.bias), spec.init)
    if k == "conv2d":
        need(3, "(channels, height, width)", "check model.input_shape, or remove a `flatten`")
        conv = nn.Conv2d(
            shape[0], spec.out_channels, _pair(spec.kernel_size), _pair(spec.stride),
            _pair(spec.padding), _pair(spec.dilation), spec.groups, spec.bias,
        )  # fmt: skip
        return _init(conv, spec.init)
    if k == "maxpool2d":
        need(3, "(channels, height, width)", "put pooling before `flatten`")
        return nn.MaxPool2d(
            _pair(spec.kernel_size), _pair(spec.stride), _pair(spec.padding),
            _pair(spec.dilation), ceil_mode=spec.ceil_mode,
        )  # fmt: skip
    if k == "avgpool2d":
        need(3, "(channels, height, width)", "put pooling before `flatten`")
        return nn.AvgPool2d(
            _pair(spec.kernel_size), _pair(spec.stride), _pair(spec.padding),
            ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad,
        )  # fmt: skip
    if k == "adaptive_avgpool2d":
        need(3, "(channels, height, width)", "put pooling before `flatten`")
        return nn.AdaptiveAvgPool2d(_pair(spec.output_size))
    if k == "batchnorm1d":
        need(1, "flat features", "use batchnorm2d after conv layers")
        return nn.BatchNorm1d(shape[0], eps=spec.eps, momentum=spec.momentum, affine=spec.affine)
    if k == "batchnorm2d":
        need(3, "(channels, height, width)", "use batchnorm1d after flatten")
        return nn.BatchNorm2d(shape[0], eps=spec.eps, momentum=spec.momentum, affine=spec.affine)
    simple = {
        "flatten": lambda: nn.Flatten(spec.start_dim, spec.end_dim),
        "dropout": lambda: nn.Dropout(spec.p),
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(spec.negative_slope),
        "elu": lambda: nn.ELU(spec.alpha),
        "gelu": lambda: nn.GELU(spec.approximate),
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "softmax": lambda: nn.Softmax(spec.dim),
        "log_softmax": lambda: nn.LogSoftmax(spec.dim),
    }
    return simple[k]()


def _init(layer: nn.Module, how: str) -> nn.Module:
    if how == "normal":
        nn.init.normal_(layer.weight, 0.0, 1.0)
    elif how != "default":
        getattr(nn.init, f"{how}_")(layer.weight)
    return layer


def trace_layers(config: S.Config) -> list[LayerShape]:
    """Build each layer for its inferred input and run a 2-sample dummy batch through it."""
    shape = tuple(config.model.input_shape)
    out = []
    for i, spec in enumerate(config.model.layers):
        where = config.where("model", "layers", i)
        try:
            module = _layer(spec, shape, where, i)
            module.eval()
            with gradcli.no_grad():
                y = module(gradcli.zeros(2, *shape))
        except ConfigError:
            raise
        except (GradcliError, ValueError, IndexError) as e:
            raise ConfigError(
                f"{where}: model.layers[{i}] ({spec.kind}) cannot take input of shape {shape}: {e}"
            ) from None
        shape = tuple(y.shape[1:])
        if 0 in shape:
            raise ConfigError(
                f"{where}: model.layers[{i}] ({spec.kind}) turns input {tuple(y.shape[1:])} into "
                f"an empty output {shape}; use a smaller kernel or stride, or more padding"
            )
        module.train()
        out.append(LayerShape(i, spec.kind, module, shape))
    return out


def build_model(config: S.Config, device=None) -> nn.Sequential:
    model = nn.Sequential(*[layer.module for layer in trace_layers(config)])
    if config.dtype == "float64":
        model = model.double()
    return model.to(device) if device is not None else model


def build_loss(spec, device=None) -> nn.Module:
    def weight():
        return gradcli.tensor(spec.weight, device=device) if spec.weight is not None else None

    t = spec.type
    if t == "cross_entropy":
        return nn.CrossEntropyLoss(
            weight(), ignore_index=spec.ignore_index, label_smoothing=spec.label_smoothing
        )
    if t == "nll":
        return nn.NLLLoss(weight(), ignore_index=spec.ignore_index)
    if t == "mse":
        return nn.MSELoss(reduction=spec.reduction)
    if t == "l1":
        return nn.L1Loss(reduction=spec.reduction)
    if t == "smooth_l1":
        return nn.SmoothL1Loss(beta=spec.beta)
    if t == "bce_with_logits":
        return nn.BCEWithLogitsLoss()
    return nn.BCELoss()


def build_optimizer(spec, params) -> optim.Optimizer:
    t = spec.type
    if t == "sgd":
        return optim.SGD(
            params, lr=spec.lr, momentum=spec.momentum, dampening=spec.dampening,
            nesterov=spec.nesterov, weight_decay=spec.weight_decay,
        )  # fmt: skip
    if t in ("adam", "adamw"):
        cls = optim.Adam if t == "adam" else optim.AdamW
        wd = spec.weight_decay if spec.weight_decay is not None else (0.0 if t == "adam" else 1e-2)
        return cls(
            params, lr=spec.lr, betas=tuple(spec.betas), eps=spec.eps, weight_decay=wd,
            amsgrad=spec.amsgrad,
        )  # fmt: skip
    if t == "rmsprop":
        return optim.RMSprop(
            params, lr=spec.lr, alpha=spec.alpha, eps=spec.eps, momentum=spec.momentum,
            centered=spec.centered, weight_decay=spec.weight_decay,
        )  # fmt: skip
    return optim.Adagrad(
        params, lr=spec.lr, lr_decay=spec.lr_decay, eps=spec.eps, weight_decay=spec.weight_decay
    )


@dataclass
class Schedule:
    scheduler: object
    per_step: bool  # stepped after every batch (onecycle) rather than every epoch
    metric: str | None = None  # plateau: the validation metric it watches


def build_scheduler(config: S.Config, optimizer, steps_per_epoch: int) -> Schedule | None:
    spec = config.scheduler
    if spec is None:
        return None
    lrs = optim.lr_scheduler
    epochs = config.train.epochs or max(1, -(-(config.train.steps or 1) // steps_per_epoch))
    t = spec.type
    if t == "step":
        return Schedule(lrs.StepLR(optimizer, spec.step_size, spec.gamma), False)
    if t == "multistep":
        return Schedule(lrs.MultiStepLR(optimizer, spec.milestones, spec.gamma), False)
    if t == "exponential":
        return Schedule(lrs.ExponentialLR(optimizer, spec.gamma), False)
    if t == "cosine":
        return Schedule(lrs.CosineAnnealingLR(optimizer, spec.t_max or epochs, spec.eta_min), False)
    if t == "linear":
        sched = lrs.LinearLR(optimizer, spec.start_factor, spec.end_factor, spec.total_iters)
        return Schedule(sched, False)
    if t == "onecycle":
        total = config.train.steps or epochs * steps_per_epoch
        sched = lrs.OneCycleLR(
            optimizer, spec.max_lr, total_steps=total, pct_start=spec.pct_start,
            anneal_strategy=spec.anneal_strategy, div_factor=spec.div_factor,
            final_div_factor=spec.final_div_factor,
        )  # fmt: skip
        return Schedule(sched, True)
    mode = "max" if spec.metric == "val_accuracy" else "min"
    sched = lrs.ReduceLROnPlateau(
        optimizer, mode=mode, factor=spec.factor, patience=spec.patience,
        threshold=spec.threshold, cooldown=spec.cooldown, min_lr=spec.min_lr,
    )  # fmt: skip
    return Schedule(sched, False, spec.metric)
