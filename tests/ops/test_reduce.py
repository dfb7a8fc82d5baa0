"""Reductions: sum mean var std max min argmax argmin, over dims, against NumPy."""

import numpy as np
import pytest
from gradcheck import gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradcli

FAST = settings(max_examples=15, deadline=None)
seeds = st.integers(0, 2**16)


@st.composite
def shape_and_dims(draw, min_dims=1):
    """A shape and a `dim` for it: None, an int (maybe negative) or a tuple of distinct dims."""
    shape = draw(array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    nd = len(shape)
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    axes = [a - nd if draw(st.booleans()) else a for a in axes]  # negative dims too
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    dim = None if kind == "none" else axes[0] if kind == "int" else tuple(axes)
    return shape, dim


def _np_axis(dim):
    return dim if dim is None or isinstance(dim, int) else tuple(dim)


def _normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


def _call(name, x, dim, keepdim, **kw):
    if dim is None:
        return getattr(x, name)(**kw) if not keepdim else getattr(x, name)(None, keepdim=True, **kw)
    return getattr(x, name)(dim, keepdim=keepdim, **kw)


# ---- sum mean ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,ref", [("sum", np.sum), ("mean", np.mean)])
@pytest.mark.parametrize("keepdim", [False, True])
@FAST
@given(sd=shape_and_dims(), seed=seeds)
def test_sum_mean_values_and_gradients(name, ref, keepdim, sd, seed):
    shape, dim = sd
    x = _normal(seed, shape)
    out = _call(name, _t(x), dim, keepdim)
    expected = ref(x, axis=_np_axis(dim), keepdims=keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-15)
    fn = getattr(gradcli, name)
    np.testing.assert_allclose(fn(_t(x), dim, keepdim).numpy(), expected, rtol=1e-12, atol=1e-15)
    gradcheck(lambda t: _call(name, t, dim, keepdim), x)


def test_sum_mean_gradient_values():
    x = _t(np.ones((2, 3)), requires_grad=True)
    x.mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 1 / 6))
    x.grad = None
    x.sum(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    x.grad = None
    x.mean(dim=(0, -1), keepdim=True).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 1 / 6))


def test_reductions_of_a_0d_tensor():
    x = _t(3.0, requires_grad=True)
    assert x.sum().item() == 3.0 and x.sum(0).item() == 3.0 and x.mean(-1).item() == 3.0
    v, i = x.max(0)
    assert v.item() == 3.0 and i.item() == 0
    x.sum(0).backward()
    assert x.grad.item() == 1.0


def test_sum_of_int_and_bool_tensors():
    assert gradcli.tensor([1, 2, 3]).sum().dtype == gradcli.int64
    assert gradcli.tensor([True, True, False]).sum().item() == 2


# ---- var std -------------------------------------------------------------------------------------


def _std_kwargs():
    return st.sampled_from(
        [
            ({}, 1),
            ({"unbiased": True}, 1),
            ({"unbiased": False}, 0),
            ({"correction": 0}, 0),
            ({"correction": 1}, 1),
            ({"correction": 2}, 2),
        ]
    )


@pytest.mark.parametrize("name,ref", [("var", np.var), ("std", np.std)])
@pytest.mark.parametrize("keepdim", [False, True])
@FAST
@given(sd=shape_and_dims(), seed=seeds, kw=_std_kwargs())
def test_var_std_values_and_gradients(name, ref, keepdim, sd, seed, kw):
    shape, dim = sd
    kwargs, ddof = kw
    x = _normal(seed, shape)
    n = x.size // np.sum(x, axis=_np_axis(dim), keepdims=True).size
    if n - ddof <= 0:
        return  # no degrees of freedom: covered by test_var_without_degrees_of_freedom
    out = _call(name, _t(x), dim, keepdim, **kwargs)
    expected = ref(x, axis=_np_axis(dim), keepdims=keepdim, ddof=ddof)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    gradcheck(lambda t: _call(name, t, dim, keepdim, **kwargs), x)


def test_var_std_are_unbiased_by_default():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    assert np.isclose(_t(x).var().item(), np.var(x, ddof=1))
    assert np.isclose(_t(x).std().item(), np.std(x, ddof=1))
    assert np.isclose(_t(x).var(unbiased=False).item(), np.var(x))
    assert np.isclose(_t(x).std(correction=0).item(), np.std(x))
    assert np.isclose(gradcli.var(_t(x), 0, False).item(), np.var(x))
    assert np.isclose(gradcli.std(_t(x), correction=0).item(), np.std(x))


def test_std_gradient_of_constant_input_is_zero_not_nan():
    x = _t(np.ones((2, 3)), requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    x.grad = None
    x.std(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0/0, as PyTorch warns too
def test_var_without_degrees_of_freedom_is_nan():
    x = _t([2.0], requires_grad=True)
    v = x.var()
    assert np.isnan(v.item())
    v.backward()  # must not raise ZeroDivisionError
    assert np.isnan(x.grad.item())


# ---- max min -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,ref", [("max", np.max), ("min", np.min)])
@FAST
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=4), seed=seeds)
def test_full_max_min_values_and_gradients(name, ref, shape, seed):
    x = _normal(seed, shape)
    out = getattr(_t(x), name)()
    assert out.shape == ()
    assert out.item() == ref(x)
    assert getattr(gradcli, name)(_t(x)).item() == ref(x)
    gradcheck(lambda t: getattr(t, name)(), x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_full_max_min_gradient_is_split_evenly_among_ties(name):
    x = _t([[3.0, 1.0, 3.0], [0.0, 3.0, 2.0]], requires_grad=True)
    if name == "min":
        x = _t([[0.0, 1.0, 0.0], [4.0, 0.0, 2.0]], requires_grad=True)
    getattr(x, name)().backward()
    expect = np.array([[1, 0, 1], [0, 1, 0]]) / 3
    np.testing.assert_allclose(x.grad.numpy(), expect)


@pytest.mark.parametrize("name,ref,arg", [("max", np.max, np.argmax), ("min", np.min, np.argmin)])
@pytest.mark.parametrize("keepdim", [False, True])
@FAST
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_max_min_dim_values_indices_and_gradients(name, ref, arg, keepdim, shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = _normal(seed, shape)
    result = getattr(_t(x), name)(dim, keepdim=keepdim)
    values, indices = result  # a namedtuple: unpacks and has fields
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values.numpy(), ref(x, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.numpy(), arg(x, axis=dim, keepdims=keepdim))
    assert indices.dtype == gradcli.int64 and indices.grad_fn is None
    same = getattr(gradcli, name)(_t(x), dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(same.values.numpy(), values.numpy())
    gradcheck(lambda t: getattr(t, name)(dim, keepdim=keepdim).values, x)


def test_max_dim_gradient_goes_to_the_returned_index():
    x = _t([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])


def test_max_min_keep_float32():
    for fn in (lambda t: t.max(), lambda t: t.min(), lambda t: t.max(1).values):
        x = gradcli.tensor(_normal(0, (3, 4)).astype(np.float32), requires_grad=True)
        y = fn(x)
        y.sum().backward()
        assert y.dtype == gradcli.float32 and x.grad.dtype == gradcli.float32


def test_max_of_empty_tensor_raises():
    with pytest.raises(ValueError, match="max"):
        gradcli.zeros(0).max()


# ---- argmax argmin -------------------------------------------------------------------------------


@pytest.mark.parametrize("name,ref", [("argmax", np.argmax), ("argmin", np.argmin)])
@FAST
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_argmax_argmin(name, ref, shape, seed, data):
    x = _normal(seed, shape)
    t = _t(x, requires_grad=True)
    flat = getattr(t, name)()
    assert flat.dtype == gradcli.int64 and flat.grad_fn is None and flat.shape == ()
    assert flat.item() == ref(x)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    out = getattr(gradcli, name)(t, dim, keepdim)
    np.testing.assert_array_equal(out.numpy(), ref(x, axis=dim, keepdims=keepdim))
    assert out.dtype == gradcli.int64 and not out.requires_grad


def test_argmax_ties_pick_the_first():
    assert gradcli.tensor([1.0, 3.0, 3.0]).argmax().item() == 1
    assert gradcli.tensor([[0.0, 0.0], [2.0, 0.0]]).argmin(dim=1).tolist() == [0, 1]


# ---- names, dtypes, errors -----------------------------------------------------------------------


def test_grad_fn_names():
    x = gradcli.ones(2, 3, requires_grad=True)
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.sum(1).grad_fn.name() == "SumBackward1"  # PyTorch's dim overload
    assert x.mean().grad_fn.name() == "MeanBackward0"
    assert x.mean(dim=0, keepdim=True).grad_fn.name() == "MeanBackward1"
    assert x.var().grad_fn.name() == "VarBackward0"
    assert x.std().grad_fn.name() == "StdBackward0"
    assert x.max().grad_fn.name() == "MaxBackward1"
    assert x.max(1).values.grad_fn.name() == "MaxBackward0"
    assert x.min().grad_fn.name() == "MinBackward1"


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.sum(),
        lambda t: t.sum(dim=(0, 1)),
        lambda t: t.mean(),
        lambda t: t.mean(dim=-1, keepdim=True),
        lambda t: t.var(),
        lambda t: t.var(dim=1, unbiased=False),
        lambda t: t.std(),
        lambda t: t.std(dim=0, correction=0),
    ],
)
def test_float32_stays_float32_in_values_and_gradients(fn):
    x = gradcli.tensor(_normal(0, (3, 4)).astype(np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == gradcli.float32
    y.sum().backward()
    assert x.grad.dtype == gradcli.float32


def test_float64_stays_float64():
    x = gradcli.tensor(_normal(0, (3, 4)), requires_grad=True)
    for y in (x.sum(), x.mean(1), x.var(), x.std(0), x.max(), x.max(1).values):
        assert y.dtype == gradcli.float64


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "argmax", "argmin"])
def test_bad_dim_names_the_op_and_the_dim(name):
    x = gradcli.ones(2, 3)
    with pytest.raises(IndexError) as info:
        getattr(x, name)(5)
    msg = str(info.value)
    assert msg.startswith(f"{name}:") and "dim 5" in msg
    with pytest.raises(IndexError, match="dim -3"):
        getattr(x, name)(-3)


def test_repeated_dims_are_rejected():
    with pytest.raises(ValueError, match="sum: dim 0 appears multiple times"):
        gradcli.ones(2, 3).sum(dim=(0, -2))


# ---- NumPy-style keyword aliases (PyTorch 2.14.1 accepts axis= / keepdims= on these) ----------


def test_tensor_methods_take_axis_and_keepdims():
    x = gradcli.arange(6.0).reshape(2, 3)
    assert x.sum(axis=1, keepdims=True).tolist() == [[3.0], [12.0]]
    assert x.mean(axis=0).tolist() == [1.5, 2.5, 3.5]
    v, i = x.max(axis=1, keepdims=True)
    assert v.tolist() == [[2.0], [5.0]] and i.tolist() == [[2], [2]]
    assert x.min(axis=0).values.tolist() == [0.0, 1.0, 2.0]
    assert x.argmax(axis=1).tolist() == [2, 2] and x.argmin(axis=1).tolist() == [0, 0]
    assert x.std(axis=1, keepdims=True).tolist() == [[1.0], [1.0]]
    assert x.var(axis=1).tolist() == [1.0, 1.0]
    np.testing.assert_allclose(x.softmax(axis=1).numpy()[0], [0.0900, 0.2447, 0.6652], atol=1e-4)
    np.testing.assert_allclose(x.log_softmax(axis=1).numpy()[0], [-2.4076, -1.4076, -0.4076], 1e-4)
    assert x.unsqueeze(axis=0).shape == (1, 2, 3) and x[None].squeeze(axis=0).shape == (2, 3)
    assert x.all(axis=1).tolist() == [False, True]
    assert x.any(dim=1, keepdim=True).tolist() == [[True], [True]]
    assert x.any().item() and not x.all().item()
    with pytest.raises(TypeError, match="alias"):
        x.sum(dim=0, axis=1)
