"""Activations: relu sigmoid tanh softmax log_softmax, values, gradients and stability."""

import warnings

import numpy as np
import pytest
from gradcheck import gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradcli

FAST = settings(max_examples=15, deadline=None)
seeds = st.integers(0, 2**16)
any_shape = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def _normal(seed, shape, scale=2.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def _t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _softmax(x, axis):
    return np.exp(_log_softmax(x, axis))


ELEMENTWISE = [
    ("relu", lambda x: np.maximum(x, 0)),
    ("sigmoid", _sigmoid),
    ("tanh", np.tanh),
]


@pytest.mark.parametrize("name,ref", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@FAST
@given(shape=any_shape, seed=seeds)
def test_elementwise_values_and_gradients(name, ref, shape, seed):
    x = _normal(seed, shape)
    x = np.where(np.abs(x) < 1e-3, 0.5, x)  # keep relu's kink away from the finite differences
    np.testing.assert_allclose(getattr(gradcli, name)(_t(x)).numpy(), ref(x), rtol=1e-12)
    np.testing.assert_allclose(getattr(_t(x), name)().numpy(), ref(x), rtol=1e-12)
    gradcheck(getattr(gradcli, name), x)


def test_relu_gradient_at_zero_is_zero():
    x = gradcli.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


@pytest.mark.filterwarnings("error")  # no overflow warnings either
@pytest.mark.parametrize("dtype", [gradcli.float32, gradcli.float64])
def test_sigmoid_is_stable_for_large_inputs(dtype):
    x = gradcli.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype, requires_grad=True)
    y = x.sigmoid()
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.detach().numpy()[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert np.all(np.isfinite(y.detach().numpy()))
    y.sum().backward()
    g = x.grad.numpy()
    assert np.all(np.isfinite(g)) and g[0] == 0.0 and g[-1] == 0.0 and g[2] == 0.25


def test_sigmoid_keeps_relative_precision_for_negative_inputs():
    x64 = gradcli.tensor([-40.0, -30.0, -20.0], dtype=gradcli.float64)
    np.testing.assert_allclose(x64.sigmoid().numpy(), _sigmoid(x64.numpy()), rtol=1e-12)
    x32 = gradcli.tensor([-20.0, -15.0])
    np.testing.assert_allclose(x32.sigmoid().numpy(), _sigmoid(np.array([-20.0, -15.0])), rtol=1e-5)


def test_tanh_saturates_without_nan():
    x = gradcli.tensor([-1000.0, 1000.0], requires_grad=True)
    y = x.tanh()
    assert y.tolist() == [-1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


@st.composite
def shape_and_dim(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    return shape, draw(st.integers(-len(shape), len(shape) - 1))


@pytest.mark.parametrize(
    "name,ref", [("softmax", _softmax), ("log_softmax", _log_softmax)], ids=["softmax", "log"]
)
@FAST
@given(sd=shape_and_dim(), seed=seeds)
def test_softmax_values_and_gradients(name, ref, sd, seed):
    shape, dim = sd
    x = _normal(seed, shape)
    out = getattr(gradcli, name)(_t(x), dim)
    np.testing.assert_allclose(out.numpy(), ref(x, dim), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(getattr(_t(x), name)(dim).numpy(), ref(x, dim), rtol=1e-12)
    gradcheck(lambda t: getattr(gradcli, name)(t, dim), x)


def test_softmax_rows_sum_to_one():
    x = _t(_normal(0, (4, 5)))
    np.testing.assert_allclose(x.softmax(1).sum(1).numpy(), np.ones(4))
    np.testing.assert_allclose(x.softmax(0).sum(0).numpy(), np.ones(5))
    np.testing.assert_allclose(x.log_softmax(-1).exp().sum(-1).numpy(), np.ones(4))


@pytest.mark.filterwarnings("error")
def test_log_softmax_and_softmax_finite_for_huge_logits():
    x = gradcli.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], requires_grad=True)
    y = x.log_softmax(1)
    assert np.all(np.isfinite(y.detach().numpy()))
    np.testing.assert_allclose(y.detach().numpy()[0], [0.0, -1e4, -2e4])
    np.testing.assert_allclose(y.detach().numpy()[1], [-np.log(3)] * 3, rtol=1e-6)
    (y * gradcli.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy()[1], [-1 / 3, 2 / 3, -1 / 3], rtol=1e-6)
    s = gradcli.softmax(gradcli.tensor([1e4, 0.0]), 0)
    assert s.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    "fn",
    [
        gradcli.relu,
        gradcli.sigmoid,
        gradcli.tanh,
        lambda t: gradcli.softmax(t, 1),
        lambda t: gradcli.log_softmax(t, -1),
    ],
)
def test_float32_in_float32_out_and_gradients(fn):
    x = gradcli.tensor(_normal(0, (3, 4)).astype(np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == gradcli.float32
    (y * gradcli.tensor(_normal(1, (3, 4)).astype(np.float32))).sum().backward()
    assert x.grad.dtype == gradcli.float32


def test_int_inputs_give_float32():
    i = gradcli.tensor([[-1, 0, 2]])
    assert i.relu().dtype == gradcli.int64 and i.relu().tolist() == [[0, 0, 2]]
    for y in (i.sigmoid(), i.tanh(), i.softmax(1), i.log_softmax(1)):
        assert y.dtype == gradcli.float32
    np.testing.assert_allclose(i.sigmoid().numpy(), _sigmoid(np.array([[-1.0, 0.0, 2.0]])), 1e-6)


def test_grad_fn_names():
    x = gradcli.ones(2, 3, requires_grad=True)
    assert x.relu().grad_fn.name() == "ReluBackward0"
    assert x.sigmoid().grad_fn.name() == "SigmoidBackward0"
    assert x.tanh().grad_fn.name() == "TanhBackward0"
    assert x.softmax(1).grad_fn.name() == "SoftmaxBackward0"
    assert x.log_softmax(1).grad_fn.name() == "LogSoftmaxBackward0"


def test_softmax_bad_dim_names_the_op():
    with pytest.raises(IndexError, match="softmax: dim 2"):
        gradcli.ones(2, 3).softmax(2)
    with pytest.raises(IndexError, match="log_softmax: dim -3"):
        gradcli.ones(2, 3).log_softmax(-3)


def test_activations_do_not_warn_on_ordinary_inputs():
    x = gradcli.tensor(_normal(0, (10,)) * 30, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x.relu() + x.sigmoid() + x.tanh() + x.softmax(0) + x.log_softmax(0)).sum().backward()
