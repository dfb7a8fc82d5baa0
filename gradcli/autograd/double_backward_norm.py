"""Tensor-level backward rules of the normalisation layers (see double_backward.py).

The nodes save `xhat = (x - mean) * invstd` and `invstd`, not x. Both are rebuilt as Tensors
whose derivatives are x's, exactly: `x - mean` is `xhat / invstd` plus the centred zero handle
of x (it is linear in x), and `eps` is recovered as `1 / invstd^2 - var`, a constant.
"""

from __future__ import annotations

from gradcli.autograd.double_backward import (
    const,
    rule,
    saved_input,
    sum_to_tensor,
    zero_input,
)
from gradcli.ops.layer_norm import RowNorm
from gradcli.ops.normalization import BatchNorm


def _normalised(node, xhat, invstd, view, axes, stat_shape):
    """(xhat, invstd) as Tensors with x's derivatives; `view` reshapes x so that the statistics
    are taken over `axes`, `stat_shape` is the shape of the statistics in that view."""
    xp_c = xhat.reshape(view) / invstd.reshape(stat_shape)  # x - mean, in the view's shape
    eps = 1.0 / (invstd * invstd).reshape(stat_shape) - (xp_c * xp_c).mean(axis=axes, keepdims=True)
    h = zero_input(node, 0, xhat, xhat.shape).reshape(view)
    centered = const(xp_c) + (h - h.mean(axes, keepdim=True))
    var = (centered * centered).mean(axes, keepdim=True)
    inv = (var + const(eps.astype(xhat.dtype))) ** -0.5
    return centered * inv, inv


@rule(RowNorm)
def _row_norm(node, g):
    xhat, invstd, w = node.saved_tensors
    rows = invstd.shape[0]
    view = (rows, -1)
    need = node.needs_input_grad
    xh, inv = _normalised(node, xhat, invstd, view, (1,), (rows, 1))
    gx = gw = gb = None
    if need[0]:
        gh = g * saved_input(node, 1, w).reshape(node.wb_shape) if w is not None else g
        ghr = gh.reshape(view)
        proj = (ghr * xh).mean(1, keepdim=True)
        gx = ((ghr - ghr.mean(1, keepdim=True) - xh * proj) * inv).reshape(g.shape)
    if node.has_w and need[1]:
        gw = sum_to_tensor(g * xh.reshape(g.shape), node.wb_shape).reshape(w.shape)
    if node.has_b and need[-1]:
        gb = sum_to_tensor(g, node.wb_shape).reshape(node.bshape)
    grads = (gx,) + ((gw,) if node.has_w else ()) + ((gb,) if node.has_b else ())
    return grads if len(grads) > 1 else gx


@rule(BatchNorm)
def _batch_norm(node, g):
    xhat, invstd, w = node.saved_tensors
    axes = node.axes
    cshape = (1, -1) + (1,) * (xhat.ndim - 2)
    need = node.needs_input_grad
    if node.training:
        xh, inv = _normalised(node, xhat, invstd, xhat.shape, axes, cshape)
    else:  # running statistics: x -> xhat is affine with a constant scale
        inv = const(invstd.reshape(cshape))
        xh = const(xhat) + zero_input(node, 0, xhat, xhat.shape) * inv
    gx = gw = gb = None
    wt = saved_input(node, 1, w).reshape(cshape) if w is not None else None
    if need[0]:
        scale = inv if wt is None else inv * wt
        if node.training:
            proj = (g * xh).mean(axes, keepdim=True)
            gx = (g - g.mean(axes, keepdim=True) - xh * proj) * scale
        else:
            gx = g * scale
    if node.has_w and need[1]:
        gw = (g * xh).sum(axes)
    if node.has_b and need[1 + node.has_w]:
        gb = g.sum(axes)
    grads = (gx,) + ((gw,) if node.has_w else ()) + ((gb,) if node.has_b else ())
    return grads if len(grads) > 1 else gx
