"""MultiheadAttention with PyTorch's parameters (`in_proj_weight`, `in_proj_bias`, `out_proj`),
layouts (sequence-first unless batch_first; unbatched (L, E) inputs) and masks.

>>> mha = MultiheadAttention(64, 8, batch_first=True)
>>> out, weights = mha(x, x, x, key_padding_mask=pad)   # weights (N, L, S), head-averaged
"""

from __future__ import annotations

import math

from gradcli import factories
from gradcli.errors import ShapeError
from gradcli.nn import init
from gradcli.nn.linear import Linear
from gradcli.nn.module import Module
from gradcli.nn.parameter import Parameter
from gradcli.ops.attention import additive_mask, causal_mask, masked_softmax
from gradcli.ops.dropout import dropout
from gradcli.ops.linalg import linear, matmul


class MultiheadAttention(Module):
    """Attention over num_heads subspaces of embed_dim: softmax(QK^T / sqrt(d) + mask) V."""

    def __init__(
        self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
        add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None, dtype=None,
    ):  # fmt: skip
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim must be divisible by num_heads, got {embed_dim} and {num_heads}"
            )
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError(
                "gradcli does not support MultiheadAttention add_bias_kv / add_zero_attn yet; "
                "leave them False"
            )
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False

        def param(*shape):
            return Parameter(factories.empty(*shape, dtype=dtype, device=device))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = param(embed_dim, embed_dim)
            self.k_proj_weight = param(embed_dim, self.kdim)
            self.v_proj_weight = param(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = param(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """Xavier-uniform projections and zero biases (out_proj keeps Linear's weight init)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _projections(self):
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[:e], w[e : 2 * e], w[2 * e :])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (None, None, None) if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        return ws, bs

    def forward(
        self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
        average_attn_weights=True, is_causal=False,
    ):  # fmt: skip
        batched = query.dim() == 3
        self._check_inputs(query, key, value)
        if not batched:  # (L, E) -> (L, 1, E)
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        size_l, n, size_s = query.shape[0], query.shape[1], key.shape[0]
        h, d = self.num_heads, self.head_dim
        (wq, wk, wv), (bq, bk, bv) = self._projections()

        def heads(x, w, b):  # (T, N, E) -> (N, h, T, d)
            return linear(x, w, b).reshape(x.shape[0], n, h, d).permute(1, 2, 0, 3)

        q, k, v = heads(query, wq, bq), heads(key, wk, bk), heads(value, wv, bv)
        scores = matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
        mask = self._mask(attn_mask, key_padding_mask, is_causal, need_weights, scores,
                          (n, h, size_l, size_s))  # fmt: skip
        # PyTorch's fast path (no weights asked for) gives a fully masked row zeros, not NaN
        weights = masked_softmax(scores, mask, safe=not need_weights)
        if self.training and self.dropout > 0.0:
            weights = dropout(weights, self.dropout, True)
        out = matmul(weights, v).permute(2, 0, 1, 3).reshape(size_l, n, self.embed_dim)
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return out, (weights if batched else weights.squeeze(0))

    def _check_inputs(self, query, key, value):
        if query.dim() not in (2, 3) or key.dim() != query.dim() or value.dim() != query.dim():
            raise ShapeError(
                "MultiheadAttention: query, key and value must all be 2-D (unbatched) or 3-D, "
                f"got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
            )
        batch = 0 if query.dim() == 2 else 0 if self.batch_first else 1
        length = 0 if query.dim() == 2 or not self.batch_first else 1
        if key.shape[length] != value.shape[length] or (
            query.dim() == 3 and not query.shape[batch] == key.shape[batch] == value.shape[batch]
        ):
            raise ShapeError(
                "MultiheadAttention: key and value need the same length, and query, key and "
                f"value the same batch size; got shapes {tuple(query.shape)}, "
                f"{tuple(key.shape)}, {tuple(value.shape)} (batch_first={self.batch_first})"
            )
        dims = (query.shape[-1], key.shape[-1], value.shape[-1])
        if dims != (self.embed_dim, self.kdim, self.vdim):
            raise ShapeError(
                f"MultiheadAttention: query, key and value have {dims} features, expected "
                f"{(self.embed_dim, self.kdim, self.vdim)} (embed_dim, kdim, vdim)"
            )

    def _mask(self, attn_mask, key_padding_mask, is_causal, need_weights, scores, shape):
        n, h, size_l, size_s = shape
        if is_causal and attn_mask is None:
            raise ValueError(
                "MultiheadAttention: is_causal=True is a hint that attn_mask is causal; pass "
                "the mask too, e.g. attn_mask = torch.triu(torch.ones(L, L, dtype=torch.bool), 1)"
            )
        if is_causal and key_padding_mask is None and not need_weights:
            return causal_mask(size_l, size_s, scores)  # what PyTorch does with the hint
        mask = None
        if attn_mask is not None:
            allowed = {2: (size_l, size_s), 3: (n * h, size_l, size_s)}
            if tuple(attn_mask.shape) != allowed.get(attn_mask.dim()):
                raise ShapeError(
                    f"MultiheadAttention: attn_mask has shape {tuple(attn_mask.shape)}; expected "
                    f"(L, S) = {(size_l, size_s)} or (N * num_heads, L, S) = "
                    f"{(n * h, size_l, size_s)}"
                )
            mask = additive_mask(attn_mask, scores, allow_if_true=False)
            if attn_mask.dim() == 3:
                mask = mask.reshape(n, h, size_l, size_s)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (n, size_s):
                raise ShapeError(
                    f"MultiheadAttention: key_padding_mask has shape "
                    f"{tuple(key_padding_mask.shape)}; expected (N, S) = {(n, size_s)}"
                )
            pad = additive_mask(key_padding_mask, scores, allow_if_true=False)
            pad = pad.reshape(n, 1, 1, size_s)
            mask = pad if mask is None else mask + pad
        return mask
