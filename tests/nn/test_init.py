"""gradcli.nn.init: formulas, in place, no graph, float32 preserved, seeded."""

import math

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
from gradcli.nn import init


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(gradcli.empty(20, 10)) == (10, 20)
    assert init._calculate_fan_in_and_fan_out(gradcli.empty(6, 3, 5, 5)) == (75, 150)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(gradcli.empty(5))


def _stats(t):
    a = t.detach().numpy()
    return a, a.mean(), a.std()


@pytest.mark.parametrize(
    "fn,kwargs,low,high,std",
    [
        (init.uniform_, dict(a=-2.0, b=3.0), -2.0, 3.0, 5 / math.sqrt(12)),
        (init.normal_, dict(mean=1.0, std=0.5), None, None, 0.5),
        (init.xavier_uniform_, dict(gain=2.0), -2 * math.sqrt(6 / 500), 2 * math.sqrt(6 / 500),
         2 * math.sqrt(2 / 500)),
        (init.xavier_normal_, {}, None, None, math.sqrt(2 / 500)),
        (init.kaiming_uniform_, dict(nonlinearity="relu"), -math.sqrt(6 / 200),
         math.sqrt(6 / 200), math.sqrt(2 / 200)),
        (init.kaiming_normal_, dict(mode="fan_out", nonlinearity="relu"), None, None,
         math.sqrt(2 / 300)),
    ],
)  # fmt: skip
def test_distributions(fn, kwargs, low, high, std):
    gradcli.manual_seed(0)
    w = nn.Parameter(gradcli.empty(300, 200))
    before = w._version
    out = fn(w, **kwargs)
    assert out is w and w.grad_fn is None and w.requires_grad and w._version > before
    a, _, s = _stats(w)
    assert a.dtype == np.float32
    if low is not None:
        assert a.min() >= low and a.max() <= high
    assert abs(s - std) / std < 0.02


def test_constant_zeros_ones_and_seeding():
    w = gradcli.empty(3, 4, dtype=gradcli.float64)
    init.constant_(w, 2.5)
    np.testing.assert_array_equal(w.numpy(), np.full((3, 4), 2.5))
    assert w.dtype == gradcli.float64
    init.zeros_(w)
    assert w.numpy().sum() == 0
    init.ones_(w)
    assert w.numpy().sum() == 12
    gradcli.manual_seed(7)
    a = init.kaiming_uniform_(gradcli.empty(5, 5), a=math.sqrt(5)).numpy().copy()
    gradcli.manual_seed(7)
    b = init.kaiming_uniform_(gradcli.empty(5, 5), a=math.sqrt(5)).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Mode"):
        init.kaiming_normal_(gradcli.empty(3, 3), mode="fan_avg")


def test_inits_work_on_parameters_that_require_grad_without_error():
    lin = nn.Linear(4, 3)
    init.xavier_uniform_(lin.weight)
    init.zeros_(lin.bias)
    assert lin.bias.detach().numpy().sum() == 0
    lin(gradcli.randn(2, 4)).sum().backward()
    assert lin.weight.grad is not None
