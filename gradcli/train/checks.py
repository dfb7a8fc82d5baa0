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
    """The model must have something to train, and its output must fit the dataset's targets
    under the configured loss (the loss says how): say so before training, not at step 1."""
    where = config.where("model", "layers", len(config.model.layers) - 1)
    if not any(p.requires_grad for p in model.parameters()):
        raise ConfigError(
            f"{config.where('model', 'layers')}: model.layers has no trainable parameters; add a "
            "layer that learns (linear, conv2d, ...)"
        )
    with gradcli.no_grad():
        model.eval()
        out_shape = tuple(model(gradcli.zeros(1, *config.model.input_shape)).shape[1:])
        model.train()
    problem = config.loss.check_options(info)
    if problem is not None:
        raise ConfigError(f"{config.where('loss')}: {problem}")
    problem = config.loss.check(out_shape, info)
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")
