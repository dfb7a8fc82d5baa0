"""Matrix products: `@`, matmul, mm, with 1-D operands and broadcast batches."""

import numpy as np
import pytest
from gradcheck import gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli
from gradcli.errors import ShapeError

FAST = settings(max_examples=15, deadline=None)

SHAPES = [
    ((3, 4), (4, 2)),  # matrix @ matrix
    ((4,), (4,)),  # dot
    ((4,), (4, 2)),  # vector @ matrix
    ((3, 4), (4,)),  # matrix @ vector
    ((2, 3, 4), (2, 4, 5)),  # batched
    ((2, 3, 4), (4, 5)),  # batch @ matrix
    ((3, 4), (2, 4, 5)),  # matrix @ batch
    ((2, 1, 3, 4), (5, 4, 2)),  # batch dims broadcast
    ((1, 3, 4), (2, 4, 1)),  # size-1 batch and size-1 output dims
    ((4,), (2, 4, 3)),  # vector @ batch
    ((2, 3, 4), (4,)),  # batch @ vector
    ((1, 1), (1, 1)),
]


def _normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


@pytest.mark.parametrize("sa,sb", SHAPES, ids=str)
def test_matmul_values_and_gradients(sa, sb):
    a, b = _normal(0, sa), _normal(1, sb)
    expected = np.matmul(a, b)
    for out in (_t(a) @ _t(b), gradcli.matmul(_t(a), _t(b)), _t(a).matmul(_t(b))):
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    gradcheck(lambda x, y: x @ y, a, b)


@FAST
@given(
    m=st.integers(1, 4),
    k=st.integers(1, 4),
    n=st.integers(1, 4),
    batch=st.sampled_from([(), (2,), (1, 3), (2, 1)]),
    other=st.sampled_from([(), (1,), (3, 1), (2, 3)]),
    seed=st.integers(0, 2**16),
)
def test_matmul_broadcast_batches(m, k, n, batch, other, seed):
    try:
        np.broadcast_shapes(batch, other)
    except ValueError:
        return
    a, b = _normal(seed, batch + (m, k)), _normal(seed + 1, other + (k, n))
    np.testing.assert_allclose((_t(a) @ _t(b)).numpy(), a @ b, rtol=1e-12, atol=1e-12)
    gradcheck(gradcli.matmul, a, b)


def test_mm_values_gradients_and_name():
    a, b = _normal(0, (3, 4)), _normal(1, (4, 2))
    np.testing.assert_allclose(gradcli.mm(_t(a), _t(b)).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose(_t(a).mm(_t(b)).numpy(), a @ b, rtol=1e-12)
    gradcheck(gradcli.mm, a, b)
    x = _t(a, requires_grad=True)
    assert gradcli.mm(x, _t(b)).grad_fn.name() == "MmBackward0"
    assert (x @ _t(b)).grad_fn.name() == "MmBackward0"


def test_matmul_gradient_values():
    a = _t([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = _t([[5.0], [6.0]], requires_grad=True)
    (a @ b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[5.0, 6.0], [5.0, 6.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [[4.0], [6.0]])


def test_matmul_only_inputs_that_require_grad_get_one():
    a = _t(_normal(0, (2, 3)), requires_grad=True)
    b = _t(_normal(1, (3, 2)))
    (a @ b).sum().backward()
    assert a.grad is not None and b.grad is None
    (b @ a).sum().backward()
    assert b.grad is None


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4,))], ids=str)
def test_matmul_keeps_float32(sa, sb):
    a = gradcli.tensor(_normal(0, sa).astype(np.float32), requires_grad=True)
    b = gradcli.tensor(_normal(1, sb).astype(np.float32), requires_grad=True)
    out = a @ b
    out.sum().backward()
    assert out.dtype == gradcli.float32
    assert a.grad.dtype == gradcli.float32 and b.grad.dtype == gradcli.float32


def test_matmul_keeps_float64():
    out = _t(_normal(0, (2, 3))) @ _t(_normal(1, (3,)))
    assert out.dtype == gradcli.float64


def test_matmul_of_int_and_float32_is_float32():
    w = gradcli.ones(3, 2, requires_grad=True)
    out = gradcli.tensor([[1, 2, 3]]) @ w
    assert out.dtype == gradcli.float32 and out.tolist() == [[6.0, 6.0]]
    out.sum().backward()
    assert w.grad.dtype == gradcli.float32
    assert gradcli.mm(gradcli.tensor([[1, 2]]), gradcli.tensor([[3], [4]])).tolist() == [[11]]


# ---- errors --------------------------------------------------------------------------------------


def test_mm_error_message_names_both_shapes():
    with pytest.raises(ShapeError) as info:
        gradcli.mm(gradcli.ones(64, 1000), gradcli.ones(100, 10))
    assert "mm: shapes (64, 1000) and (100, 10) cannot be multiplied" in str(info.value)
    with pytest.raises(ShapeError, match=r"mm: shapes \(64, 1000\) and \(100, 10\)"):
        gradcli.ones(64, 1000).mm(gradcli.ones(100, 10))


def test_mm_needs_matrices():
    with pytest.raises(ShapeError, match=r"mm: .*\(2, 3, 4\)"):
        gradcli.mm(gradcli.ones(2, 3, 4), gradcli.ones(4, 2))
    with pytest.raises(ShapeError, match="mm"):
        gradcli.mm(gradcli.ones(3), gradcli.ones(3))


@pytest.mark.parametrize(
    "sa,sb", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 5)), ((2, 2, 3), (4, 2))]
)
def test_matmul_inner_size_mismatch_names_op_and_shapes(sa, sb):
    with pytest.raises(ShapeError) as info:
        gradcli.ones(*sa) @ gradcli.ones(*sb)
    msg = str(info.value)
    assert msg.startswith("matmul:") and str(sa) in msg and str(sb) in msg


def test_matmul_batch_mismatch_and_0d_raise_shape_error():
    with pytest.raises(ShapeError) as info:
        gradcli.ones(2, 3, 4) @ gradcli.ones(3, 4, 5)
    msg = str(info.value)
    assert msg.startswith("matmul:") and "(2, 3, 4)" in msg and "(3, 4, 5)" in msg
    with pytest.raises(ShapeError, match="matmul"):
        gradcli.tensor(2.0) @ gradcli.ones(3)
