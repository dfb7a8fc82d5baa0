"""split, chunk, unbind (tuples of views) and tril/triu: values and errors as PyTorch 2.14.1,
float64 finite-difference gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import ShapeError


def _sizes(pieces, dim=0):
    return [p.shape[dim] for p in pieces]


def test_split_and_chunk_sizes_match_torch():
    r = gradcli.arange(5)
    assert type(r.split(2)) is tuple
    assert [p.tolist() for p in r.split(2)] == [[0, 1], [2, 3], [4]]
    assert [p.tolist() for p in gradcli.split(r, [2, 3])] == [[0, 1], [2, 3, 4]]
    assert [p.tolist() for p in r.chunk(3)] == [[0, 1], [2, 3], [4]]
    assert _sizes(gradcli.arange(6).chunk(4)) == [2, 2, 2]  # fewer chunks than asked, as torch
    assert _sizes(gradcli.arange(2).chunk(5)) == [1, 1]
    x = gradcli.arange(6.0).reshape(2, 3)
    a, b = x.split(2, dim=1)
    assert a.tolist() == [[0.0, 1.0], [3.0, 4.0]] and b.tolist() == [[2.0], [5.0]]
    assert _sizes(x.split([1, 0, 2], axis=1), 1) == [1, 0, 2]
    assert _sizes(gradcli.chunk(x, 2, -1), 1) == [2, 1]


def test_unbind_matches_torch():
    x = gradcli.arange(6.0).reshape(2, 3)
    cols = x.unbind(1)
    assert [c.tolist() for c in cols] == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert [r.tolist() for r in gradcli.unbind(x)] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert type(cols) is tuple and cols[0].dtype == gradcli.float32


def test_errors():
    r = gradcli.arange(5)
    with pytest.raises(ShapeError, match="sum to 5"):
        r.split([2, 2])
    with pytest.raises(ShapeError, match="must be positive"):
        r.split(0)
    with pytest.raises(ValueError, match="greater than 0"):
        r.chunk(0)
    with pytest.raises(ShapeError, match="0-d"):
        gradcli.tensor(1.0).unbind()
    with pytest.raises(IndexError, match="out of range"):
        r.split(2, dim=1)


def test_pieces_are_views_sharing_the_version_counter():
    x = gradcli.zeros(4, requires_grad=True) * 1
    a, b = x.split(2)
    a.add_(1)
    assert x.tolist() == [1.0, 1.0, 0.0, 0.0] and x._version == 1 == b._version


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: gradcli.cat([p * (i + 1) for i, p in enumerate(t.split(2, 1))], 1),
        lambda t: gradcli.cat([p * (i + 1) for i, p in enumerate(t.split([1, 3, 1], -1))], -1),
        lambda t: gradcli.stack([p * (i + 1) for i, p in enumerate(t.chunk(2))]),
        lambda t: gradcli.stack([p * (i + 1) for i, p in enumerate(t.unbind(1))]),
        lambda t: t.unbind(2)[1],  # an unused piece gets a zero gradient
    ],
)
def test_gradients(fn):
    gradcheck(fn, np.random.default_rng(0).standard_normal((4, 4, 5)))


def test_tril_triu_values_match_torch():
    ones = gradcli.ones(3, 3)
    assert ones.triu(diagonal=1).tolist() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    ti = gradcli.ones(3, 3, dtype=gradcli.int64).triu(-1)
    assert ti.tolist() == [[1, 1, 1], [1, 1, 1], [0, 1, 1]] and ti.dtype == gradcli.int64
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    for k in (-1, 0, 2):
        np.testing.assert_array_equal(gradcli.tril(gradcli.tensor(a), k).numpy(), np.tril(a, k))
        np.testing.assert_array_equal(gradcli.tensor(a).triu(k).numpy(), np.triu(a, k))
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        gradcli.ones(3).tril()
    x = gradcli.ones(2, 2)
    assert x.tril_().tolist() == [[1, 0], [1, 1]] and x._version == 1


@pytest.mark.parametrize("k", [-1, 0, 1])
def test_tril_triu_gradients(k):
    a = np.random.default_rng(2).standard_normal((2, 3, 4))
    gradcheck(lambda t: t.tril(k), a)
    gradcheck(lambda t: gradcli.triu(t, diagonal=k), a)
    x = gradcli.ones(2, 2, requires_grad=True)
    y = x.triu()
    assert y.grad_fn.name() == "TriuBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [0.0, 1.0]] and x.grad.dtype == gradcli.float32
