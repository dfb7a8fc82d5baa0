"""Checks that stop a run early with a message that says what to change."""

from __future__ import annotations

import gradcli
from gradcli.backend import get_array_module
from gradcli.errors import ConfigError


def first_non_finite(model, loss_fn, x, y) -> str:
    bad = []
    handles = []
    for i, layer in enumerate(model):

        def hook(module, inputs, output, i=i):
            if not bad and not finite(output):
                bad.append(i)

        handles.append(layer.register_forward_hook(hook))
    try:
        model.zero_grad()
        loss = loss_fn(model(x), y)
    finally:
        for h in handles:
            h.remove()
    if bad:
        i = bad[0]
        return f"first non-finite output: model.layers[{i}] ({type(model[i]).__name__})"
    loss.backward()
    for i, layer in enumerate(model):
        for name, p in layer.named_parameters():
            if p.grad is not None and not finite(p.grad):
                return f"first non-finite gradient: model.layers[{i}].{name}"
    return "every layer's output is finite: the loss itself overflowed"


def finite(t) -> bool:
    return bool(get_array_module(t._data).isfinite(t._data).all())


def check_outputs(config, model, info) -> None:
    """The last layer's size must fit the labels; say so before training, not at step 1."""
    with gradcli.no_grad():
        model.eval()
        out_shape = tuple(model(gradcli.zeros(1, *config.model.input_shape)).shape[1:])
        model.train()
    where = config.where("model", "layers", len(config.model.layers) - 1)
    if info.num_classes and config.loss.class_targets:
        if out_shape != (info.num_classes,):
            raise ConfigError(
                f"{where}: the model outputs shape {list(out_shape)} but dataset '{info.name}' "
                f"has {info.num_classes} classes; make the last layer `- linear: "
                f"{info.num_classes}`"
            )
    elif info.task == "regression" and out_shape != tuple(info.target_shape):
        raise ConfigError(
            f"{where}: the model outputs shape {list(out_shape)} but dataset '{info.name}' has "
            f"targets of shape {list(info.target_shape)}"
        )
