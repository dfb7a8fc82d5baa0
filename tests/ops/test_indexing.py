"""Indexing (`x[key]`): values against NumPy, float64 finite-difference gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli


def _normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _check(fn, ref, x):
    """fn on a tensor equals ref on the array, and its gradient passes gradcheck."""
    out = fn(gradcli.tensor(x))
    expected = ref(x)
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(out.numpy(), expected)
    gradcheck(fn, x)


BASIC_KEYS = [
    1,
    -1,
    slice(None),
    slice(1, None),
    slice(None, None, 2),
    slice(-2, None, -1),
    (0, 1),
    (1, -1, 0),
    (slice(None), 0),
    (Ellipsis, 1),
    (None, 0),
    (slice(None), None, slice(0, 2)),
    (0, Ellipsis, None),
    Ellipsis,
    None,
]

ADVANCED_KEYS = [
    [0, 2],
    [2, 0, 2],
    (slice(None), [1, 0]),
    ([0, 1], [1, 2]),
    (Ellipsis, [0, 0, 1]),
    (np.array([1, 0]), slice(None), 0),
]


@pytest.mark.parametrize("key", BASIC_KEYS + ADVANCED_KEYS, ids=repr)
def test_index_values_and_gradients(key):
    x = _normal(0, (3, 4, 2))
    _check(lambda t: t[key], lambda a: np.asarray(a[key]), x)


def test_index_with_int_tensors_and_numpy_arrays():
    x = _normal(1, (4, 3))
    idx = gradcli.tensor([3, 0, 3])
    _check(lambda t: t[idx], lambda a: a[[3, 0, 3]], x)
    _check(lambda t: t[np.array([1, 1])], lambda a: a[[1, 1]], x)
    _check(lambda t: t[:, gradcli.tensor([2, 0])], lambda a: a[:, [2, 0]], x)
    _check(lambda t: t[gradcli.tensor(2)], lambda a: a[2], x)


def test_index_with_boolean_masks():
    x = _normal(2, (3, 4))
    mask = x > 0
    _check(lambda t: t[gradcli.tensor(mask)], lambda a: a[mask], x)
    _check(lambda t: t[t > 0], lambda a: a[mask], x)
    rows = np.array([True, False, True])
    _check(lambda t: t[rows], lambda a: a[rows], x)
    _check(lambda t: t[[True, False, True]], lambda a: a[rows], x)
    _check(lambda t: t[:, gradcli.tensor([False, True, True, False])], lambda a: a[:, 1:3], x)


def test_index_gradient_scatter_adds_repeated_indices():
    x = gradcli.ones(3, 2, requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 2], [1, 1], [0, 0]])
    y = gradcli.ones(4, requires_grad=True)
    (y[gradcli.tensor([3, 3, 3, 1])] * gradcli.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0, 4, 0, 6])


def test_index_scalar_result_is_0d_tensor_with_grad():
    x = gradcli.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x[1, 0]
    assert isinstance(y, gradcli.Tensor) and y.shape == () and y.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [1, 0]])


def test_index_keeps_float32():
    for key in (0, slice(1, 3), [0, 0], (Ellipsis, None)):
        x = gradcli.ones(3, 2, requires_grad=True)
        y = x[key]
        y.sum().backward()
        assert y.dtype == gradcli.float32 and x.grad.dtype == gradcli.float32


def test_index_out_of_range_raises():
    with pytest.raises(IndexError):
        gradcli.ones(3)[3]


# ---- masked_fill (values and grad_fn names as PyTorch 2.14.1) ----------------------------------


def test_masked_fill_matches_torch():
    m = gradcli.tensor([True, False, True])
    assert gradcli.ones(2, 3).masked_fill(m, 5).tolist() == [[5, 1, 5], [5, 1, 5]]
    grown = gradcli.ones(3).masked_fill(gradcli.tensor([[True, False, True], [False] * 3]), 5)
    assert grown.tolist() == [[5, 1, 5], [1, 1, 1]]  # the mask broadcasts the input
    i = gradcli.ones(3, dtype=gradcli.int64).masked_fill(m, 2.7)
    assert i.tolist() == [2, 1, 2] and i.dtype == gradcli.int64  # the value takes x's dtype
    assert gradcli.ones(3).masked_fill(m, gradcli.tensor(2.0)).tolist() == [2, 1, 2]
    inf = gradcli.ones(3).masked_fill(m, float("-inf"))
    assert inf.tolist() == [float("-inf"), 1.0, float("-inf")] and inf.dtype == gradcli.float32
    assert gradcli.masked_fill(gradcli.zeros(2), gradcli.tensor([False, True]), 1).tolist() == [
        0,
        1,
    ]


def test_masked_fill_errors():
    with pytest.raises(TypeError, match="boolean masks"):
        gradcli.ones(3).masked_fill(gradcli.tensor([1, 0, 1]), 5)
    with pytest.raises(gradcli.errors.ShapeError, match="0-d tensor"):
        gradcli.ones(3).masked_fill(gradcli.tensor([True] * 3), gradcli.tensor([2.0]))
    with pytest.raises(gradcli.errors.ShapeError, match="cannot grow"):
        gradcli.ones(3).masked_fill_(gradcli.tensor([[True, False, True], [False] * 3]), 5)


def test_masked_fill_gradients_match_torch():
    m = gradcli.tensor([True, False, True])
    v = gradcli.tensor(3.0, requires_grad=True)
    x = gradcli.ones(3, requires_grad=True)
    y = x.masked_fill(m, v)
    assert y.grad_fn.name() == "MaskedFillBackward1"
    assert x.masked_fill(m, 0.0).grad_fn.name() == "MaskedFillBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0] and v.grad.item() == 2.0
    mask = gradcli.tensor(_normal(0, (3, 4)) > 0)
    gradcheck(lambda t: t.masked_fill(mask, -1.5), _normal(1, (3, 4)))
    gradcheck(lambda t, val: t.masked_fill(mask, val), _normal(2, (4,)), np.array(0.5))


def test_masked_fill_in_place():
    x = gradcli.zeros(2, 3)
    out = x.masked_fill_(gradcli.tensor([True, False, False]), 7)
    assert out is x and x.tolist() == [[7, 0, 0], [7, 0, 0]] and x._version == 1
    w = gradcli.ones(3, requires_grad=True)
    h = w * 2
    h.masked_fill_(gradcli.tensor([False, True, False]), 0.0)
    h.sum().backward()
    assert w.grad.tolist() == [2.0, 0.0, 2.0]
