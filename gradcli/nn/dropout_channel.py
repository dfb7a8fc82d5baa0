"""Dropout2d: channel dropout as a layer (see gradcli.ops.dropout_channel for other ranks)."""

from __future__ import annotations

from gradcli.nn.module import Module
from gradcli.ops.dropout_channel import dropout2d


class Dropout2d(Module):
    """Channel dropout for (N, C, H, W) or (C, H, W) inputs; the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
