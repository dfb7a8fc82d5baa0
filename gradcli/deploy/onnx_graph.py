"""ONNX converters for the containers and graph modules: Sequential, Graph (saved outputs),
Residual, Branches and the Add / Concat merges. Each converts its children in turn, so the
ONNX node names follow the module paths of the model's state_dict."""

from __future__ import annotations

from gradcli import nn
from gradcli.deploy.onnx_export import Builder, Value, converts


@converts(nn.Sequential)
def sequential(b: Builder, m, x: Value) -> str:
    for name, child in m.named_children():
        x = b.convert(child, x, name=name)
    return x.name


@converts(nn.Graph)
def graph(b: Builder, m, x: Value) -> str:
    saved: dict[str, Value] = {}
    for i, (name, child) in enumerate(m.named_children()):
        reads = [saved[n] for n in m.reads.get(i, [])]
        x = b.convert(child, x, *reads, name=name)
        if i in m.saves:
            saved[m.saves[i]] = x
    return x.name


@converts(nn.Add)
def add(b: Builder, m, *inputs: Value) -> str:
    if len(inputs) == 1:
        return inputs[0].name
    return b.op("Sum", [v.name for v in inputs])


@converts(nn.Concat)
def concat(b: Builder, m, *inputs: Value) -> str:
    if len(inputs) == 1:
        return inputs[0].name
    return b.op("Concat", [v.name for v in inputs], axis=m.dim % len(inputs[0].shape))


@converts(nn.Residual)
def residual(b: Builder, m, x: Value) -> str:
    body = b.convert(m.body, x, name="body")
    short = b.convert(m.shortcut, x, name="shortcut")
    merged = b.convert(m.merge, body, short, name="merge")
    return b.convert(m.after, merged, name="after").name


@converts(nn.Branches)
def branches(b: Builder, m, x: Value) -> str:
    outs = [b.convert(p, x, name=f"paths.{i}") for i, p in enumerate(m.paths)]
    return b.convert(m.merge, *outs, name="merge").name
