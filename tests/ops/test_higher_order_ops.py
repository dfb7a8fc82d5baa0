"""create_graph through the A2 ops (their `backward_tensors`): Hessian-vector products checked
against finite differences of plain gradients, in float64."""

import math

import numpy as np
import pytest

import gradcli
from gradcli.autograd import grad
from gradcli.errors import AutogradError

RNG = np.random.default_rng(11)


def t64(*shape, low=None):
    a = RNG.standard_normal(shape)
    if low is not None:  # magnitudes in [low, low + 1]: no zeros, no ties
        a = np.sign(a) * (low + RNG.uniform(0, 1, shape))
    return gradcli.tensor(a, dtype=gradcli.float64)


def check_hvp(f, *inputs, eps=1e-6, rtol=1e-5, atol=1e-7):
    """grad(grad(f) . v) against (grad f(x + eps v) - grad f(x - eps v)) / 2 eps."""
    xs = [x.detach().requires_grad_() for x in inputs]
    vs = [gradcli.tensor(RNG.standard_normal(x.shape)) for x in xs]
    gs = grad(f(*xs), xs, create_graph=True)
    assert all(g.requires_grad for g in gs), "the gradient was not recorded"
    hvp = grad(sum((g * v).sum() for g, v in zip(gs, vs)), xs, allow_unused=True)

    def plain(sign):
        moved = [(x.detach() + sign * eps * v).requires_grad_() for x, v in zip(xs, vs)]
        return [g.numpy() for g in grad(f(*moved), moved)]

    for h, u, d in zip(hvp, plain(1), plain(-1)):
        numeric = (u - d) / (2 * eps)
        np.testing.assert_allclose(
            np.zeros_like(numeric) if h is None else h.numpy(), numeric, rtol=rtol, atol=atol
        )


def _zeros_in(t):
    a = t.numpy().copy()
    a[::2, 1] = 0.0
    a[1, 2:] = 0.0
    return gradcli.tensor(a)


CASES = {
    "cumsum": (lambda a: (a.cumsum(1) ** 3).sum(), (t64(3, 4),)),
    "cumprod": (lambda a: (a.cumprod(1) * a).sin().sum(), (t64(3, 4, low=0.5),)),
    "cumprod_with_zeros": (lambda a: (a.cumprod(1) ** 2).sum() + a.cumprod(0).sum(), (_zeros_in(t64(4, 5)),)),  # noqa: E501
    "sort_topk": (lambda a: (a.sort(1).values ** 3 * a).sum() + (a.topk(2, 0).values ** 2).sum(), (t64(3, 4),)),  # noqa: E501
    "tril_triu_repeat": (lambda a: (a.tril(-1) ** 3).sum() + (a.triu() * a).exp().sum() + (a.repeat(2, 3) ** 3).sum(), (t64(3, 3),)),  # noqa: E501
    "masked_fill": (lambda a, v: (a.masked_fill(a > 0, 0.0) ** 3).sum() + (a.masked_fill(a < 0, v) * a).pow(2).sum(), (t64(3, 4), t64())),  # noqa: E501
    "fmod_remainder_copysign": (lambda a, b: ((a % b) ** 2 * b).sum() + (a.fmod(b) * a).sum() + (a.copysign(b) ** 3).sum(), (t64(3, 4, low=0.2), t64(4, low=1.5))),  # noqa: E501
    "einsum_matmul_broadcast": (lambda a, b: gradcli.einsum("bij,jk->bik", a, b).tanh().sum(), (t64(2, 3, 4), t64(4, 5))),  # noqa: E501
    "einsum_diag_missing_three": (lambda a, b, c: gradcli.einsum("ii,ijk,k->j", a, b, c).pow(2).sum() + gradcli.einsum("ij->i", b[0]).pow(3).sum(), (t64(3, 3), t64(3, 2, 4), t64(4))),  # noqa: E501
    "einsum_size1_broadcast": (lambda a, b: gradcli.einsum("ij,ij->i", a, b).pow(3).sum(), (t64(3, 1), t64(3, 4))),  # noqa: E501
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_hessian_vector_products(name):
    f, inputs = CASES[name]
    check_hvp(f, *inputs)


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, math.inf, -math.inf])
def test_norm_hessian_vector_products(p):
    x = t64(3, 4, low=0.5)
    check_hvp(lambda a: gradcli.linalg.vector_norm(a, p, dim=1).pow(2).sum() * a.sum(), x)
    check_hvp(lambda a: a.norm(p=p) * a.sum(), x)


def test_gradient_penalty_through_a_norm():
    # WGAN-GP: d/dw of (|d out / d x|_2 - 1)^2, the norm taken of a recorded gradient
    w = gradcli.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    x = gradcli.tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    out = (x @ w).tanh().sum()
    (gx,) = grad(out, x, create_graph=True)
    penalty = ((gx.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()

    def value(wv):
        xs = x.detach().requires_grad_()
        (g,) = grad((xs @ gradcli.tensor(wv)).tanh().sum(), xs)
        return float(((np.linalg.norm(g.numpy(), axis=1) - 1) ** 2).mean())

    eps, numeric = 1e-6, np.zeros((4, 3))
    for i in np.ndindex(4, 3):
        up, down = w.detach().numpy().copy(), w.detach().numpy().copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (value(up) - value(down)) / (2 * eps)
    np.testing.assert_allclose(w.grad.numpy(), numeric, rtol=1e-5, atol=1e-8)


def test_svd_norms_say_create_graph_is_not_supported():
    a = t64(3, 3).requires_grad_()
    (g,) = grad(gradcli.linalg.norm(a, "nuc"), a, create_graph=False)
    assert g.shape == (3, 3)
    with pytest.raises(AutogradError, match="create_graph is not supported"):
        grad(gradcli.linalg.norm(a, "nuc"), a, create_graph=True)
