"""Embedding lookup: rows of a weight matrix picked by integer indices, as one graph node."""

from __future__ import annotations

import operator

from gradcli.autograd.function import Function
from gradcli.backend import device_of, get_array_module, scatter_add
from gradcli.errors import DeviceError, ShapeError


class Embedding(Function):
    def name(self):
        return "EmbeddingBackward0"

    def forward(self, w, *, indices, padding_idx):
        self.wshape, self.indices, self.padding_idx = w.shape, indices, padding_idx
        return w[indices]

    def backward(self, g):
        xp = get_array_module(g)
        gw = xp.zeros(self.wshape, g.dtype)
        # repeated indices add up; a dense scatter keeps one code path for numpy and cupy
        scatter_add(gw, self.indices.reshape(-1), g.reshape(-1, self.wshape[1]))
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0  # the padding row never learns, as in PyTorch
        return gw


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):  # fmt: skip
    """Rows of `weight` (num_embeddings, dim) at the integer `input`, as `F.embedding`.

    >>> embedding(gradcli.tensor([[0, 2]]), gradcli.randn(3, 4)).shape
    gradcli.Size([1, 2, 4])
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported by gradcli yet"
        )
    idx = input._data
    ws = tuple(weight._data.shape)
    if len(ws) != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, dim), got shape {ws}")
    if idx.dtype.kind not in "iu":
        raise ShapeError(
            f"embedding: indices must be an integer tensor (int64 or int32), got {idx.dtype}; "
            "convert them with .long()"
        )
    if device_of(idx) != device_of(weight._data):
        raise DeviceError(
            f"embedding: indices are on {device_of(idx)} but the weight is on "
            f"{device_of(weight._data)}; move both to the same device with .to(device)"
        )
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= ws[0]:
            bad = lo if lo < 0 else hi
            raise IndexError(
                f"embedding: index {bad} is out of range for {ws[0]} embeddings (valid: 0 to "
                f"{ws[0] - 1}); raise num_embeddings or check the token ids"
            )
    if padding_idx is not None:
        padding_idx = operator.index(padding_idx)
        if not -ws[0] <= padding_idx < ws[0]:
            raise ShapeError(
                f"embedding: padding_idx {padding_idx} must be within num_embeddings ({ws[0]})"
            )
        padding_idx %= ws[0]
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx)
