"""Attention: a softmax that adds its mask in the same node, and scaled dot-product attention.

>>> out = scaled_dot_product_attention(q, k, v, is_causal=True)   # (..., L, E) each
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.autograd.double_backward import saved_output, sum_to_tensor
from gradcli.autograd.function import Function
from gradcli.autograd.tensor import Tensor
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._util import sum_to
from gradcli.ops.dropout import dropout
from gradcli.ops.linalg import matmul


class MaskedSoftmax(Function):
    """softmax(x + mask) over the last dim; `safe`: a row masked everywhere (all -inf) gives
    zeros, as PyTorch's scaled_dot_product_attention does, instead of NaN."""

    def name(self):
        return "SoftmaxBackward0"

    def forward(self, x, mask=None, *, safe):
        xp = get_array_module(x)
        self.x_shape = x.shape
        if mask is not None:
            self.mask_shape = mask.shape
            x = x + mask
        top = x.max(axis=-1, keepdims=True)
        if safe:
            top = xp.where(top == -math.inf, 0, top)
        with np.errstate(invalid="ignore"):  # an all -inf row is NaN, silently, as PyTorch
            e = xp.exp(x - top)
        total = e.sum(axis=-1, keepdims=True)
        if safe:
            total[total == 0] = 1  # an all-masked row: every e is 0, leave it 0
        e /= total
        self.save_for_backward(e)
        return e

    def backward(self, g):
        (out,) = self.saved_tensors
        gy = g * out
        gx = gy - out * gy.sum(axis=-1, keepdims=True)
        if len(self.needs_input_grad) == 1:
            return gx
        # the mask may broadcast x up (a per-head mask over shared scores), or the other way
        gm = sum_to(gx, self.mask_shape) if self.needs_input_grad[1] else None
        return sum_to(gx, self.x_shape), gm

    def backward_tensors(self, g):
        """The same rule in Tensor ops, recorded, for create_graph (a gradient of a gradient)."""
        (out,) = self.saved_tensors
        o = saved_output(self, out)
        gy = g * o
        gx = gy - o * gy.sum(-1, keepdim=True)
        if len(self.needs_input_grad) == 1:
            return gx
        gm = sum_to_tensor(gx, self.mask_shape) if self.needs_input_grad[1] else None
        return sum_to_tensor(gx, self.x_shape), gm


def masked_softmax(x, mask=None, safe=False):
    """softmax(x + mask, dim=-1); `mask` an additive float Tensor (-inf where not allowed)."""
    if mask is None:
        return MaskedSoftmax.apply(x, safe=safe)
    return MaskedSoftmax.apply(x, mask, safe=safe)


def additive_mask(mask, dtype_like, allow_if_true):
    """A float mask to add to the scores: a bool mask becomes 0 / -inf, a float one is kept.

    `allow_if_true`: True in scaled_dot_product_attention's bool mask marks a position that takes
    part; in MultiheadAttention's masks it marks one that is ignored.
    """
    if mask is None:
        return None
    a = mask._data
    if a.dtype.kind != "b":
        if a.dtype.kind != "f":
            raise TypeError(
                f"attention mask must be bool or float, got {mask.dtype}; use mask.bool() for a "
                "mask of 0s and 1s"
            )
        return mask.to(dtype_like.dtype)
    xp = get_array_module(a)
    blocked = ~a if allow_if_true else a
    zeros = xp.zeros(a.shape, dtype=dtype_like._data.dtype)
    return Tensor._make(xp.where(blocked, zeros.dtype.type(-math.inf), zeros))


def causal_mask(size_l, size_s, like):
    """-inf above the diagonal of an (L, S) score matrix (top-left aligned, as PyTorch)."""
    xp = get_array_module(like._data)
    allowed = xp.tril(xp.ones((size_l, size_s), dtype=bool))
    return additive_mask(Tensor._make(allowed), like, allow_if_true=True)


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
    enable_gqa=False,
):  # fmt: skip
    """softmax(q @ k^T * scale + mask) @ v over the last two dims; shapes (..., L, E),
    (..., S, E), (..., S, Ev) -> (..., L, Ev). A bool attn_mask is True where attention is
    allowed; a float one is added to the scores. Dropout is applied whenever dropout_p > 0."""
    if enable_gqa:
        raise NotImplementedError(
            "gradcli does not support scaled_dot_product_attention(enable_gqa=True) yet; "
            "repeat key and value over the heads instead"
        )
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise ShapeError(
            "scaled_dot_product_attention: query, key and value need at least 2 dims (..., L, E), "
            f"got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            "scaled_dot_product_attention: query and key need the same last dim and key and value "
            f"the same length, got shapes {tuple(query.shape)}, {tuple(key.shape)}, "
            f"{tuple(value.shape)}"
        )
    if is_causal and attn_mask is not None:
        raise ValueError(
            "scaled_dot_product_attention: give either attn_mask or is_causal=True, not both"
        )
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        mask = causal_mask(query.shape[-2], key.shape[-2], scores)
    else:
        mask = additive_mask(attn_mask, scores, allow_if_true=True)
    weights = masked_softmax(scores, mask, safe=True)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value)
