"""Dropout: inverted dropout in training, the identity in eval mode."""

from __future__ import annotations

from gradcli.nn import functional as F
from gradcli.nn.module import Module


class Dropout(Module):
    """Zero each element with probability p and scale the rest by 1/(1-p) while training.

    Masks come from `gradcli.default_generator()`, so `gradcli.manual_seed` makes them repeat.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
