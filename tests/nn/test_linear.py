"""Linear, Identity and Flatten layers and F.linear."""

import math

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
from gradcli.errors import ShapeError

from . import _ref
from ._ref import t


def test_linear_values_and_node_names():
    lin = nn.Linear(5, 3)
    x = _ref.rng(0).standard_normal((4, 5)).astype(np.float32)
    out = lin(t(x))
    expected = x @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert out.dtype == gradcli.float32
    assert out.grad_fn.name() == "AddmmBackward0"
    assert nn.Linear(5, 3, bias=False)(t(x)).grad_fn.name() == "MmBackward0"


def test_linear_gradients_and_leading_dims():
    r = _ref.rng(1)
    x, w, b = r.standard_normal((2, 3, 4)), r.standard_normal((5, 4)), r.standard_normal(5)
    gradcheck(F.linear, x, w, b)
    gradcheck(F.linear, x[0], w)
    gradcheck(F.linear, x[0, 0], w, b)  # a 1-D input is one sample
    out = F.linear(t(x), t(w), t(b))
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-5, atol=1e-6)


def test_linear_skips_unneeded_gradients():
    x = t(_ref.rng(2).standard_normal((3, 4)), dtype=np.float32)
    lin = nn.Linear(4, 2)
    lin.weight.requires_grad_(False)
    lin(x).sum().backward()
    assert lin.weight.grad is None
    np.testing.assert_allclose(lin.bias.grad.numpy(), [3.0, 3.0])


def test_default_init_bounds_and_reproducibility():
    gradcli.manual_seed(0)
    a = nn.Linear(100, 50)
    gradcli.manual_seed(0)
    b = nn.Linear(100, 50)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    bound = 1 / math.sqrt(100)
    w = a.weight.detach().numpy()
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(a.bias.detach().numpy()).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01  # uniform(-b, b) has std b / sqrt(3)


def test_linear_errors_name_the_layer():
    with pytest.raises(ShapeError) as e:
        nn.Linear(400, 120)(gradcli.randn(64, 256))
    assert str(e.value) == (
        "Linear(in_features=400, out_features=120, bias=True): input has 256 features but the "
        "layer expects 400 (input shape (64, 256))"
    )
    with pytest.raises(ShapeError, match=r"unsqueeze\(0\)"):
        nn.Linear(4, 2)(gradcli.randn(4))
    with pytest.raises(ShapeError, match="linear: input has 3 features but weight expects 4"):
        F.linear(gradcli.randn(2, 3), gradcli.randn(5, 4))


def test_repr_parameters_and_dtype_device_args():
    assert repr(nn.Linear(3, 4, bias=False)) == "Linear(in_features=3, out_features=4, bias=False)"
    lin = nn.Linear(3, 4, dtype=gradcli.float64)
    assert lin.weight.dtype == gradcli.float64 and lin.bias.dtype == gradcli.float64
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in nn.Linear(3, 4, bias=False).named_parameters()] == ["weight"]


def test_identity_and_flatten():
    x = t(_ref.rng(3).standard_normal((2, 3, 4, 5)))
    assert nn.Identity(54, foo=1)(x) is x
    assert repr(nn.Identity()) == "Identity()"
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert F.flatten(x).shape == (120,)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    gradcheck(nn.Flatten(), _ref.rng(4).standard_normal((2, 3, 2)))


def test_dtype_mismatch_is_an_error_not_a_silent_float64_gradient():
    lin = nn.Linear(3, 2)
    with pytest.raises(ShapeError, match="input dtype float64 and parameter dtype float32"):
        lin(gradcli.randn(4, 3, dtype=gradcli.float64))
    assert lin.double()(gradcli.randn(4, 3, dtype=gradcli.float64)).dtype == gradcli.float64
