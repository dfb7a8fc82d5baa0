"""Tensor-level backward rules of shape ops, reductions, indexing, products and losses
(see double_backward.py)."""

from __future__ import annotations

import math

from gradcli.autograd.double_backward import (
    const,
    expand_reduced_tensor,
    rule,
    saved_input,
    saved_output,
    sum_to_tensor,
    zero_input,
)
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import AutogradError
from gradcli.ops import linalg, loss, reduce, shape
from gradcli.ops.activation import softmax
from gradcli.ops.cross_entropy import NllLoss
from gradcli.ops.indexing import Index, MaskedFill
from gradcli.ops.norms import VectorNorm


@rule(shape.View, shape.Squeeze, shape.Unsqueeze)
def _view(node, g):
    return g.reshape(node.shape)


@rule(shape.Permute, shape.Transpose)
def _permute(node, g):
    inverse = [0] * len(node.dims)
    for i, d in enumerate(node.dims):
        inverse[d] = i
    return g.permute(inverse)


@rule(shape.Expand)
def _expand(node, g):
    return sum_to_tensor(g, node.shape)


@rule(shape.Clone)
def _clone(node, g):
    return g


@rule(shape.ToCopy)
def _to_copy(node, g):
    return shape.ToCopy.apply(g, dtype=node.in_dtype, device=node.in_device)


@rule(shape.Cat)
def _cat(node, g):
    out, start = [], 0
    for size in node.sizes:
        out.append(g[(slice(None),) * node.dim + (slice(start, start + size),)])
        start += size
    return tuple(out)


@rule(shape.Stack)
def _stack(node, g):
    return tuple(g[(slice(None),) * node.dim + (i,)] for i in range(g.shape[node.dim]))


@rule(reduce.Sum)
def _sum(node, g):
    return expand_reduced_tensor(g, node.shape, node.axes, node.keepdim)


@rule(reduce.Mean)
def _mean(node, g):
    return expand_reduced_tensor(g / node.count, node.shape, node.axes, node.keepdim)


def _centered(node, centered):
    """The saved `x - mean(x)` as a Tensor with x's derivative (see zero_input)."""
    h = zero_input(node, 0, centered, centered.shape)
    return const(centered) + (h - h.mean(node.axes, keepdim=True))


@rule(reduce.Var)
def _var(node, g):
    (centered,) = node.saved_tensors
    gx = expand_reduced_tensor(g, centered.shape, node.axes, node.keepdim)
    return gx * _centered(node, centered) * (2.0 / node.denom if node.denom else math.nan)


@rule(reduce.Std)
def _std(node, g):
    centered, out = node.saved_tensors
    g = g / saved_output(node, out)  # (where std is 0 the array rule's masking is not mirrored)
    gx = expand_reduced_tensor(g, centered.shape, node.axes, node.keepdim)
    return gx * _centered(node, centered) * (1.0 / node.denom if node.denom else math.nan)


@rule(reduce.MaxAll)
def _max_all(node, g):
    x, out = node.saved_tensors
    mask = x == out
    return g * const((mask / mask.sum()).astype(g._data.dtype))


@rule(reduce.MaxDim)
def _max_dim(node, g):
    (indices,) = node.saved_tensors
    xp = get_array_module(indices)
    picked = xp.zeros(node.shape, dtype=g._data.dtype)
    xp.put_along_axis(picked, indices, 1, node.dim)
    return const(picked) * (g if node.keepdim else g.unsqueeze(node.dim))


class IndexBackward(Function):
    """Index's backward (a scatter into zeros) as a recorded op; its own backward is the index."""

    def forward(self, g, shape, key, basic):
        self.key, self.basic = key, basic
        index = Index.__new__(Index)
        index.shape, index.key, index.basic = shape, key, basic
        return index.backward(g)

    def backward(self, gg):
        return Index.__new__(Index).forward(gg, self.key, self.basic)


@rule(Index)
def _index(node, g):
    return IndexBackward.apply(g, shape=node.shape, key=node.key, basic=node.basic)


@rule(IndexBackward)
def _index_backward(node, g):
    return Index.apply(g, key=node.key, basic=node.basic)


@rule(linalg.MatMul)
def _matmul(node, g):
    a, b = node.saved_tensors
    sa, sb = node.shapes
    if len(sb) == 1:
        g = g.unsqueeze(-1)
    if len(sa) == 1:
        g = g.unsqueeze(-2)
    ga = gb = None
    if b is not None:
        bt = saved_input(node, 1, b)
        bt = bt.unsqueeze(-1) if len(sb) == 1 else bt
        ga = g @ bt.transpose(-1, -2)
        ga = sum_to_tensor(ga.squeeze(-2) if len(sa) == 1 else ga, sa)
    if a is not None:
        at = saved_input(node, 0, a)
        at = at.unsqueeze(0) if len(sa) == 1 else at
        gb = at.transpose(-1, -2) @ g
        gb = sum_to_tensor(gb.squeeze(-1) if len(sb) == 1 else gb, sb)
    return ga, gb


@rule(linalg.Linear)
def _linear(node, g):
    x2, w = node.saved_tensors
    g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
    gx = (g2 @ saved_input(node, 1, w)).reshape(node.x_shape) if w is not None else None
    gw = None
    if x2 is not None:
        # the saved array is x folded to 2-D: route it as x's own shape, then fold in the graph
        xt = saved_input(node, 0, x2.reshape(node.x_shape))
        gw = g2.transpose(0, 1) @ xt.reshape(-1, node.x_shape[-1])
    if not node.has_bias:
        return gx, gw
    return gx, gw, (g2.sum(0) if node.needs_input_grad[2] else None)


def _scale(node, g, n):
    return g / n if node.reduction == "mean" else g


@rule(loss.MseLoss)
def _mse_loss(node, g):
    (deriv,) = node.saved_tensors
    hx = zero_input(node, 0, deriv, deriv.shape)
    hy = zero_input(node, 1, deriv, node.y_shape)
    d = const(deriv * 0.5) + (hx - hy)  # x - y, with the derivatives of x and y
    gx = (d + d) * _scale(node, g, deriv.size)
    nx, ny = node.needs_input_grad
    return (gx if nx else None), (sum_to_tensor(-gx, node.y_shape) if ny else None)


@rule(loss.L1Loss)
def _l1_loss(node, g):
    (deriv,) = node.saved_tensors
    gx = const(deriv) * _scale(node, g, deriv.size)
    nx, ny = node.needs_input_grad
    return (gx if nx else None), (sum_to_tensor(-gx, node.y_shape) if ny else None)


@rule(NllLoss)
def _nll_loss(node, g):
    if node.smoothing:
        raise AutogradError(
            "create_graph is not supported through cross_entropy with label_smoothing yet"
        )
    logp, tsafe, wt, _, _, denom = node.saved_tensors
    s = g / const(denom) if denom is not None else g
    hard = (const(wt.astype(g._data.dtype)) * s).unsqueeze(1)
    xp = get_array_module(tsafe)
    classes = xp.arange(node.n_classes).reshape((1, -1) + (1,) * (tsafe.ndim - 1))
    onehot = const((tsafe[:, None] == classes).astype(g._data.dtype))
    if logp is None:  # nll_loss of log-probabilities
        return -(onehot * hard)
    # softmax(logp) is softmax(x): logp differs from the logits by a constant per sample
    return (softmax(saved_input(node, 0, logp), 1) - onehot) * hard


@rule(shape.Repeat)
def _repeat(node, g):
    lead = len(node.repeats) - len(node.shape)
    inner = (1,) * lead + tuple(node.shape)
    split = [s for r, n in zip(node.repeats, inner) for s in (r, n)]
    return g.reshape(split).sum(tuple(range(0, len(split), 2))).reshape(node.shape)


@rule(MaskedFill)
def _masked_fill(node, g):
    mask = node.mask
    dt = g._data.dtype
    nx, nv = node.needs_input_grad
    gx = sum_to_tensor(g * const((~mask).astype(dt)), node.x_shape) if nx else None
    gv = (g * const(mask.astype(dt))).sum() if nv else None
    return gx, gv


@rule(VectorNorm)
def _vector_norm(node, g):
    x, out = node.saved_tensors
    p = node.ord
    g = g.reshape(node.keep_shape)
    xt = saved_input(node, 0, x)
    if p == 1:
        return g * const(get_array_module(x).sign(x))
    if p == 2:
        # (where the norm is 0 the array rule's masking is not mirrored)
        return g / saved_output(node, out).reshape(node.keep_shape) * xt
    raise AutogradError(f"create_graph is not supported through {node.name()} with ord={p} yet")
