"""Gradient clipping and parameter/vector conversion (`gradcli.nn.utils`)."""

from __future__ import annotations

import math

import numpy as np

from gradcli.autograd.grad_mode import no_grad
from gradcli.autograd.tensor import Tensor
from gradcli.backend import get_array_module
from gradcli.ops import cat

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm.

    Returns the total norm before clipping, as a 0-d Tensor. `norm_type` may be `inf`.

    >>> total = clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor._make(np.zeros((), dtype=np.float32))
    arrays = [g._data for g in grads]
    xp = get_array_module(arrays[0])
    if norm_type == math.inf:
        total = xp.max(
            xp.stack([xp.abs(a).max() if a.size else xp.zeros((), a.dtype) for a in arrays])
        )
    else:
        parts = [(xp.abs(a) ** norm_type).sum() for a in arrays]
        total = xp.stack(parts).sum() ** (1.0 / norm_type)
    total = xp.asarray(total, dtype=arrays[0].dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    # always multiply (by at most 1) instead of testing on the host: no device sync
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g._data *= coef.astype(g._data.dtype, copy=False)
        g._vc[0] += 1
    return Tensor._make(total)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = get_array_module(g._data)
        xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._vc[0] += 1


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of `vec` into the parameters, in place."""
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if total != vec.numel():
        raise ValueError(
            f"vector_to_parameters: vector has {vec.numel()} elements but the parameters "
            f"have {total}"
        )
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset : offset + n].reshape(p.shape))
            offset += n
