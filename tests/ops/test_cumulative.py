"""cumsum and cumprod: values, PyTorch's dtypes, and gradients (cumprod's exact at zeros).

Reference numbers recorded from PyTorch 2.14.1 (CPU).
"""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli


def test_values_and_dtypes_match_torch():
    x = gradcli.arange(6.0).reshape(2, 3)
    assert x.cumsum(axis=1).tolist() == [[0.0, 1.0, 3.0], [3.0, 7.0, 12.0]]
    assert gradcli.cumsum(x, 0).tolist() == [[0.0, 1.0, 2.0], [3.0, 5.0, 7.0]]
    assert x.cumsum(-1).dtype == gradcli.float32
    c = gradcli.tensor([1, 2, 3], dtype=gradcli.int32).cumsum(0)
    assert c.tolist() == [1, 3, 6] and c.dtype == gradcli.int64  # ints accumulate in int64
    b = gradcli.tensor([True, True]).cumsum(0)
    assert b.tolist() == [1, 2] and b.dtype == gradcli.int64
    f = gradcli.tensor([1, 2, 3]).cumsum(0, dtype=gradcli.float32)
    assert f.tolist() == [1.0, 3.0, 6.0] and f.dtype == gradcli.float32
    p = gradcli.tensor([1, 2, 3], dtype=gradcli.uint8).cumprod(0)
    assert p.tolist() == [1, 2, 6] and p.dtype == gradcli.int64
    assert gradcli.cumprod(x, dim=1).tolist() == [[0.0, 0.0, 0.0], [3.0, 12.0, 60.0]]
    z = gradcli.tensor(2.0).cumsum(0)
    assert z.shape == () and z.item() == 2.0
    with pytest.raises(TypeError):
        gradcli.tensor([2.0]).cumsum()  # dim is required, as in PyTorch
    with pytest.raises(IndexError, match="out of range"):
        x.cumsum(2)


@pytest.mark.parametrize(
    "x,w,expected",
    [
        ([2.0, 0.0, 3.0, 0.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 22.0, 0.0, 0.0, 0.0]),
        ([2.0, 3.0, 0.0, 4.0], [1.0, 2.0, 3.0, 4.0], [7.0, 4.0, 114.0, 0.0]),
        ([0.0, 0.0, 5.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0]),
        ([2.0, 3.0, 4.0], [1.0, 1.0, 1.0], [16.0, 10.0, 6.0]),
    ],
)
def test_cumprod_gradient_with_zeros_matches_torch(x, w, expected):
    t = gradcli.tensor(x, dtype=gradcli.float64, requires_grad=True)
    (t.cumprod(0) * gradcli.tensor(w, dtype=gradcli.float64)).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-12)


def _with_zeros(seed, shape):
    a = np.random.default_rng(seed).standard_normal(shape)
    a[a > 0.8] = 0.0  # zeros scattered through several slices, some with two or more
    return a


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gradcheck(dim):
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    gradcheck(lambda t: t.cumsum(dim), a)
    gradcheck(lambda t: gradcli.cumprod(t, dim), a)
    z = _with_zeros(1, (3, 4, 5))
    assert (z == 0).sum() > 5
    gradcheck(lambda t: t.cumprod(dim), z)


def test_float32_stays_float32():
    x = gradcli.tensor([[1.0, 0.0, 2.0], [3.0, 4.0, 0.5]], requires_grad=True)
    y = x.cumprod(1) + x.cumsum(1)
    assert y.dtype == gradcli.float32
    y.sum().backward()
    assert x.grad.dtype == gradcli.float32
    assert x.cumsum(0).grad_fn.name() == "CumsumBackward0"
