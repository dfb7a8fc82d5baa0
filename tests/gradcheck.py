"""Finite-difference gradient checking for tests (float64, central differences)."""

from __future__ import annotations

import numpy as np

import gradcli


def _float64_leaves(args):
    out = []
    for a in args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            a = gradcli.tensor(a.astype(np.float64), requires_grad=True)
        out.append(a)
    return out


def gradcheck(fn, *args, eps=1e-6, atol=1e-6, rtol=1e-4, seed=0):
    """Assert that autograd's gradients of `fn(*args)` match central finite differences.

    Float numpy arrays in `args` become float64 leaf tensors that require grad; anything else is
    passed through. The scalar checked is `sum(fn(*args) * w)` for a fixed random `w`, so every
    output element's gradient path is exercised. Returns the leaf tensors.
    """
    leaves = _float64_leaves(args)
    out = fn(*leaves)
    w = np.random.default_rng(seed).standard_normal(out.shape)
    (out * gradcli.tensor(w)).sum().backward()

    def objective():
        with gradcli.no_grad():
            return float((fn(*leaves)._data * w).sum())

    checked = 0
    for t in leaves:
        if not isinstance(t, gradcli.Tensor) or not t.requires_grad:
            continue
        assert t.grad is not None, "no gradient reached an input that requires grad"
        assert t.grad.shape == t.shape, f"gradient shape {t.grad.shape} != input shape {t.shape}"
        numeric = np.zeros_like(t._data)
        flat, nflat = t._data.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            up = objective()
            flat[i] = orig - eps
            down = objective()
            flat[i] = orig
            nflat[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(t.grad._data, numeric, rtol=rtol, atol=atol)
        checked += 1
    assert checked, "gradcheck: no input requires grad"
    return leaves
