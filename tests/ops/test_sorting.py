"""sort, argsort, topk: values and int64 indices against PyTorch 2.14.1 (ties, NaN, dtypes),
gradients of the values by float64 finite differences."""

import math

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli

NAN = math.nan
S = [3.0, 1.0, 3.0, NAN, 2.0, 1.0]  # ties and a NaN (PyTorch sorts NaN as the largest)


def _same(t, expected):
    np.testing.assert_array_equal(t.numpy(), np.asarray(expected))


def test_sort_ties_and_nan_match_torch():
    s = gradcli.tensor(S)
    v, i = s.sort()
    _same(v, [1.0, 1.0, 2.0, 3.0, 3.0, NAN])
    _same(i, [1, 5, 4, 0, 2, 3])
    v, i = s.sort(descending=True)
    _same(v, [NAN, 3.0, 3.0, 2.0, 1.0, 1.0])
    _same(i, [3, 0, 2, 4, 1, 5])  # equal values keep their order, descending too
    res = gradcli.sort(s, 0, True, stable=True)
    assert type(res).__name__ == "sort" and res.indices.dtype == gradcli.int64
    _same(res.indices, [3, 0, 2, 4, 1, 5])


def test_argsort_matches_torch():
    s = gradcli.tensor(S)
    _same(s.argsort(descending=True), [3, 0, 2, 4, 1, 5])
    _same(gradcli.argsort(s, stable=True), [1, 5, 4, 0, 2, 3])
    assert s.argsort().dtype == gradcli.int64


def test_topk_matches_torch():
    s = gradcli.tensor(S)
    v, i = s.topk(3)
    _same(v, [NAN, 3.0, 3.0])
    _same(i, [3, 0, 2])
    res = s.topk(3, largest=False)
    assert type(res).__name__ == "topk"
    _same(res.values, [1.0, 1.0, 2.0])
    _same(res.indices, [1, 5, 4])
    r = gradcli.topk(gradcli.ones(3, 2), 1, dim=0, largest=False, sorted=True)
    _same(r.indices, [[0, 0]])
    empty = gradcli.ones(3).topk(0)
    assert empty.values.shape == (0,) and empty.indices.dtype == gradcli.int64
    with pytest.raises(IndexError, match="out of range"):
        s.topk(7)
    with pytest.raises(IndexError, match="out of range"):
        s.topk(-1)


def test_integer_bool_and_0d_inputs():
    v, i = gradcli.tensor([3, 1, 2]).sort()
    assert v.tolist() == [1, 2, 3] and i.tolist() == [1, 2, 0] and v.dtype == gradcli.int64
    v, i = gradcli.tensor([True, False, True]).sort(descending=True)
    assert v.tolist() == [True, True, False] and i.tolist() == [0, 2, 1]
    v, i = gradcli.tensor([3, 1, 2]).topk(2)
    assert v.tolist() == [3, 2] and i.tolist() == [0, 2]
    v, i = gradcli.tensor(2.0).topk(1)
    assert v.shape == () and v.item() == 2.0 and i.shape == () and i.item() == 0
    v, i = gradcli.tensor(2.0).sort()
    assert v.item() == 2.0 and i.item() == 0
    assert gradcli.tensor(2.0).argsort().shape == ()


def test_dims_and_numpy_aliases():
    x = gradcli.arange(6.0).reshape(2, 3)
    v, i = x.topk(2, axis=1)
    _same(v, [[2.0, 1.0], [5.0, 4.0]])
    _same(i, [[2, 1], [2, 1]])
    v, i = x.sort(dim=0, descending=True)
    _same(v, [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]])
    _same(x.argsort(axis=0), [[0, 0, 0], [1, 1, 1]])
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    for d in (0, 1, -1):
        v, i = gradcli.tensor(a).sort(d)
        np.testing.assert_array_equal(v.numpy(), np.sort(a, axis=d))
        np.testing.assert_array_equal(i.numpy(), np.argsort(a, axis=d, kind="stable"))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_topk_gradients(dim):
    a = np.random.default_rng(1).standard_normal((3, 4, 5))
    gradcheck(lambda t: t.sort(dim)[0], a)
    gradcheck(lambda t: t.sort(dim, descending=True).values, a)
    gradcheck(lambda t: t.topk(2, dim).values, a)
    gradcheck(lambda t: gradcli.topk(t, 2, dim, largest=False).values, a)


def test_sort_values_keep_float32_and_name_their_node():
    x = gradcli.tensor([3.0, 1.0, 2.0], requires_grad=True)
    v = x.sort().values
    assert v.dtype == gradcli.float32 and v.grad_fn.name() == "SortBackward0"
    assert x.topk(2).values.grad_fn.name() == "TopkBackward0"
    (v * gradcli.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 2.0] and x.grad.dtype == gradcli.float32
