"""Plain numpy reference formulas the nn tests compare against (cross-checked with PyTorch)."""

import math

import numpy as np

import gradcli


def t(a, requires_grad=False, dtype=None):
    a = np.asarray(a)
    if dtype is not None:
        a = a.astype(dtype)
    return gradcli.tensor(a, requires_grad=requires_grad)


def rng(seed=0):
    return np.random.default_rng(seed)


def log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if denom is None else denom)


def cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", ls=0.0):
    """Class-index cross-entropy, one sample at a time; x (N, C, ...), target (N, ...)."""
    c = x.shape[1]
    xl = np.moveaxis(x, 1, -1).reshape(-1, c)
    tl = target.reshape(-1)
    w = np.ones(c) if weight is None else weight
    logp = log_softmax(xl, -1)
    losses, wts = np.zeros(len(tl)), np.zeros(len(tl))
    for i, k in enumerate(tl):
        if k == ignore_index:
            continue
        nll = -w[k] * logp[i, k]
        smooth = -(w * logp[i]).sum()
        losses[i] = (1 - ls) * nll + ls / c * smooth
        wts[i] = w[k]
    return reduce(losses.reshape(target.shape), reduction, wts.sum())


def nll(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    c = logp.shape[1]
    w = np.ones(c) if weight is None else weight
    lp = np.moveaxis(logp, 1, -1).reshape(-1, c)
    tl = target.reshape(-1)
    losses = np.array([0.0 if k == ignore_index else -w[k] * lp[i, k] for i, k in enumerate(tl)])
    wts = np.array([0.0 if k == ignore_index else w[k] for k in tl])
    return reduce(losses.reshape(target.shape), reduction, wts.sum())


def soft_cross_entropy(x, probs, weight=None, reduction="mean", ls=0.0):
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    ys = probs * (1 - ls) + ls / c
    loss = -(log_softmax(x, 1) * ys * w.reshape((1, c) + (1,) * (x.ndim - 2))).sum(1)
    return reduce(loss, reduction)


def bce(p, y, weight=None, reduction="mean"):
    loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))
    return reduce(loss if weight is None else loss * weight, reduction)


def bce_logits(x, y, weight=None, reduction="mean", pos_weight=None):
    sig = 1 / (1 + np.exp(-x))
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * y * np.log(sig) + (1 - y) * np.log(1 - sig))
    return reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1(x, y, reduction="mean", beta=1.0):
    d = np.abs(x - y)
    loss = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta) if beta > 0 else d
    return reduce(loss, reduction)


def gelu(x):
    return np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.reshape(-1)]).reshape(
        x.shape
    )


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def batch_norm_train(x, weight, bias, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    cs = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axes), x.var(axes)
    return (x - mean.reshape(cs)) / np.sqrt(var.reshape(cs) + eps) * weight.reshape(
        cs
    ) + bias.reshape(cs)
