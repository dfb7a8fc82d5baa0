"""The layer table: output shape, parameters and multiply-adds of every layer, and the memory a
training step needs at a batch size.

>>> s = summarize(load_config("configs/quickstart.yaml"))
>>> s.rows[0].layer, s.rows[0].params, s.totals.params
('Conv2d(1, 16, kernel_size=(3, 3), ...)', 160, 105866)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import gradcli
from gradcli import nn
from gradcli.config import schema as S
from gradcli.config.build import trace_layers


@dataclass
class LayerRow:
    index: int
    kind: str  # the config's layer name: conv2d, relu, ...
    layer: str  # short repr: Conv2d(1, 16, kernel_size=(3, 3), ...)
    module: str  # full repr
    output_shape: tuple[int, ...]  # with the batch dimension
    params: int
    trainable_params: int
    macs: int  # multiply-adds for one sample (conv, linear and recurrent weights)
    inputs: str = ""  # what it takes besides the previous output: `prev + skip (#2)`
    activations: int = 0  # elements per sample of its output and, in a block, of every inner one

    @property
    def trainable(self) -> str:
        if self.params == 0:
            return "-"
        if self.trainable_params == self.params:
            return "yes"
        return "no" if self.trainable_params == 0 else "partial"


@dataclass
class Totals:
    params: int
    trainable_params: int
    macs_per_sample: int
    macs_per_batch: int
    input_bytes: int
    param_bytes: int
    activation_bytes: int  # every layer's forward output at the batch size
    gradient_bytes: int  # a gradient for every parameter and every activation
    total_bytes: int

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params


@dataclass
class Summary:
    name: str
    input_shape: tuple[int, ...]  # with the batch dimension
    batch_size: int
    dtype: str
    rows: list[LayerRow]
    totals: Totals


def summarize(config: S.Config, batch_size: int | None = None) -> Summary:
    """The layer table of `config`'s model at `batch_size` (default: data.batch_size)."""
    batch = batch_size or config.data.batch_size
    itemsize = np.dtype(config.dtype).itemsize
    rows, shape, saved_at = [], tuple(config.model.input_shape), {}
    for traced in trace_layers(config):
        module = traced.module
        if traced.save:
            saved_at[traced.save] = traced.index
        macs_, activations = (
            (0, math.prod(shape)) if traced.reads else inner(module, shape, traced.output_shape)
        )
        params = list(module.parameters())
        rows.append(
            LayerRow(
                index=traced.index,
                kind=traced.kind,
                layer=f"save: {traced.save}" if traced.save else _entry_repr(traced.kind, module),
                module=repr(module),
                output_shape=(batch, *traced.output_shape),
                params=sum(p.numel() for p in params),
                trainable_params=sum(p.numel() for p in params if p.requires_grad),
                macs=macs_,
                inputs=" + ".join(["prev", *(f"{n} (#{saved_at[n]})" for n in traced.reads)])
                if traced.reads
                else "",
                activations=activations,
            )
        )
        shape = traced.output_shape
    n_params = sum(r.params for r in rows)
    activations = sum(r.activations for r in rows) * batch * itemsize
    param_bytes = n_params * itemsize
    input_bytes = batch * math.prod(config.model.input_shape) * itemsize
    per_sample = sum(r.macs for r in rows)
    totals = Totals(
        params=n_params,
        trainable_params=sum(r.trainable_params for r in rows),
        macs_per_sample=per_sample,
        macs_per_batch=per_sample * batch,
        input_bytes=input_bytes,
        param_bytes=param_bytes,
        activation_bytes=activations,
        gradient_bytes=param_bytes + activations,
        total_bytes=input_bytes + param_bytes + activations + (param_bytes + activations),
    )
    return Summary(
        config.name, (batch, *config.model.input_shape), batch, config.dtype, rows, totals
    )


def macs(module: nn.Module, out_shape: tuple, in_shape: tuple = ()) -> int:
    """Multiply-adds of one sample through `module` (shapes without the batch dimension).

    Only the weight products of convolutions, linear and recurrent layers count: pooling,
    activations, normalisation, gates and bias additions are a few operations per element,
    negligible beside them.
    """
    if isinstance(module, nn.Conv2d | nn.Conv1d):  # kernel_size is a pair / a 1-tuple
        per_output = (module.in_channels // module.groups) * math.prod(module.kernel_size)
        return math.prod(out_shape) * per_output
    if isinstance(module, nn.Linear):
        return module.out_features * module.in_features
    if isinstance(module, nn.RNNBase) and in_shape:  # every weight once per step
        weights = [p for name, p in module.named_parameters() if name.startswith("weight_")]
        return in_shape[0] * sum(w.numel() for w in weights)
    return 0


def inner(module: nn.Module, in_shape: tuple, out_shape: tuple) -> tuple[int, int]:
    """(multiply-adds, output elements) of one sample through `module`, summed over every layer
    inside it when it is a block, a residual or branches: a 2-sample dummy batch of `in_shape`
    gives each inner layer its output shape."""
    if not list(module.children()):
        return macs(module, out_shape, in_shape), math.prod(out_shape)
    totals = [0, 0]

    def count(layer, args, out):
        totals[0] += macs(layer, tuple(out.shape[1:]), tuple(args[0].shape[1:]))
        totals[1] += math.prod(out.shape[1:])

    # an identity (a shortcut) hands on its input: no new memory
    leaves = [m for m in module.modules() if not (list(m.children()) or isinstance(m, nn.Identity))]
    handles = [m.register_forward_hook(count) for m in leaves]
    try:
        _run(module, in_shape)
    finally:
        for h in handles:
            h.remove()
    return totals[0], totals[1]


def _run(module: nn.Module, in_shape: tuple) -> None:
    was_training = module.training
    module.eval()  # a dummy batch must not move BatchNorm's running statistics
    try:
        with gradcli.no_grad():
            module(gradcli.zeros(2, *in_shape))
    finally:
        module.train(was_training)


def _counted(module: nn.Module) -> bool:
    return isinstance(module, (nn.Conv2d, nn.Linear))


def _entry_repr(kind: str, module: nn.Module) -> str:
    """A layer's short repr; a composite entry (a block, residual, branches) by its name, as
    `basic x3 (Residual)` when repeated; the row holds its total, the tree what is inside."""
    if not list(module.children()):
        return short_repr(module)
    inner = list(module.children())
    if isinstance(module, nn.Sequential) and kind not in ("residual", "branches"):
        if len(inner) > 1 and len({type(m) for m in inner}) == 1:
            return f"{kind} x{len(inner)} ({type(inner[0]).__name__})"
    return f"{kind} ({type(module).__name__})"


def short_repr(module: nn.Module, width: int = 40) -> str:
    """`Conv2d(1, 16, kernel_size=(3, 3), ...)`: the repr's leading arguments up to `width`."""
    text = repr(module)
    head, sep, args = text.partition("(")
    if not sep or len(text) <= width + 8:
        return text
    kept, parts = "", _split_args(args[:-1])
    for i, part in enumerate(parts):
        candidate = f"{kept}, {part}" if kept else part
        if kept and len(head) + len(candidate) > width:
            return f"{head}({kept}, ...)" if i < len(parts) else f"{head}({kept})"
        kept = candidate
    return f"{head}({kept})"


def _split_args(args: str) -> list[str]:
    """Split `a, b=(1, 2), c` at the top-level commas only."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(args):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[start:i].strip())
            start = i + 1
    parts.append(args[start:].strip())
    return [p for p in parts if p]
