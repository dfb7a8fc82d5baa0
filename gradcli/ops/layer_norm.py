"""Per-sample normalisation: layer_norm (over the trailing dims) and group_norm (over groups of
channels), one fused node each. Both normalise the rows of a (rows, K) view of the input; only
the view and the shape the affine weight broadcasts with differ."""

from __future__ import annotations

import math
import operator

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._checks import check_same_kind
from gradcli.ops._util import sum_to


class RowNorm(Function):
    """(x - mean) / sqrt(var + eps) over each row of `x.reshape(rows)`, then `* w + b` with the
    affine parameters reshaped to `wb_shape` (broadcast against the input)."""

    def name(self):
        return self.kind

    def forward(self, x, w=None, b=None, *, rows, wb_shape, eps, kind, has_w):
        xp = get_array_module(x)
        if not has_w:  # positional layout (x, w, b): a lone bias arrives as w
            w, b = None, w
        self.kind, self.wb_shape, self.has_w, self.has_b = kind, wb_shape, has_w, b is not None
        self.bshape = b.shape if b is not None else None
        xr = x.reshape(rows)
        mean = xr.mean(axis=1, keepdims=True)
        xhat = xr - mean
        var = (xhat * xhat).mean(axis=1, keepdims=True)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat *= invstd
        xhat = xhat.reshape(x.shape)
        self.save_for_backward(xhat, invstd, w)
        out = xhat * w.reshape(wb_shape) if w is not None else xhat.copy()
        if b is not None:
            out += b.reshape(wb_shape)
        return out

    def backward(self, g):
        xhat, invstd, w = self.saved_tensors
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gh = g * w.reshape(self.wb_shape) if w is not None else g
            rows = invstd.shape[0]
            ghr, xhr = gh.reshape(rows, -1), xhat.reshape(rows, -1)
            # the normalisation cancels a shift of each row and its projection on xhat
            proj = (ghr * xhr).mean(axis=1, keepdims=True)
            gx = (ghr - ghr.mean(axis=1, keepdims=True) - xhr * proj) * invstd
            gx = gx.reshape(g.shape)
        if self.has_w and need[1]:
            gw = sum_to(g * xhat, self.wb_shape).reshape(w.shape)
        if self.has_b and need[-1]:
            gb = sum_to(g, self.wb_shape).reshape(self.bshape)
        grads = (gx,) + ((gw,) if self.has_w else ()) + ((gb,) if self.has_b else ())
        return grads if len(grads) > 1 else gx


def _apply(kind, x, weight, bias, rows, wb_shape, eps):
    check_same_kind(kind, (x, weight, bias))
    tensors = [t for t in (x, weight, bias) if t is not None]
    return RowNorm.apply(
        *tensors, rows=rows, wb_shape=wb_shape, eps=eps, kind=kind, has_w=weight is not None
    )


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims, as `torch.nn.functional.layer_norm`.

    >>> layer_norm(gradcli.randn(4, 10), (10,)).shape
    gradcli.Size([4, 10])
    """
    norm = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = tuple(input._data.shape)
    if not norm or shape[len(shape) - len(norm) :] != norm or len(norm) > len(shape):
        raise ShapeError(
            f"layer_norm: normalized_shape {list(norm)} must be the trailing dims of the input, "
            f"got input shape {shape}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != norm:
            raise ShapeError(
                f"layer_norm: {name} has shape {tuple(t._data.shape)}, expected {norm} "
                "(the normalized_shape)"
            )
    k = math.prod(norm)
    lead = math.prod(shape[: len(shape) - len(norm)])
    return _apply("NativeLayerNormBackward0", input, weight, bias, (lead, k), norm, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of channels of (N, C, ...) per sample, as `F.group_norm`.

    >>> group_norm(gradcli.randn(2, 6, 4, 4), 3).shape
    gradcli.Size([2, 6, 4, 4])
    """
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        raise ShapeError(f"group_norm: expected an input (N, C, ...), got shape {shape}")
    g, c = operator.index(num_groups), shape[1]
    if g < 1 or c % g:
        raise ShapeError(
            f"group_norm: the {c} channels of input {shape} must divide into num_groups={g}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t._data.shape) != (c,):
            raise ShapeError(
                f"group_norm: {name} has shape {tuple(t._data.shape)}, expected ({c},)"
            )
    n = shape[0]
    rows = (n * g, math.prod(shape[1:]) // g if n * g else 0)
    wb_shape = (c,) + (1,) * (len(shape) - 2)
    return _apply("NativeGroupNormBackward0", input, weight, bias, rows, wb_shape, eps)
