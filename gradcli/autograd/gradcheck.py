"""`gradcheck` / `gradgradcheck`: autograd's Jacobians against central finite differences.

>>> x = gradcli.randn(3, dtype=gradcli.float64, requires_grad=True)
>>> gradcli.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
True

Use float64 inputs: with float32 the finite differences themselves are off by ~1e-3.
"""

from __future__ import annotations

import numpy as np

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.grad_api import grad
from gradcli.backend import get_array_module
from gradcli.errors import AutogradError


class GradcheckError(AutogradError):
    """Analytical and numerical gradients disagree (raised by gradcheck / gradgradcheck)."""


def _tensors(xs):
    return [x for x in xs if isinstance(x, _tensor.Tensor)]


def _as_outputs(out):
    outs = (out,) if isinstance(out, _tensor.Tensor) else tuple(out)
    return [o for o in outs if isinstance(o, _tensor.Tensor)]


def _analytical(fn, inputs, wrt):
    """One Jacobian (output elements x input elements) per (output, input) pair, row by row."""
    outs = _as_outputs(fn(*inputs))
    jac = [[np.zeros((o.numel(), t.numel())) for t in wrt] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        xp = get_array_module(o._data)
        for j in range(o.numel()):
            e = xp.zeros(o._data.size, dtype=o._data.dtype)
            e[j] = 1
            seed = _tensor.Tensor._make(e.reshape(o._data.shape))
            grads = grad(o, wrt, grad_outputs=seed, retain_graph=True, allow_unused=True)
            for i, g in enumerate(grads):
                if g is not None:
                    jac[k][i][j] = np.asarray(g.detach().cpu().numpy(), dtype=float).reshape(-1)
    return jac


def _numerical(fn, inputs, wrt, eps):
    """Central differences, perturbing each input element in place. Grad mode stays on: the
    function may itself differentiate (gradgradcheck)."""
    outs = _as_outputs(fn(*inputs))
    jac = [[np.zeros((o.numel(), t.numel())) for t in wrt] for o in outs]
    for i, t in enumerate(wrt):
        a = t._data
        for col, idx in enumerate(np.ndindex(a.shape)):
            orig = a[idx].item()
            a[idx] = orig + eps
            up = _values(fn(*inputs))
            a[idx] = orig - eps
            down = _values(fn(*inputs))
            a[idx] = orig
            for k in range(len(outs)):
                jac[k][i][:, col] = ((up[k] - down[k]) / (2 * eps)).reshape(-1)
    return jac


def _values(out):
    return [np.asarray(o.detach().cpu().numpy(), dtype=float) for o in _as_outputs(out)]


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_backward_ad=True,
    fast_mode=False,
    masked=None,
):
    """True if autograd's gradients of `func(*inputs)` match finite differences for every
    input that requires grad; otherwise raises GradcheckError (or returns False)."""
    inputs = (inputs,) if isinstance(inputs, _tensor.Tensor) else tuple(inputs)
    wrt = [t for t in _tensors(inputs) if t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    analytical = _analytical(func, inputs, wrt)
    numerical = _numerical(func, inputs, wrt, eps)
    for k, (arow, nrow) in enumerate(zip(analytical, numerical)):
        for i, (a, n) in enumerate(zip(arow, nrow)):
            if np.allclose(a, n, rtol=rtol, atol=atol):
                continue
            if not raise_exception:
                return False
            bad = np.unravel_index(np.argmax(np.abs(a - n) - rtol * np.abs(n)), a.shape)
            raise GradcheckError(
                f"Jacobian mismatch for output {k} with respect to input {i}: at (output element "
                f"{bad[0]}, input element {bad[1]}) numerical {n[bad]:.6g} vs analytical "
                f"{a[bad]:.6g} (atol={atol}, rtol={rtol}; use float64 inputs)"
            )
    return True


def _random_like(rng, a):
    values = rng.standard_normal(a.shape).astype(a.dtype)
    return get_array_module(a).asarray(values)


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    gen_non_contig_grad_outputs=False,
    raise_exception=True,
    **kwargs,
):
    """gradcheck of the gradient itself (computed with create_graph=True): second derivatives."""
    inputs = (inputs,) if isinstance(inputs, _tensor.Tensor) else tuple(inputs)
    n_in = len(inputs)
    wrt_index = [
        i for i, t in enumerate(inputs) if isinstance(t, _tensor.Tensor) and t.requires_grad
    ]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _as_outputs(func(*inputs))
        grad_outputs = [
            _tensor.Tensor._make(_random_like(rng, o._data), True) for o in outs if o.requires_grad
        ]
    grad_outputs = (
        (grad_outputs,) if isinstance(grad_outputs, _tensor.Tensor) else tuple(grad_outputs)
    )

    def first_derivatives(*args):
        xs, gos = args[:n_in], args[n_in:]
        outs = [o for o in _as_outputs(func(*xs)) if o.requires_grad]
        wrt = [xs[i] for i in wrt_index]
        gs = grad(outs, wrt, grad_outputs=gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
