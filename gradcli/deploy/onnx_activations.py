"""ONNX converters for the activation layers (element-wise, softmax and log-softmax)."""

from __future__ import annotations

import math

import numpy as np

from gradcli import nn
from gradcli.deploy.onnx_export import Builder, Value, converts

_PLAIN = {nn.ReLU: "Relu", nn.Sigmoid: "Sigmoid", nn.Tanh: "Tanh"}


@converts(*_PLAIN)
def plain(b: Builder, m, x: Value) -> str:
    return b.op(_PLAIN[type(m)], [x.name])


@converts(nn.LeakyReLU)
def leaky_relu(b: Builder, m, x: Value) -> str:
    return b.op("LeakyRelu", [x.name], alpha=float(m.negative_slope))


@converts(nn.ELU)
def elu(b: Builder, m, x: Value) -> str:
    return b.op("Elu", [x.name], alpha=float(m.alpha))


@converts(nn.GELU)
def gelu(b: Builder, m, x: Value) -> str:
    # opset 17 has no Gelu (it came in 20): x * Phi(x) from Erf, or the tanh approximation
    half = b.const(np.float32(0.5), "half")
    one = b.const(np.float32(1.0), "one")
    if m.approximate == "tanh":
        cube = b.op("Mul", [b.op("Mul", [x.name, x.name]), x.name])
        inner = b.op("Add", [x.name, b.op("Mul", [cube, b.const(np.float32(0.044715), "k")])])
        scaled = b.op("Mul", [inner, b.const(np.float32(math.sqrt(2 / math.pi)), "c")])
        phi = b.op("Tanh", [scaled])
    else:
        phi = b.op("Erf", [b.op("Div", [x.name, b.const(np.float32(math.sqrt(2)), "sqrt2")])])
    return b.op("Mul", [b.op("Mul", [x.name, half]), b.op("Add", [phi, one])])


@converts(nn.Softmax, nn.LogSoftmax)
def softmax(b: Builder, m, x: Value) -> str:
    ndim = len(x.shape)
    # dim=None is PyTorch's legacy rule (0 for 0-, 1- and 3-D inputs, else 1), as gradcli's
    dim = m.dim if m.dim is not None else (0 if ndim in (0, 1, 3) else 1)
    op = "LogSoftmax" if isinstance(m, nn.LogSoftmax) else "Softmax"
    return b.op(op, [x.name], axis=dim % ndim)
