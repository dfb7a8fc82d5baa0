"""Stateless forms of the layers and losses: `import gradcli.nn.functional as F`.

>>> F.max_pool2d(F.relu(conv(x)), (2, 2))
"""

from __future__ import annotations

from gradcli import ops as _ops
from gradcli.ops.activation import elu, gelu, leaky_relu
from gradcli.ops.attention import scaled_dot_product_attention
from gradcli.ops.conv import conv1d, conv2d
from gradcli.ops.conv_transpose import conv_transpose2d
from gradcli.ops.cross_entropy import cross_entropy, nll_loss
from gradcli.ops.dropout import dropout
from gradcli.ops.dropout_channel import dropout2d
from gradcli.ops.embedding import embedding
from gradcli.ops.indexing import one_hot
from gradcli.ops.interpolate import interpolate
from gradcli.ops.layer_norm import group_norm, layer_norm
from gradcli.ops.linalg import linear
from gradcli.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)
from gradcli.ops.normalization import batch_norm
from gradcli.ops.padding import pad
from gradcli.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "elu", "flatten",
    "gelu", "l1_loss", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss",
    "nll_loss", "one_hot", "pad", "relu", "sigmoid", "smooth_l1_loss", "softmax", "tanh",
]  # fmt: skip
__all__ += ["conv1d", "conv_transpose2d", "embedding", "group_norm", "interpolate", "layer_norm"]
__all__ += ["dropout2d", "scaled_dot_product_attention"]


# ---- activations -----------------------------------------------------------------------------


def relu(input, inplace=False):
    if inplace:
        return input._inplace(_ops.relu)
    return _ops.relu(input)


def sigmoid(input):
    return _ops.sigmoid(input)


def tanh(input):
    return _ops.tanh(input)


def _softmax_dim(ndim):
    # PyTorch's legacy choice when dim is not given
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _ops.softmax(input, _softmax_dim(input.dim()) if dim is None else dim)


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _ops.log_softmax(input, _softmax_dim(input.dim()) if dim is None else dim)


def flatten(input, start_dim=0, end_dim=-1):
    return _ops.flatten(input, start_dim, end_dim)
