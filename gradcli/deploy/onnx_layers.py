"""ONNX converters for the plain layers: linear, convolution, pooling, normalisation,
embedding, reshaping and dropout. Activations are in onnx_activations.py."""

from __future__ import annotations

import numpy as np

from gradcli import nn
from gradcli.config.layers_tokens import TokenEmbedding
from gradcli.deploy.onnx_export import Builder, Unsupported, Value, converts
from gradcli.ops._checks import pair


@converts(nn.Identity, nn.Dropout)
def identity(b: Builder, m, x: Value) -> str:
    return x.name  # dropout is the identity in eval mode


@converts(nn.Linear)
def linear(b: Builder, m, x: Value) -> str:
    if len(x.shape) != 2:  # the YAML puts a linear layer on flat features only
        raise Unsupported(m, f"input of shape {x.shape[1:]}; it exports on flat features")
    inputs = [x.name, b.const(m.weight, "weight")]
    if m.bias is not None:
        inputs.append(b.const(m.bias, "bias"))
    return b.op("Gemm", inputs, transB=1)


@converts(nn.Flatten)
def flatten(b: Builder, m, x: Value) -> str:
    ndim = len(x.shape)
    start, end = m.start_dim % ndim, m.end_dim % ndim
    if start == 0:  # the batch merges with what follows: the one dimension left to infer
        shape = [-1, *x.shape[end + 1 :]]
        return b.op("Reshape", [x.name, b.ints(shape)])
    merged = int(np.prod(x.shape[start : end + 1]))
    return b.keep_batch(x.name, (0, *x.shape[1:start], merged, *x.shape[end + 1 :]))


def _conv_pads(m, dims: int) -> list[int]:
    """ONNX pads (begins, then ends) for a convolution's padding (a tuple, 'same', 'valid')."""
    if m.padding_mode != "zeros":
        raise Unsupported(m, f"padding_mode '{m.padding_mode}' (only 'zeros' is exported)")
    if m.padding == "valid":
        return [0] * 2 * dims
    if m.padding == "same":  # the odd pixel goes at the end, as gradcli (and PyTorch) pad
        totals = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        return [t // 2 for t in totals] + [t - t // 2 for t in totals]
    return list(m.padding) * 2


@converts(nn.Conv1d, nn.Conv2d)
def conv(b: Builder, m, x: Value) -> str:
    dims = len(m.kernel_size)
    if len(x.shape) != dims + 2:
        raise Unsupported(m, f"unbatched input of shape {x.shape[1:]}")
    inputs = [x.name, b.const(m.weight, "weight")]
    if m.bias is not None:
        inputs.append(b.const(m.bias, "bias"))
    return b.op(
        "Conv",
        inputs,
        kernel_shape=list(m.kernel_size),
        strides=list(m.stride),
        dilations=list(m.dilation),
        pads=_conv_pads(m, dims),
        group=m.groups,
    )


def _pool_pads(b: Builder, x: Value, kernel, stride, padding, dilation) -> list[int]:
    """ONNX pads giving gradcli's output size without ONNX's ceil_mode, whose rule differs:
    gradcli (as PyTorch) drops a last window that would start in the right padding. The output
    size is known here, so ceil_mode becomes extra padding at the end, which no window counts
    (-inf for max; left out of the average's divisor, see `avg_pool`)."""
    extra = [
        max(0, (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p))
        for size, out, k, s, p, d in zip(
            x.shape[2:], b.out_shape[2:], kernel, stride, padding, dilation
        )
    ]
    return [*padding, *(p + e for p, e in zip(padding, extra))]


@converts(nn.MaxPool2d)
def max_pool(b: Builder, m, x: Value) -> str:
    if m.return_indices:
        raise Unsupported(m, "return_indices=True (the indices are not exported)")
    kernel = pair("maxpool2d", "kernel_size", m.kernel_size, 1)
    stride = pair("maxpool2d", "stride", m.stride, 1)
    dilation = pair("maxpool2d", "dilation", m.dilation, 1)
    padding = pair("maxpool2d", "padding", m.padding, 0)
    return b.op(
        "MaxPool",
        [x.name],
        kernel_shape=list(kernel),
        strides=list(stride),
        dilations=list(dilation),
        pads=_pool_pads(b, x, kernel, stride, padding, dilation),
    )


@converts(nn.AvgPool2d)
def avg_pool(b: Builder, m, x: Value) -> str:
    if m.divisor_override is not None:
        raise Unsupported(m, "divisor_override (ONNX AveragePool divides by the window)")
    kernel = pair("avgpool2d", "kernel_size", m.kernel_size, 1)
    stride = pair("avgpool2d", "stride", m.stride, 1)
    padding = pair("avgpool2d", "padding", m.padding, 0)
    pads = _pool_pads(b, x, kernel, stride, padding, (1, 1))
    name = x.name
    if m.count_include_pad and any(padding):
        # the divisor counts the zero padding but not the ceil_mode overhang beyond it: pad
        # explicitly, then average with the overhang alone as (uncounted) padding
        name = b.op("Pad", [name, b.ints([0, 0, *padding, 0, 0, *padding], "pads")])
        pads = [0, 0, pads[2] - padding[0], pads[3] - padding[1]]
    return b.op(
        "AveragePool",
        [name],
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=pads,
        count_include_pad=0,
    )


def _averaging(size: int, out: int) -> np.ndarray:
    """(out, size): row i averages the input window [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size), np.float32)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return m


@converts(nn.AdaptiveAvgPool2d)
def adaptive_avg_pool(b: Builder, m, x: Value) -> str:
    # windows of unequal size have no AveragePool; as the input's size is known when exporting,
    # the pooling is two products with fixed averaging matrices: rows, then columns
    (h, w), (oh, ow) = x.shape[2:], tuple(b.out_shape[2:])
    cols = b.op("MatMul", [x.name, b.const(_averaging(w, ow).T, "pool_cols")])
    return b.op("MatMul", [b.const(_averaging(h, oh), "pool_rows"), cols])


@converts(nn.GlobalAvgPool2d)
def global_avg_pool(b: Builder, m, x: Value) -> str:
    pooled = b.op("GlobalAveragePool", [x.name])
    return b.op("Flatten", [pooled], axis=1)


@converts(nn.BatchNorm1d, nn.BatchNorm2d)
def batch_norm(b: Builder, m, x: Value) -> str:
    if m.running_mean is None:
        raise Unsupported(
            m, "it has no running statistics (track_running_stats=False), so eval mode uses "
            "each batch's own statistics; train with track_running_stats=True"
        )  # fmt: skip
    c = m.num_features
    scale = m.weight if m.weight is not None else np.ones(c)
    shift = m.bias if m.bias is not None else np.zeros(c)
    inputs = [x.name, b.const(scale, "weight"), b.const(shift, "bias")]
    inputs += [b.const(m.running_mean, "running_mean"), b.const(m.running_var, "running_var")]
    return b.op("BatchNormalization", inputs, epsilon=float(m.eps))


@converts(nn.LayerNorm)
def layer_norm(b: Builder, m, x: Value) -> str:
    shape = m.normalized_shape
    scale = m.weight if m.weight is not None else np.ones(shape)
    inputs = [x.name, b.const(scale, "weight")]
    if m.bias is not None:
        inputs.append(b.const(m.bias, "bias"))
    return b.op("LayerNormalization", inputs, axis=-len(shape), epsilon=float(m.eps))


@converts(TokenEmbedding, nn.Embedding)
def embedding(b: Builder, m, x: Value) -> str:
    if m.max_norm is not None:
        raise Unsupported(m, "max_norm renormalises rows while it runs; export without it")
    ids = b.op("Cast", [x.name], to=7)  # INT64; gradcli reads float ids the same way
    out = b.op("Gather", [b.const(m.weight, "weight"), ids], axis=0)
    if getattr(m, "transpose", False):
        ndim = len(x.shape) + 1
        perm = list(range(ndim - 2)) + [ndim - 1, ndim - 2]
        out = b.op("Transpose", [out], perm=perm)
    return out
