"""Elementwise arithmetic: values against NumPy, float64 finite-difference gradients, dtypes."""

import math
import warnings

import numpy as np
import pytest
from gradcheck import gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import gradcli
from gradcli.errors import ShapeError

FAST = settings(max_examples=15, deadline=None)
two_shapes = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
one_shape = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**16)


def _normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _away_from_zero(seed, shape, low=0.5, high=2.0):
    """Values with |v| in [low, high] and random signs (safe denominators, no kinks)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def _positive(seed, shape, low=0.5, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


def _float32_grads(fn, *arrays):
    """Run fn on float32 leaves; assert the output and every gradient stay float32."""
    leaves = [gradcli.tensor(np.asarray(a, np.float32), requires_grad=True) for a in arrays]
    out = fn(*leaves)
    assert out.dtype == gradcli.float32, out.dtype
    out.sum().backward()
    for leaf in leaves:
        assert leaf.grad is not None and leaf.grad.dtype == gradcli.float32, leaf.grad
    return out


BINARY = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: a / b, np.divide),
]


# ---- + - * / between tensors, with broadcasting --------------------------------------------------


@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
@FAST
@given(shapes=two_shapes, seed=seeds)
def test_binary_values_and_gradients_broadcast(name, op, ref, shapes, seed):
    sa, sb = shapes.input_shapes
    a, b = _normal(seed, sa), _away_from_zero(seed + 1, sb)
    out = op(_t(a), _t(b))
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.numpy(), ref(a, b), rtol=1e-12)
    gradcheck(op, a, b)


@pytest.mark.parametrize("name,op,ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_functional_and_method_forms(name, op, ref):
    a, b = _normal(0, (2, 3)), _away_from_zero(1, (3,))
    fn = getattr(gradcli.ops, name)
    method = getattr(_t(a), name)
    np.testing.assert_allclose(fn(_t(a), _t(b)).numpy(), ref(a, b), rtol=1e-12)
    np.testing.assert_allclose(method(_t(b)).numpy(), ref(a, b), rtol=1e-12)


def test_binary_gradient_with_size_one_dims_reduces_to_input_shape():
    a = _t(np.ones((4, 1, 3)), requires_grad=True)
    b = _t(np.full((1, 5, 1), 2.0), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (4, 1, 3) and b.grad.shape == (1, 5, 1)
    np.testing.assert_allclose(a.grad.numpy(), np.full((4, 1, 3), 10.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full((1, 5, 1), 12.0))


def test_only_inputs_that_require_grad_get_one():
    a = _t(_positive(0, (3,)), requires_grad=True)
    b = _t(_away_from_zero(1, (3,)))
    for op in (lambda: a + b, lambda: b - a, lambda: a * b, lambda: b / a, lambda: a**b):
        a.grad = None
        op().sum().backward()
        assert a.grad is not None and b.grad is None


# ---- reflected operators with Python scalars on either side ---------------------------------

SCALAR_OPS = [
    ("x+2", lambda x: x + 2, lambda x: x + 2),
    ("2+x", lambda x: 2 + x, lambda x: 2 + x),
    ("x-1.5", lambda x: x - 1.5, lambda x: x - 1.5),
    ("1.5-x", lambda x: 1.5 - x, lambda x: 1.5 - x),
    ("x*0.5", lambda x: x * 0.5, lambda x: x * 0.5),
    ("3*x", lambda x: 3 * x, lambda x: 3 * x),
    ("x/3", lambda x: x / 3, lambda x: x / 3),
    ("2/x", lambda x: 2 / x, lambda x: 2 / x),
    ("x**2", lambda x: x**2, lambda x: x**2),
    ("x**2.0", lambda x: x**2.0, lambda x: x**2.0),
    ("x**3", lambda x: x**3, lambda x: x**3),
    ("x**0.5", lambda x: x**0.5, np.sqrt),
    ("x**-1", lambda x: x**-1, lambda x: 1 / x),
    ("x**-1.5", lambda x: x**-1.5, lambda x: x**-1.5),
    ("2**x", lambda x: 2**x, lambda x: 2.0**x),
    ("0.5**x", lambda x: 0.5**x, lambda x: 0.5**x),
    ("-x", lambda x: -x, np.negative),
    ("abs", lambda x: abs(x), np.abs),
]


@pytest.mark.parametrize("name,op,ref", SCALAR_OPS, ids=[s[0] for s in SCALAR_OPS])
@FAST
@given(shape=one_shape, seed=seeds)
def test_scalar_ops_values_and_gradients(name, op, ref, shape, seed):
    x = _positive(seed, shape)  # positive: fractional and negative powers are defined
    np.testing.assert_allclose(op(_t(x)).numpy(), ref(x), rtol=1e-12)
    gradcheck(op, x)


@pytest.mark.parametrize("name,op,ref", SCALAR_OPS, ids=[s[0] for s in SCALAR_OPS])
def test_scalar_ops_keep_float32(name, op, ref):
    """A Python scalar takes the tensor's dtype: no silent float64 in values or gradients."""
    x = _positive(0, (2, 3))
    out = _float32_grads(op, x)
    np.testing.assert_allclose(out.detach().numpy(), ref(x.astype(np.float32)), rtol=1e-6)


@pytest.mark.parametrize("name,op,ref", SCALAR_OPS, ids=[s[0] for s in SCALAR_OPS])
def test_scalar_ops_keep_float64(name, op, ref):
    x = gradcli.tensor(_positive(0, (3,)), requires_grad=True)
    out = op(x)
    out.sum().backward()
    assert out.dtype == gradcli.float64 and x.grad.dtype == gradcli.float64


def test_numpy_scalars_do_not_promote_float32():
    x = gradcli.ones(3, requires_grad=True)
    for y in (x * np.float64(0.5), x ** np.float64(2.0), x + np.float64(1), np.float64(2) * x):
        assert y.dtype == gradcli.float32


def test_abs_and_neg_gradients():
    x = _away_from_zero(3, (2, 3))
    gradcheck(lambda t: gradcli.abs(t), x)
    gradcheck(lambda t: t.abs(), x)
    gradcheck(lambda t: gradcli.ops.neg(t), x)
    gradcheck(lambda t: t.neg(), x)
    z = _t([0.0, -2.0, 3.0], requires_grad=True)
    z.abs().sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, -1.0, 1.0])  # sign(0) = 0, as PyTorch


# ---- pow -----------------------------------------------------------------------------------------


@FAST
@given(shapes=two_shapes, seed=seeds)
def test_pow_tensor_tensor_broadcast(shapes, seed):
    sa, sb = shapes.input_shapes
    a, b = _positive(seed, sa), _normal(seed + 1, sb)
    np.testing.assert_allclose((_t(a) ** _t(b)).numpy(), a**b, rtol=1e-12)
    gradcheck(lambda x, y: x**y, a, b)
    gradcheck(lambda x, y: gradcli.ops.pow(x, y), a, b)


def test_pow_tensor_tensor_keeps_float32():
    _float32_grads(lambda x, y: x**y, _positive(0, (2, 3)), _normal(1, (3,)))


def test_pow_zero_exponent_gradient_is_zero_not_nan():
    x = _t([0.0, 1.0, -2.0], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    x.grad = None
    (x ** _t([0.0, 0.0, 0.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_pow_exponent_gradient_at_zero_and_negative_base():
    """d(a^b)/db = a^b log a: 0 where a == 0 (b >= 0), nan where a < 0 (PyTorch)."""
    b = _t([2.0, 2.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no log(0) / log(<0) warnings from the kernel
        (_t([0.0, -2.0, 3.0]) ** b).sum().backward()
    g = b.grad.numpy()
    assert g[0] == 0.0 and np.isnan(g[1])
    np.testing.assert_allclose(g[2], 3.0 * np.log(3.0))


def test_scalar_base_pow_gradient():
    y = _t([0.5, 1.0, 2.0], requires_grad=True)
    (3**y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 3.0 ** np.array([0.5, 1.0, 2.0]) * np.log(3.0))


def test_int_tensor_pow():
    i = gradcli.tensor([1, 2, 3])
    assert (i**2).dtype == gradcli.int64 and (i**2).tolist() == [1, 4, 9]
    assert (i**2.0).dtype == gradcli.float32  # a float exponent gives the default float dtype


# ---- exp log sqrt sin cos ------------------------------------------------------------------------

UNARY = [
    ("exp", gradcli.exp, np.exp, _normal),
    ("log", gradcli.log, np.log, _positive),
    ("sqrt", gradcli.sqrt, np.sqrt, _positive),
    ("sin", gradcli.sin, np.sin, _normal),
    ("cos", gradcli.cos, np.cos, _normal),
]


@pytest.mark.parametrize("name,fn,ref,data", UNARY, ids=[u[0] for u in UNARY])
@FAST
@given(shape=one_shape, seed=seeds)
def test_unary_values_and_gradients(name, fn, ref, data, shape, seed):
    x = data(seed, shape)
    np.testing.assert_allclose(fn(_t(x)).numpy(), ref(x), rtol=1e-12)
    np.testing.assert_allclose(getattr(_t(x), name)().numpy(), ref(x), rtol=1e-12)
    gradcheck(fn, x)


@pytest.mark.parametrize("name,fn,ref,data", UNARY, ids=[u[0] for u in UNARY])
def test_unary_keeps_float32(name, fn, ref, data):
    x = data(0, (2, 3))
    out = _float32_grads(fn, x)
    np.testing.assert_allclose(out.detach().numpy(), ref(x.astype(np.float32)), rtol=1e-6)


# ---- maximum minimum clamp where -----------------------------------------------------------------


@pytest.mark.parametrize("fn,ref", [(gradcli.maximum, np.maximum), (gradcli.minimum, np.minimum)])
@FAST
@given(shapes=two_shapes, seed=seeds)
def test_maximum_minimum_values_and_gradients(fn, ref, shapes, seed):
    sa, sb = shapes.input_shapes
    a, b = _normal(seed, sa), _normal(seed + 1, sb)  # continuous: ties have probability 0
    np.testing.assert_allclose(fn(_t(a), _t(b)).numpy(), ref(a, b))
    gradcheck(fn, a, b)


@pytest.mark.parametrize(
    "fn,ga,gb",
    [
        (gradcli.maximum, [0.5, 1.0, 0.0], [0.5, 0.0, 1.0]),
        (gradcli.minimum, [0.5, 0.0, 1.0], [0.5, 1.0, 0.0]),
    ],
)
def test_maximum_minimum_ties_split_half_half(fn, ga, gb):
    a = _t([1.0, 2.0, 0.0], requires_grad=True)
    b = _t([1.0, 1.0, 1.0], requires_grad=True)
    fn(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ga)
    np.testing.assert_array_equal(b.grad.numpy(), gb)


def test_maximum_ties_split_with_broadcasting():
    a = _t(np.array([[1.0, 3.0], [1.0, 0.0]]), requires_grad=True)
    b = _t(np.array([1.0]), requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[0.5, 1.0], [0.5, 0.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5 + 0.5 + 1.0])


def test_maximum_with_python_scalar_and_float32():
    x = gradcli.tensor([-1.0, 2.0], requires_grad=True)
    y = gradcli.maximum(x, 0.0)
    assert y.dtype == gradcli.float32 and y.tolist() == [0.0, 2.0]
    _float32_grads(lambda a, b: gradcli.maximum(a, b), [1.0, 2.0], [2.0, 1.0])
    _float32_grads(lambda a, b: a.minimum(b), [1.0, 2.0], [2.0, 1.0])


def test_max_min_of_two_tensors_is_maximum_minimum():
    a, b = _t([1.0, 5.0]), _t([3.0, 2.0])
    assert gradcli.max(a, b).tolist() == [3.0, 5.0]
    assert gradcli.min(a, b).tolist() == [1.0, 2.0]


@FAST
@given(shape=one_shape, seed=seeds)
def test_clamp_values_and_gradients(shape, seed):
    x = _normal(seed, shape)
    x = np.where(np.abs(np.abs(x) - 0.5) < 1e-3, 0.0, x)  # keep finite differences off the kinks
    np.testing.assert_allclose(_t(x).clamp(-0.5, 0.5).numpy(), np.clip(x, -0.5, 0.5))
    np.testing.assert_allclose(gradcli.clamp(_t(x), min=-0.5).numpy(), np.maximum(x, -0.5))
    np.testing.assert_allclose(_t(x).clamp(max=0.5).numpy(), np.minimum(x, 0.5))
    np.testing.assert_allclose(_t(x).clip(-0.5, 0.5).numpy(), np.clip(x, -0.5, 0.5))
    gradcheck(lambda t: t.clamp(-0.5, 0.5), x)
    gradcheck(lambda t: gradcli.clamp(t, min=-0.5), x)
    gradcheck(lambda t: t.clamp(max=0.5), x)


def test_clamp_gradient_passes_at_the_boundaries():
    x = _t([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    x.grad = None
    x.clamp(min=0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 1.0])
    x.grad = None
    x.clamp(max=1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0, 1.0, 0.0])


def test_clamp_float32_and_needs_a_bound():
    _float32_grads(lambda t: t.clamp(-0.5, 0.5), _normal(0, (4,)))
    with pytest.raises(ValueError, match="clamp"):
        gradcli.tensor([1.0]).clamp()


@FAST
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=seeds)
def test_where_values_and_gradients_broadcast(shapes, seed):
    sc, sa, sb = shapes.input_shapes
    cond = np.random.default_rng(seed).random(sc) > 0.5
    a, b = _normal(seed, sa), _normal(seed + 1, sb)
    c = gradcli.tensor(cond)
    np.testing.assert_array_equal(gradcli.where(c, _t(a), _t(b)).numpy(), np.where(cond, a, b))
    gradcheck(lambda x, y: gradcli.where(c, x, y), a, b)


def test_where_gradient_routes_by_condition_and_accepts_scalars():
    x = gradcli.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = gradcli.where(x > 0, x, 0.0)
    assert y.tolist() == [1.0, 0.0, 3.0] and y.dtype == gradcli.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])
    assert gradcli.where(x > 0, 1.0, x).tolist() == [1.0, -2.0, 1.0]
    both = gradcli.where(gradcli.tensor([True, False]), 1.0, 0.0)
    assert both.tolist() == [1.0, 0.0] and both.dtype == gradcli.float32
    _float32_grads(lambda a, b: gradcli.where(a > 0, a, b), [1.0, -1.0], [2.0, 2.0])


# ---- comparisons ---------------------------------------------------------------------------------

COMPARE = [
    ("==", lambda a, b: a == b, np.equal),
    ("!=", lambda a, b: a != b, np.not_equal),
    ("<", lambda a, b: a < b, np.less),
    ("<=", lambda a, b: a <= b, np.less_equal),
    (">", lambda a, b: a > b, np.greater),
    (">=", lambda a, b: a >= b, np.greater_equal),
]


@pytest.mark.parametrize("name,op,ref", COMPARE, ids=[c[0] for c in COMPARE])
def test_comparisons_are_bool_tensors_without_grad(name, op, ref):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    x = _t(a, requires_grad=True)
    for other, other_np in ((_t(b), b), (2.0, 2.0), (2, 2)):
        out = op(x, other)
        assert out.dtype == gradcli.bool and out.grad_fn is None and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), ref(a, other_np))
    reflected = op(2.0, x)  # Python scalar on the left: the mirrored comparison
    np.testing.assert_array_equal(reflected.numpy(), ref(2.0, a))
    assert reflected.grad_fn is None


def test_comparisons_with_int_and_bool_tensors():
    i = gradcli.tensor([1, 2, 3])
    np.testing.assert_array_equal((i < 1.5).numpy(), [True, False, False])
    np.testing.assert_array_equal((i == gradcli.tensor([1.0, 0.0, 3.0])).numpy(), [1, 0, 1])


# ---- grad_fn names -------------------------------------------------------------------------------


def test_grad_fn_names():
    x = gradcli.tensor([1.0, 2.0], requires_grad=True)
    y = gradcli.tensor([3.0, 4.0], requires_grad=True)
    assert (x + y).grad_fn.name() == "AddBackward0"
    assert (x - y).grad_fn.name() == "SubBackward0"
    assert (x * y).grad_fn.name() == "MulBackward0"
    assert (x / y).grad_fn.name() == "DivBackward0"
    assert (x**2).grad_fn.name() == "PowBackward0"
    assert (x**2.5).grad_fn.name() == "PowBackward0"
    assert (x**y).grad_fn.name() == "PowBackward1"
    assert x.exp().grad_fn.name() == "ExpBackward0"
    assert x.log().grad_fn.name() == "LogBackward0"
    assert (x + 1).grad_fn.name() == "AddBackward0"
    assert (-x).grad_fn.name() == "NegBackward0"
    assert x.abs().grad_fn.name() == "AbsBackward0"
    assert x.sqrt().grad_fn.name() == "SqrtBackward0"
    assert x.sin().grad_fn.name() == "SinBackward0"
    assert x.cos().grad_fn.name() == "CosBackward0"
    assert x.clamp(0, 1).grad_fn.name() == "ClampBackward1"
    assert gradcli.maximum(x, y).grad_fn.name() == "MaximumBackward0"
    assert gradcli.where(x > 1, x, y).grad_fn.name() == "WhereBackward0"


# ---- dtype rules ---------------------------------------------------------------------------------


def test_python_scalar_takes_the_tensor_dtype():
    x32 = gradcli.tensor([1.0, 2.0])
    x64 = gradcli.tensor([1.0, 2.0], dtype=gradcli.float64)
    i64 = gradcli.tensor([1, 2])
    assert x32.dtype == gradcli.float32 and i64.dtype == gradcli.int64
    for y in (x32 * 0.5, x32 + 1, 0.5 * x32, x32 / 3, 3 / x32, x32**2.0, 2.0**x32, x32 - 1e-3):
        assert y.dtype == gradcli.float32
    for y in (x64 * 0.5, x64 / 3, x64**2.0, 1 - x64):
        assert y.dtype == gradcli.float64
    assert (i64 + 1).dtype == gradcli.int64 and (i64 * 2).tolist() == [2, 4]
    assert (i64 * 0.5).dtype == gradcli.float32  # an int tensor and a Python float: float32
    assert (i64 * 0.5).tolist() == [0.5, 1.0]


def test_integer_true_division_gives_float32():
    i = gradcli.tensor([1, 2, 3])
    for y in (i / 2, i / i, 3 / i):
        assert y.dtype == gradcli.float32
    np.testing.assert_allclose((i / 2).numpy(), [0.5, 1.0, 1.5])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos"])
def test_float_valued_ops_on_int_and_bool_tensors_give_float32(name):
    for t in (gradcli.tensor([1, 2, 3]), gradcli.tensor([True, True])):
        y = getattr(t, name)()
        assert y.dtype == gradcli.float32
        ref = getattr(np, name)(t.numpy().astype(np.float32))
        np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6)


def test_bool_tensor_with_int_scalar_is_int64():
    b = gradcli.tensor([True, False])
    y = b + 2
    assert y.dtype == gradcli.int64 and y.tolist() == [3, 2]
    assert (b * 1.5).dtype == gradcli.float32 and (b * 1.5).tolist() == [1.5, 0.0]


def test_mixed_tensor_dtypes_follow_pytorch_promotion():
    x32 = gradcli.tensor([1.0, 2.0], requires_grad=True)
    assert (x32 * gradcli.tensor([1, 2])).dtype == gradcli.float32  # float beats int
    assert (x32 + gradcli.tensor([1.0, 2.0], dtype=gradcli.float64)).dtype == gradcli.float64
    s64 = gradcli.tensor(2.0, dtype=gradcli.float64, requires_grad=True)
    y = x32 * s64  # a 0-d tensor of the same category does not widen a dimensioned one
    assert y.dtype == gradcli.float32 and y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x32.grad.dtype == gradcli.float32 and s64.grad.dtype == gradcli.float64
    np.testing.assert_allclose(s64.grad.item(), 3.0)
    assert (gradcli.tensor([1, 2]) + gradcli.tensor(0.5, dtype=gradcli.float64)).dtype == (
        gradcli.float64
    )


# ---- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,op", [(n, o) for n, o, _ in BINARY])
def test_broadcast_failure_names_the_op_and_both_shapes(name, op):
    a, b = gradcli.ones(2, 3), gradcli.ones(4)
    with pytest.raises(ShapeError) as info:
        op(a, b)
    msg = str(info.value)
    assert msg.startswith(f"{name}:") and "(2, 3)" in msg and "(4,)" in msg


# PyTorch 2.14.1 (float64): x, y -> x ** y, d/dx, d/dy. At x = 0 the exponent's gradient is
# out * log 0: -inf where y < 0 (it was nan), 0 where y >= 0.
TORCH_POW_AT_ZERO = [
    (0.0, -2.0, math.inf, -math.inf, -math.inf),
    (0.0, -1.5, math.inf, -math.inf, -math.inf),
    (0.0, -1.0, math.inf, -math.inf, -math.inf),
    (0.0, 0.0, 1.0, 0.0, 0.0),
    (0.0, 0.5, 0.0, math.inf, 0.0),
    (0.0, 1.0, 0.0, 1.0, 0.0),
    (0.0, 2.0, 0.0, 0.0, 0.0),
    (-0.0, -1.0, -math.inf, -math.inf, math.inf),
    (-0.0, -2.0, math.inf, math.inf, -math.inf),
    (2.0, -2.0, 0.25, -0.25, 0.17328679513998632),
    (2.0, 0.0, 1.0, 0.0, 0.6931471805599453),
    (-2.0, 2.0, 4.0, -4.0, math.nan),
    (-2.0, -1.0, -0.5, -0.25, math.nan),
]


@pytest.mark.parametrize("x,y,value,gx,gy", TORCH_POW_AT_ZERO)
def test_pow_at_zero_matches_torch(x, y, value, gx, gy):
    a = gradcli.tensor(x, dtype=gradcli.float64, requires_grad=True)
    b = gradcli.tensor(y, dtype=gradcli.float64, requires_grad=True)
    c = gradcli.tensor(y, dtype=gradcli.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # IEEE infinities come silently, as in PyTorch
        out = a**b
        out.backward()
        (x**c).backward()  # a Python-number base: the same gradient
    np.testing.assert_array_equal([out.item(), a.grad.item(), b.grad.item()], [value, gx, gy])
    np.testing.assert_array_equal(c.grad.item(), gy)
