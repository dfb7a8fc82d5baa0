"""Activation layers and their functional forms: values against numpy, float64 gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F

from . import _ref
from ._ref import t

X = 3 * _ref.rng(0).standard_normal((4, 6))
X[0, :3] = [0.0, 1e-3, -1e-3]  # exercise the kink at 0

CASES = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (nn.GELU(), _ref.gelu),
    (nn.GELU("tanh"), _ref.gelu_tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softmax(dim=1), lambda x: np.exp(_ref.log_softmax(x, 1))),
    (nn.LogSoftmax(dim=0), lambda x: _ref.log_softmax(x, 0)),
]


@pytest.mark.parametrize("layer,ref", CASES, ids=[repr(c[0]) for c in CASES])
def test_activation_values(layer, ref):
    out = layer(t(X, dtype=np.float32))
    assert out.dtype == gradcli.float32
    np.testing.assert_allclose(out.numpy(), ref(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer,ref", CASES, ids=[repr(c[0]) for c in CASES])
def test_activation_gradients(layer, ref):
    x = X.copy()
    x[0, :3] = [0.5, 0.7, -0.4]  # finite differences need to stay away from the kink
    gradcheck(layer, x)


def test_gradient_at_zero_matches_pytorch():
    x = t([0.0, 0.0, 0.0, 0.0], requires_grad=True)
    y = F.relu(x[0:1]).sum() + F.leaky_relu(x[1:2], 0.1).sum() + F.elu(x[2:3]).sum()
    y = y + F.gelu(x[3:4]).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.1, 1.0, 0.5])


def test_reprs_match_pytorch():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Sigmoid()) == "Sigmoid()" and repr(nn.Tanh()) == "Tanh()"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)" and repr(nn.Softmax()) == "Softmax(dim=None)"
    assert repr(nn.LogSoftmax(1)) == "LogSoftmax(dim=1)"


def test_node_names():
    x = t(X, requires_grad=True)
    assert F.leaky_relu(x).grad_fn.name() == "LeakyReluBackward0"
    assert F.elu(x).grad_fn.name() == "EluBackward0"
    assert F.gelu(x).grad_fn.name() == "GeluBackward0"


def test_inplace_variants_modify_input_and_keep_gradients():
    for fn in (F.relu, F.leaky_relu, F.elu):
        base = t(X, requires_grad=True)
        h = base * 1.0
        out = fn(h, inplace=True)
        assert out is h
        out.sum().backward()
        ref = fn(t(X, requires_grad=True))
        np.testing.assert_allclose(h.detach().numpy(), ref.detach().numpy())
        assert base.grad is not None
    assert nn.ReLU(inplace=True)(t(X)).min().item() >= 0


def test_implicit_softmax_dim_and_dtype():
    x3 = _ref.rng(1).standard_normal((2, 3, 4))
    np.testing.assert_allclose(F.softmax(t(x3)).numpy(), np.exp(_ref.log_softmax(x3, 0)), rtol=1e-5)
    out = F.log_softmax(t(X), dim=-1, dtype=gradcli.float64)
    assert out.dtype == gradcli.float64
    np.testing.assert_allclose(out.numpy(), _ref.log_softmax(X, -1), rtol=1e-12)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(t(X), approximate="fast")
