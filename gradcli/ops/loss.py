"""Loss functions: each a fused op whose backward is a closed form (no graph of small ops).

Regression losses and binary cross-entropy here; cross-entropy and NLL over classes in
`cross_entropy.py`, which shares the reduction helpers below.
"""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._util import promote, sum_to

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction={reduction!r} is not valid; use 'mean', 'sum' or 'none'")


def reduce_loss(loss, reduction):
    if reduction == "none":
        return loss
    xp = get_array_module(loss)
    total = loss.sum()
    if reduction == "mean":
        total = total / loss.size
    return xp.asarray(total, dtype=loss.dtype)


def scale_grad(g, reduction, n):
    """The upstream gradient as a factor for every element (1/n for a mean)."""
    return g / n if reduction == "mean" else g


class _Elementwise(Function):
    """Losses of `input - target` elementwise; subclasses give the loss and its derivative."""

    def forward(self, x, y, reduction):
        self.reduction, self.y_shape = reduction, y.shape
        d = x - y
        loss, deriv = self.loss_and_derivative(d)
        self.save_for_backward(deriv)
        return reduce_loss(loss, reduction)

    def backward(self, g):
        (deriv,) = self.saved_tensors
        gx = deriv * scale_grad(g, self.reduction, deriv.size)
        gy = sum_to(-gx, self.y_shape) if self.needs_input_grad[1] else None
        return (gx if self.needs_input_grad[0] else None), gy


class MseLoss(_Elementwise):
    def loss_and_derivative(self, d):
        return d * d, d + d


def mse_loss(input, target, reduction="mean"):
    check_reduction("mse_loss", reduction)
    input, target = _pair_checked("mse_loss", input, target, ints=True)
    return MseLoss.apply(input, target, reduction=reduction)


class L1Loss(_Elementwise):
    def loss_and_derivative(self, d):
        xp = get_array_module(d)
        return xp.abs(d), xp.sign(d)  # the gradient at d == 0 is 0, as in PyTorch


def l1_loss(input, target, reduction="mean"):
    check_reduction("l1_loss", reduction)
    input, target = _pair_checked("l1_loss", input, target, ints=True)
    return L1Loss.apply(input, target, reduction=reduction)


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


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    input, target = _pair_checked("smooth_l1_loss", input, target, ints=True)
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=float(beta))


def _pair_checked(op, x, y, ints=False):
    """(input, target) checked and cast to one dtype (each keeps a gradient of its own dtype).

    With `ints`, one side may be an integer or bool tensor and is promoted to the other's float
    dtype, as PyTorch's regression losses do (`mse_loss(pred, labels.long())`); the
    cross-entropies want both floating point, as PyTorch does.
    """
    y = y if isinstance(y, _tensor.Tensor) else x._lift(y)
    _check_pair(op, x, y)
    floats = (x._data.dtype.kind == "f") + (y._data.dtype.kind == "f")
    if floats < (1 if ints else 2):
        need = "input or target" if ints else "input and target"
        raise TypeError(
            f"{op}: expected floating point {need}, got {x.dtype} and {y.dtype}; "
            "convert with .float()"
        )
    return promote(x, y)


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
        return reduce_loss(loss, reduction)

    def backward(self, g):
        p, y, weight = self.saved_tensors
        xp = get_array_module(p)
        s = scale_grad(g, self.reduction, p.size)
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


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """BCE on probabilities in [0, 1]; prefer binary_cross_entropy_with_logits on raw scores."""
    op = "binary_cross_entropy"
    check_reduction(op, reduction)
    input, target = _pair_checked(op, input, target)
    a = input._data
    if a.size and (float(a.min()) < 0 or float(a.max()) > 1):
        raise ValueError(
            f"{op}: all elements of input should be between 0 and 1 (got values in "
            f"[{float(a.min()):g}, {float(a.max()):g}]); apply sigmoid first or use "
            "binary_cross_entropy_with_logits"
        )
    w = float_array(op, "weight", weight, input)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


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
        return reduce_loss(loss, reduction)

    def backward(self, g):
        x, y, weight, pw = self.saved_tensors
        xp = get_array_module(x)
        s = scale_grad(g, self.reduction, x.size)
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


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    op = "binary_cross_entropy_with_logits"
    check_reduction(op, reduction)
    input, target = _pair_checked(op, input, target)
    w = float_array(op, "weight", weight, input)
    pw = float_array(op, "pos_weight", pos_weight, input)
    return BinaryCrossEntropyWithLogits.apply(
        input, target, weight=w, pos_weight=pw, reduction=reduction
    )


def float_array(op, name, t, like):
    if t is None:
        return None
    if not isinstance(t, _tensor.Tensor):
        t = like._lift(t)
    if t._data.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating point tensor, got {t.dtype}")
    return t._data.astype(like._data.dtype, copy=False)
