"""Cross-entropy and negative log-likelihood over the class dim 1, each one fused node.

Cross-entropy is log-softmax and negative log-likelihood in one node: the forward shifts the
logits by their max (no overflow for logits of 1e4) and the backward is `softmax - onehot`,
scaled by the reduction.
"""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._util import promote
from gradcli.ops.activation import log_softmax_array
from gradcli.ops.loss import check_reduction, float_array, reduce_loss, scale_grad


class NllLoss(Function):
    """-logp[target], weighted, with ignore_index and (for cross-entropy) label smoothing.

    With `from_logits` it is cross-entropy: log-softmax is taken inside this one node, so the
    backward is `(softmax - onehot) * scale` instead of two nodes and a dense -onehot gradient.
    """

    def name(self):
        return "CrossEntropyLossBackward0" if self.from_logits else "NllLossBackward0"

    def forward(self, x, *, target, weight, ignore_index, reduction, smoothing, from_logits):
        xp = get_array_module(x)
        self.from_logits, self.reduction, self.smoothing = from_logits, reduction, smoothing
        self.n_classes = c = x.shape[1]
        logp = log_softmax_array(x, 1) if from_logits else x
        valid = target != ignore_index
        tsafe = xp.where(valid, target, 0)
        wt = weight[tsafe] * valid if weight is not None else valid.astype(x.dtype)
        if x.ndim == 2:  # plain indexing: take_along_axis costs more than the loss itself here
            picked = logp[xp.arange(x.shape[0]), tsafe]
        else:
            picked = xp.take_along_axis(logp, tsafe[:, None], axis=1)[:, 0]
        loss = picked * wt
        loss *= -(1 - smoothing)
        if smoothing:
            wl = logp if weight is None else logp * weight.reshape(_cshape(x.ndim))
            loss -= wl.sum(axis=1) * valid * (smoothing / c)
        # a weighted mean divides by the total weight of the non-ignored targets, as PyTorch
        denom = wt.sum() if reduction == "mean" else None
        keep_p = logp if from_logits else None
        self.save_for_backward(keep_p, tsafe, wt, valid if smoothing else None, weight, denom)
        if reduction == "none":
            return loss
        total = loss.sum() if denom is None else loss.sum() / denom
        return xp.asarray(total, dtype=x.dtype)

    def backward(self, g):
        logp, tsafe, wt, valid, weight, denom = self.saved_tensors
        xp = get_array_module(g)
        c, eps = self.n_classes, self.smoothing
        s = g / denom if denom is not None else g
        hard = (wt * s)[:, None]
        if eps:
            hard = hard * (1 - eps)
        onehot = tsafe[:, None] == xp.arange(c).reshape(_cshape(tsafe.ndim + 1))
        if logp is None:  # nll_loss: the input is already log-probabilities
            return -(onehot * hard)
        gx = xp.exp(logp)
        gx -= onehot
        gx *= hard
        if eps:
            cshape = _cshape(tsafe.ndim + 1)
            sm = (valid * s * (eps / c))[:, None]
            wsum = c if weight is None else weight.sum()
            p = xp.exp(logp)
            gx += p * (sm * wsum) - (sm if weight is None else sm * weight.reshape(cshape))
        return gx


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C, ...) at class indices (N, ...)."""
    op = "nll_loss"
    check_reduction(op, reduction)
    c, w = _classes_checked(op, input, weight)
    t = _index_target(op, input, target, c, ignore_index)
    return _apply_nll(input, t, c, w, ignore_index, reduction, 0.0, from_logits=False)


def _apply_nll(x, t, c, weight, ignore_index, reduction, smoothing, from_logits):
    """NllLoss of (N, C, ...) or of one unbatched (C,) sample, whose 'none' loss is 0-d."""
    unbatched = x._data.ndim == 1
    if unbatched:
        x, t = x.reshape(1, c), t.reshape(1)
    out = NllLoss.apply(
        x,
        target=t,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        smoothing=smoothing,
        from_logits=from_logits,
    )
    return out.reshape(()) if unbatched and reduction == "none" else out


class SoftCrossEntropy(Function):
    """Cross-entropy against class probabilities of the input's shape."""

    def name(self):
        return "CrossEntropyLossBackward0"

    def forward(self, x, y, *, weight, reduction, smoothing):
        self.reduction, self.smoothing = reduction, smoothing
        c = x.shape[1]
        logp = log_softmax_array(x, 1)
        ys = y * (1 - smoothing) + smoothing / c if smoothing else y
        wy = ys if weight is None else ys * weight.reshape(_cshape(x.ndim))
        loss = -(logp * wy).sum(axis=1)
        self.count = loss.size
        self.save_for_backward(logp, wy, weight)
        return reduce_loss(loss, reduction)

    def backward(self, g):
        logp, wy, weight = self.saved_tensors
        xp = get_array_module(g)
        s = scale_grad(g, self.reduction, self.count)
        s = s[:, None] if self.reduction == "none" else s
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = xp.exp(logp) * wy.sum(axis=1, keepdims=True) - wy
            gx *= s
        if self.needs_input_grad[1]:
            wl = logp if weight is None else logp * weight.reshape(_cshape(logp.ndim))
            gy = wl * (-(1 - self.smoothing) * s)
        return gx, gy


def cross_entropy(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Cross-entropy of logits (N, C, ...) against class indices (N, ...) or probabilities."""
    op = "cross_entropy"
    check_reduction(op, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    c, w = _classes_checked(op, input, weight)
    if not isinstance(target, _tensor.Tensor):
        target = _tensor.Tensor._make(get_array_module(input._data).asarray(target))
    x = input
    unbatched = x._data.ndim == 1
    if target._data.dtype.kind == "f":
        if tuple(target.shape) != tuple(input.shape) and target._data.ndim == x._data.ndim - 1:
            _index_target(op, input, target, c, ignore_index)  # explains: integers expected
        if tuple(target.shape) != tuple(input.shape):
            raise ShapeError(
                f"{op}: float target of shape {tuple(target.shape)} does not match input shape "
                f"{tuple(input.shape)}: probability targets need the input's shape, and class "
                "indices must be an integer tensor (use target.long())"
            )
        x, target = promote(x, target)
        if unbatched:
            x, target = x.reshape(1, c), target.reshape(1, c)
        out = SoftCrossEntropy.apply(
            x, target, weight=w, reduction=reduction, smoothing=float(label_smoothing)
        )
        return out.reshape(()) if unbatched and reduction == "none" else out
    t = _index_target(op, input, target, c, ignore_index)
    smoothing = float(label_smoothing)
    return _apply_nll(input, t, c, w, ignore_index, reduction, smoothing, from_logits=True)


def _classes_checked(op, input, weight):
    """Validate the input and the class weights; returns (number of classes, weight array)."""
    x = input
    if x._data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point input, got {x.dtype}; use .float()")
    if x._data.ndim == 0:
        raise ShapeError(f"{op}: expected an input of shape (N, C) or (C,), got a scalar")
    c = x._data.shape[1] if x._data.ndim >= 2 else x._data.shape[0]
    w = None
    if weight is not None:
        w = float_array(op, "weight", weight, x)
        if w.shape != (c,):
            raise ShapeError(
                f"{op}: weight has shape {tuple(w.shape)} but the input has {c} classes "
                f"(input shape {tuple(x.shape)}); expected a weight of shape ({c},)"
            )
    return c, w


def _index_target(op, input, target, c, ignore_index):
    xs = tuple(input.shape)
    expected = xs[:1] + xs[2:] if len(xs) >= 2 else ()
    t = target._data
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: class-index targets must be an integer tensor, got {target.dtype} with "
            f"shape {tuple(t.shape)} for input shape {xs}; use target.long()"
        )
    if tuple(t.shape) != expected:
        hint = "; use target.squeeze(1)" if t.shape == expected[:1] + (1,) + expected[1:] else ""
        raise ShapeError(
            f"{op}: target shape {tuple(t.shape)} does not match input shape {xs}: class-index "
            f"targets need shape {expected}{hint}"
        )
    if t.size:
        lo, hi = int(t.min()), int(t.max())
        if lo < 0 or hi >= c:
            bad = t[(t != ignore_index) & ((t < 0) | (t >= c))]
            if bad.size:
                raise ShapeError(
                    f"{op}: target contains class {int(bad.reshape(-1)[0])} but the input has "
                    f"{c} classes (valid targets are 0..{c - 1}, or ignore_index="
                    f"{ignore_index}); check the model's number of outputs against the labels"
                )
    return t


def _cshape(ndim):
    return (1, -1) + (1,) * (ndim - 2)
