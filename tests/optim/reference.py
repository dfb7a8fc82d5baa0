"""Float64 reference optimizers written from the algorithms' definitions (PyTorch's docs), one
plain loop each, independent of gradcli's in-place code, plus a toy problem to run them on.

Each `ref_*` takes the initial weights, `grad_fn(weights) -> grads` and the number of steps,
and returns the final weights. As in PyTorch's code, `maximize` negates the gradient before
weight decay is added.
"""

from __future__ import annotations

import numpy as np

import gradcli
import gradcli.optim as optim

_rng = np.random.default_rng(1234)
WEIGHTS = [_rng.standard_normal((3, 4)), _rng.standard_normal(4)]
OFFSETS = [_rng.standard_normal((3, 4)), _rng.standard_normal(4)]

# every optimizer with most of its options on, for the tests that apply to all of them
ALL = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5, maximize=True),
    lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True),
    lambda ps: optim.AdamW(ps, lr=0.1, amsgrad=True),
    lambda ps: optim.RMSprop(ps, lr=0.1, momentum=0.9, centered=True, weight_decay=0.1),
    lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.1, weight_decay=0.1, maximize=True),
]
ALL_IDS = ["SGD-nesterov", "SGD-dampening", "Adam-amsgrad", "AdamW", "RMSprop", "Adagrad"]


def toy_grads(ws):
    """Gradient of sum(w**2 / 2 - 0.1 * cos(3 w) + a * w): non-linear, so state matters."""
    return [w + 0.3 * np.sin(3 * w) + a for w, a in zip(ws, OFFSETS)]


def run_gradcli(make_opt, steps, dtype=np.float64, weights=WEIGHTS, grad_fn=toy_grads):
    """Run a gradcli optimizer on the toy problem (gradients set by hand); returns params, opt."""
    params = [gradcli.tensor(w.astype(dtype), requires_grad=True) for w in weights]
    opt = make_opt(params)
    for _ in range(steps):
        feed_grads(params, grad_fn)
        opt.step()
    return params, opt


def feed_grads(params, grad_fn=toy_grads):
    grads = grad_fn([p._data.astype(np.float64) for p in params])
    for p, g in zip(params, grads):
        p.grad = gradcli.tensor(g.astype(p._data.dtype))


def _start(ws, maximize, grad_fn):
    ws = [w.astype(np.float64).copy() for w in ws]
    return ws, (lambda w: [-g for g in grad_fn(w)]) if maximize else grad_fn


def ref_sgd(
    ws,
    grad_fn,
    steps,
    lr,
    momentum=0.0,
    dampening=0.0,
    weight_decay=0.0,
    nesterov=False,
    maximize=False,
):
    ws, grad_fn = _start(ws, maximize, grad_fn)
    bufs = [None] * len(ws)
    for _ in range(steps):
        for i, g in enumerate(grad_fn(ws)):
            g = g + weight_decay * ws[i]
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            ws[i] = ws[i] - lr * g
    return ws


def ref_adam(
    ws,
    grad_fn,
    steps,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    maximize=False,
    decoupled=False,
):
    ws, grad_fn = _start(ws, maximize, grad_fn)
    b1, b2 = betas
    m = [np.zeros_like(w) for w in ws]
    v = [np.zeros_like(w) for w in ws]
    vmax = [np.zeros_like(w) for w in ws]
    for t in range(1, steps + 1):
        for i, g in enumerate(grad_fn(ws)):
            if decoupled:
                ws[i] = ws[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * ws[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            vmax[i] = np.maximum(vmax[i], v[i])
            m_hat = m[i] / (1 - b1**t)
            v_hat = (vmax[i] if amsgrad else v[i]) / (1 - b2**t)
            ws[i] = ws[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return ws


def ref_rmsprop(
    ws,
    grad_fn,
    steps,
    lr=1e-2,
    alpha=0.99,
    eps=1e-8,
    weight_decay=0.0,
    momentum=0.0,
    centered=False,
    maximize=False,
):
    ws, grad_fn = _start(ws, maximize, grad_fn)
    sq = [np.zeros_like(w) for w in ws]
    avg = [np.zeros_like(w) for w in ws]
    buf = [np.zeros_like(w) for w in ws]
    for _ in range(steps):
        for i, g in enumerate(grad_fn(ws)):
            g = g + weight_decay * ws[i]
            sq[i] = alpha * sq[i] + (1 - alpha) * g * g
            var = sq[i]
            if centered:
                avg[i] = alpha * avg[i] + (1 - alpha) * g
                var = var - avg[i] ** 2
            denom = np.sqrt(var) + eps
            if momentum:
                buf[i] = momentum * buf[i] + g / denom
                ws[i] = ws[i] - lr * buf[i]
            else:
                ws[i] = ws[i] - lr * g / denom
    return ws


def ref_adagrad(
    ws,
    grad_fn,
    steps,
    lr=1e-2,
    lr_decay=0.0,
    weight_decay=0.0,
    initial_accumulator_value=0.0,
    eps=1e-10,
    maximize=False,
):
    ws, grad_fn = _start(ws, maximize, grad_fn)
    sums = [np.full_like(w, initial_accumulator_value) for w in ws]
    for t in range(1, steps + 1):
        clr = lr / (1 + (t - 1) * lr_decay)
        for i, g in enumerate(grad_fn(ws)):
            g = g + weight_decay * ws[i]
            sums[i] = sums[i] + g * g
            ws[i] = ws[i] - clr * g / (np.sqrt(sums[i]) + eps)
    return ws
