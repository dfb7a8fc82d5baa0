"""Channel dropout (dropout2d): zero whole feature maps, one draw per (sample, channel).

With PyTorch's treatment of other ranks: only a 4-D input is batched, so a 3-D input is one
(C, H, W) sample, and a 2-D input, deprecated there but common in scripts (pytorch/examples'
mnist_rnn), is an unbatched (C, L): each of its rows (the batch, in such scripts) is kept or
zeroed whole.
"""

from __future__ import annotations

import warnings

import numpy as np

from gradcli.backend import device_of, to_device
from gradcli.factories import default_generator
from gradcli.ops.dropout import Dropout


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero each channel with probability p and scale the kept ones by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead.",
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    a = input._data
    # one draw per channel: channels are dim 1 of a batch, dim 0 of an unbatched input
    lead = 2 if ndim == 4 else 1
    shape = a.shape[:lead] + (1,) * (a.ndim - lead)
    keep = default_generator().random(shape, dtype=np.float32) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = to_device(keep, device_of(a)).astype(a.dtype) * scale
    if inplace:
        return input._inplace(lambda t: Dropout.apply(t, mask=mask))
    return Dropout.apply(input, mask=mask)
