"""Loss functions: each a fused op whose backward is a closed form (no graph of small ops).

Cross-entropy is log-softmax and negative log-likelihood in one node: the forward shifts the
logits by their max (no overflow for logits of 1e4) and the backward is `softmax - onehot`,
scaled by the reduction.
"""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._util import promote, sum_to
from gradcli.ops.activation import log_softmax_array

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction={reduction!r} is not valid; use 'mean', 'sum' or 'none'")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    xp = get_array_module(loss)
    total = loss.sum()
    if reduction == "mean":
        total = total / loss.size
    return xp.asarray(total, dtype=loss.dtype)


def _scale(g, reduction, n):
    """The upstream gradient as a factor for every element (1/n for a mean)."""
    return g / n if reduction == "mean" else g


class _Elementwise(Function):
    """Losses of `input - target` elementwise; subclasses give the loss and its derivative."""

    def forward(self, x, y, reduction):
        self.reduction, self.y_shape = reduction, y.shape
        d = x - y
        loss, deriv = self.loss_and_derivative(d)
        self.save_for_backward(deriv)
        return _reduce(loss, reduction)

    def backward(self, g):
        (deriv,) = self.saved_tensors
        gx = deriv * _scale(g, self.reduction, deriv.size)
        gy = sum_to(-gx, self.y_shape) if self.needs_input_grad[1] else None
        return (gx if self.needs_input_grad[0] else None), gy


class MseLoss(_Elementwise):
    def loss_and_derivative(self, d):
        return d * d, d + d


class L1Loss(_Elementwise):
    def loss_and_derivative(self, d):
        xp = get_array_module(d)
        return xp.abs(d), xp.sign(d)  # the gradient at d == 0 is 0, as in PyTorch


class SmoothL1Loss(_Elementwise):
    def forward(self, x, y, reduction, beta):
        self.beta = beta
        return super().forward(x, y, reduction)

    def loss_and_derivative(self, d):
        xp = get_array_module(d)
        a, beta = xp.abs(d), self.beta
        if beta == 0:
            return a, xp.sign(d)
        quad = a < beta
        loss = xp.where(quad, (0.5 / beta) * d * d, a - 0.5 * beta)
        return loss, xp.where(quad, d * (1.0 / beta), xp.sign(d))


def _check_pair(op, x, y):
    xs, ys = tuple(x.shape), tuple(y.shape)
    if xs == ys:
        return
    ok = len(ys) <= len(xs) and all(b in (1, a) for a, b in zip(xs[::-1], ys[::-1]))
    if not ok:
        hint = ""
        if len(xs) == len(ys) + 1 and xs[-1] == 1 and xs[:-1] == ys:
            hint = f"; use target.view({', '.join(map(str, xs))}) or input.squeeze(-1)"
        elif len(ys) == len(xs) + 1 and ys[-1] == 1 and ys[:-1] == xs:
            hint = "; use target.squeeze(-1)"
        raise ShapeError(
            f"{op}: target shape {ys} does not match input shape {xs} (broadcasting them "
            f"would silently change the loss){hint}"
        )


def _pair_checked(op, x, y):
    """(input, target) checked and cast to one dtype (each keeps a gradient of its own dtype)."""
    y = y if isinstance(y, _tensor.Tensor) else x._lift(y)
    _check_pair(op, x, y)
    if y._data.dtype.kind != "f" or x._data.dtype.kind != "f":
        raise TypeError(
            f"{op}: expected floating point input and target, got {x.dtype} and {y.dtype}; "
            "convert with .float()"
        )
    return promote(x, y)


def mse_loss(input, target, reduction="mean"):
    _check_reduction("mse_loss", reduction)
    input, target = _pair_checked("mse_loss", input, target)
    return MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, reduction="mean"):
    _check_reduction("l1_loss", reduction)
    input, target = _pair_checked("l1_loss", input, target)
    return L1Loss.apply(input, target, reduction=reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    input, target = _pair_checked("smooth_l1_loss", input, target)
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=float(beta))


# ---- binary cross-entropy --------------------------------------------------------------------


def _bce_logs(xp, p):
    """log(p) and log(1 - p), clamped at -100 as PyTorch does (p = 0 or 1 stays finite)."""
    inside = p > 0
    logp = xp.where(inside, xp.log(xp.where(inside, p, 1)), -100.0)
    inside = p < 1
    log1mp = xp.where(inside, xp.log1p(-xp.where(inside, p, 0)), -100.0)
    return xp.maximum(logp, -100.0), xp.maximum(log1mp, -100.0)


class BinaryCrossEntropy(Function):
    def forward(self, p, y, weight, reduction):
        xp = get_array_module(p)
        self.reduction, self.y_shape = reduction, y.shape
        logp, log1mp = _bce_logs(xp, p)
        loss = -(y * logp + (1 - y) * log1mp)
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(p, y, weight)
        return _reduce(loss, reduction)

    def backward(self, g):
        p, y, weight = self.saved_tensors
        xp = get_array_module(p)
        s = _scale(g, self.reduction, p.size)
        if weight is not None:
            s = s * weight
        gp = gy = None
        if self.needs_input_grad[0]:
            gp = s * (p - y) / xp.maximum((1 - p) * p, 1e-12)
            gp = xp.broadcast_to(gp, p.shape)
        if self.needs_input_grad[1]:
            logp, log1mp = _bce_logs(xp, p)
            gy = sum_to(xp.broadcast_to(s * (log1mp - logp), p.shape), self.y_shape)
        return gp, gy


class BinaryCrossEntropyWithLogits(Function):
    def forward(self, x, y, weight, pos_weight, reduction):
        xp = get_array_module(x)
        self.reduction, self.y_shape = reduction, y.shape
        # softplus(-x) = -log(sigmoid(x)), computed without overflow
        sp = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        if pos_weight is None:
            loss = (1 - y) * x + sp
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * sp
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(x, y, weight, pos_weight)
        return _reduce(loss, reduction)

    def backward(self, g):
        x, y, weight, pw = self.saved_tensors
        xp = get_array_module(x)
        s = _scale(g, self.reduction, x.size)
        if weight is not None:
            s = s * weight
        sig = 0.5 * (xp.tanh(0.5 * x) + 1)
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = sig - y if pw is None else sig * (pw * y + 1 - y) - pw * y
            gx = xp.broadcast_to(gx * s, x.shape)
        if self.needs_input_grad[1]:
            if pw is None:
                d = -x
            else:
                d = (pw - 1) * (xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)) - x
            gy = sum_to(xp.broadcast_to(d * s, x.shape), self.y_shape)
        return gx, gy


def _array_of(op, name, t, like):
    if t is None:
        return None
    if not isinstance(t, _tensor.Tensor):
        t = like._lift(t)
    if t._data.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating point tensor, got {t.dtype}")
    return t._data.astype(like._data.dtype, copy=False)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """BCE on probabilities in [0, 1]; prefer binary_cross_entropy_with_logits on raw scores."""
    op = "binary_cross_entropy"
    _check_reduction(op, reduction)
    input, target = _pair_checked(op, input, target)
    a = input._data
    if a.size and (float(a.min()) < 0 or float(a.max()) > 1):
        raise ValueError(
            f"{op}: all elements of input should be between 0 and 1 (got values in "
            f"[{float(a.min()):g}, {float(a.max()):g}]); apply sigmoid first or use "
            "binary_cross_entropy_with_logits"
        )
    w = _array_of(op, "weight", weight, input)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    op = "binary_cross_entropy_with_logits"
    _check_reduction(op, reduction)
    input, target = _pair_checked(op, input, target)
    w = _array_of(op, "weight", weight, input)
    pw = _array_of(op, "pos_weight", pos_weight, input)
    return BinaryCrossEntropyWithLogits.apply(
        input, target, weight=w, pos_weight=pw, reduction=reduction
    )


# ---- cross-entropy and NLL over class dim 1 --------------------------------------------------


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
        return _reduce(loss, reduction)

    def backward(self, g):
        logp, wy, weight = self.saved_tensors
        xp = get_array_module(g)
        s = _scale(g, self.reduction, self.count)
        s = s[:, None] if self.reduction == "none" else s
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = xp.exp(logp) * wy.sum(axis=1, keepdims=True) - wy
            gx *= s
        if self.needs_input_grad[1]:
            wl = logp if weight is None else logp * weight.reshape(_cshape(logp.ndim))
            gy = wl * (-(1 - self.smoothing) * s)
        return gx, gy


def _cshape(ndim):
    return (1, -1) + (1,) * (ndim - 2)


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
        w = _array_of(op, "weight", weight, x)
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


def cross_entropy(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Cross-entropy of logits (N, C, ...) against class indices (N, ...) or probabilities."""
    op = "cross_entropy"
    _check_reduction(op, reduction)
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
    else:
        t = _index_target(op, input, target, c, ignore_index)
        if unbatched:
            x, t = x.reshape(1, c), t.reshape(1)
        out = NllLoss.apply(
            x,
            target=t,
            weight=w,
            ignore_index=ignore_index,
            reduction=reduction,
            smoothing=float(label_smoothing),
            from_logits=True,
        )
    return out.reshape(()) if unbatched and reduction == "none" else out


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C, ...) at class indices (N, ...)."""
    op = "nll_loss"
    _check_reduction(op, reduction)
    c, w = _classes_checked(op, input, weight)
    t = _index_target(op, input, target, c, ignore_index)
    x = input
    if x._data.ndim == 1:
        x, t = x.reshape(1, c), t.reshape(1)
    out = NllLoss.apply(
        x,
        target=t,
        weight=w,
        ignore_index=ignore_index,
        reduction=reduction,
        smoothing=0.0,
        from_logits=False,
    )
    return out.reshape(()) if input._data.ndim == 1 and reduction == "none" else out
