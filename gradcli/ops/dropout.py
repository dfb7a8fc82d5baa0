"""Inverted dropout: a random mask, drawn with gradcli's seeded generator, times the input."""

from __future__ import annotations

import numpy as np

from gradcli.autograd.function import Function
from gradcli.backend import device_of, to_device
from gradcli.factories import default_generator


class Dropout(Function):
    def name(self):
        return "NativeDropoutBackward0"

    def forward(self, x, mask):
        self.save_for_backward(mask)
        return x * mask

    def backward(self, g):
        (mask,) = self.saved_tensors
        return g * mask


def dropout(x, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    a = x._data
    # drawn with numpy's generator so that manual_seed makes masks reproducible on any device
    keep = default_generator().random(a.shape, dtype=np.float32) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = to_device(keep, device_of(a)).astype(a.dtype) * scale
    if inplace:
        return x._inplace(lambda t: Dropout.apply(t, mask=mask))
    return Dropout.apply(x, mask=mask)
