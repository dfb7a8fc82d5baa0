"""Module-level forms of Tensor methods scripts call as `torch.X(...)`: values recorded from
PyTorch 2.14.1, and each equal to the method it wraps."""

import numpy as np
import pytest

import gradcli

X = gradcli.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])


@pytest.mark.parametrize(
    "name, expected",  # torch.X(X, 2.0)
    [
        ("eq", [[0, 1, 0], [0, 1, 0]]),
        ("ne", [[1, 0, 1], [1, 0, 1]]),
        ("lt", [[1, 0, 0], [0, 0, 1]]),
        ("le", [[1, 1, 0], [0, 1, 1]]),
        ("gt", [[0, 0, 1], [1, 0, 0]]),
        ("ge", [[0, 1, 1], [1, 1, 0]]),
    ],
)
def test_comparisons(name, expected):
    got = getattr(gradcli, name)(X, 2.0)
    assert got.dtype == gradcli.bool
    np.testing.assert_array_equal(got.numpy(), np.array(expected, bool))
    np.testing.assert_array_equal(got.numpy(), getattr(X, name)(2.0).numpy())
    out = gradcli.empty(2, 3, dtype=gradcli.bool)
    assert getattr(gradcli, name)(X, 2.0, out=out) is out


def test_a_number_first_compares_the_other_way():
    # torch.gt(2.0, X) is X < 2
    np.testing.assert_array_equal(gradcli.gt(2.0, X).numpy(), (X < 2.0).numpy())


def test_pow_neg_any_all_t_and_their_gradients():
    x = gradcli.tensor([0.5, -1.5, 2.0], dtype=gradcli.float64, requires_grad=True)
    gradcli.pow(x, 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.detach().numpy() ** 2)
    np.testing.assert_allclose(gradcli.pow(2, x).detach().numpy(), [2**0.5, 2**-1.5, 4.0])
    np.testing.assert_array_equal(gradcli.neg(X).numpy(), -X.numpy())
    assert bool(gradcli.any(X > 2.5)) and not bool(gradcli.all(X > 1.5))
    np.testing.assert_array_equal(gradcli.all(X > 0.5, dim=1).numpy(), [True, True])
    assert gradcli.t(X).shape == (3, 2)


def test_contiguous_copies_only_a_transposed_layout():
    x = gradcli.randn(3, 4, requires_grad=True)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.is_contiguous() and not x.t().is_contiguous()
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0, np.float32))
