"""Merge modules and graph containers: values and gradients against numpy, shape errors."""

import numpy as np
import pytest

import gradcli
from gradcli import nn
from gradcli.errors import ShapeError

from ._ref import rng, t


def test_add_sums_and_refuses_mismatched_shapes():
    a, b = rng().normal(size=(2, 3, 4, 4)), rng(1).normal(size=(2, 3, 4, 4))
    x, y = t(a, requires_grad=True), t(b, requires_grad=True)
    out = nn.Add()(x, y, x)
    np.testing.assert_allclose(out.detach().numpy(), 2 * a + b, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(a.shape, 2.0))
    np.testing.assert_array_equal(y.grad.numpy(), np.ones(b.shape))
    with pytest.raises(ShapeError, match=r"add: inputs must have the same shape, got \(2, 3\)"):
        nn.Add()(gradcli.zeros(2, 3), gradcli.zeros(2, 1))


def test_concat_joins_channels_and_splits_the_gradient():
    a, b = rng().normal(size=(2, 3, 4, 4)), rng(1).normal(size=(2, 5, 4, 4))
    x, y = t(a, requires_grad=True), t(b, requires_grad=True)
    out = nn.Concat()(x, y)
    np.testing.assert_array_equal(out.detach().numpy(), np.concatenate([a, b], axis=1))
    (out * t(np.arange(8.0).reshape(1, 8, 1, 1))).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy()[0, :, 0, 0], np.arange(3.0, 8.0))
    with pytest.raises(ShapeError, match="concat: inputs must match in every dimension but 1"):
        nn.Concat()(gradcli.zeros(2, 3, 4, 4), gradcli.zeros(2, 3, 2, 2))


def test_global_avgpool_is_the_mean_of_each_channel():
    a = rng().normal(size=(2, 3, 5, 4))
    x = t(a, requires_grad=True)
    out = nn.GlobalAvgPool2d()(x)
    np.testing.assert_allclose(out.detach().numpy(), a.mean(axis=(2, 3)), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(a.shape, 1 / 20), rtol=1e-6)
    with pytest.raises(ShapeError, match="global_avgpool"):
        nn.GlobalAvgPool2d()(gradcli.zeros(2, 3))


def test_residual_branches_and_graph():
    a = rng().normal(size=(2, 3))
    x = t(a)
    res = nn.Residual(nn.Sequential(nn.ReLU()), after=nn.Tanh())
    np.testing.assert_allclose(res(x).numpy(), np.tanh(np.maximum(a, 0) + a), rtol=1e-6)
    branches = nn.Branches([nn.ReLU(), nn.Identity()], nn.Concat())
    np.testing.assert_array_equal(branches(x).numpy(), np.concatenate([np.maximum(a, 0), a], 1))
    graph = nn.Graph(
        nn.Identity(), nn.ReLU(), nn.Add(), nn.Tanh(), nn.Concat(),
        saves={0: "in", 3: "t"}, reads={2: ["in"], 4: ["in", "t"]},
    )  # fmt: skip
    s = np.tanh(np.maximum(a, 0) + a)
    np.testing.assert_allclose(graph(x).numpy(), np.concatenate([s, a, s], 1), rtol=1e-6)
    assert list(nn.Residual(nn.Linear(3, 3)).state_dict()) == ["body.weight", "body.bias"]
    assert graph[2].__class__ is nn.Add
    with pytest.raises(TypeError, match="a Graph cannot be sliced"):
        graph[1:]
