"""multinomial: PyTorch's signature, dtypes and errors (2.14.1); draws from gradcli's generator,
reproducible with manual_seed (not PyTorch's draws), with the right frequencies."""

import numpy as np
import pytest

import gradcli
from gradcli.errors import ShapeError

P = [0.1, 0.0, 0.6, 0.3]


def test_shapes_dtypes_and_reproducibility():
    p = gradcli.tensor(P)
    gradcli.manual_seed(0)
    a = gradcli.multinomial(p, 2)
    assert a.dtype == gradcli.int64 and a.shape == (2,)
    assert p.multinomial(10, True).shape == (10,)
    assert gradcli.multinomial(gradcli.ones(3, 4), 2).shape == (3, 2)
    gradcli.manual_seed(0)
    assert gradcli.multinomial(p, 2).tolist() == a.tolist()
    gen = np.random.default_rng(5)
    one = gradcli.multinomial(gradcli.ones(3, 50), 5, generator=gen)
    two = gradcli.multinomial(gradcli.ones(3, 50), 5, generator=np.random.default_rng(5))
    assert one.tolist() == two.tolist()


def test_without_replacement_draws_distinct_categories_zero_weights_last():
    gradcli.manual_seed(1)
    draws = gradcli.multinomial(gradcli.tensor([P] * 200), 4).numpy()
    assert all(sorted(row) == [0, 1, 2, 3] for row in draws)  # as torch: zeros fill up last
    assert (draws[:, 3] == 1).all()
    three = gradcli.multinomial(gradcli.tensor([P] * 200), 3).numpy()
    assert not (three == 1).any()


def test_frequencies_with_replacement():
    gradcli.manual_seed(2)
    draws = gradcli.multinomial(gradcli.tensor(P), 20000, replacement=True).numpy()
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, P, atol=0.01)  # about 3 standard errors
    rows = gradcli.multinomial(gradcli.tensor([[1.0, 0.0], [0.0, 2.0]]), 5, True).tolist()
    assert rows == [[0] * 5, [1] * 5]


def test_sequential_frequencies_without_replacement():
    # P(first = i, second = j) = p_i * p_j / (1 - p_i): drawing one after another
    p = np.array([0.5, 0.3, 0.2])
    gradcli.manual_seed(3)
    draws = gradcli.multinomial(gradcli.tensor([p.tolist()] * 20000), 2).numpy()
    for i in range(3):
        for j in range(3):
            if i != j:
                want = p[i] * p[j] / (1 - p[i])
                got = np.mean((draws[:, 0] == i) & (draws[:, 1] == j))
                assert abs(got - want) < 0.012, (i, j, got, want)


@pytest.mark.parametrize(
    "weights,n,kind,match",
    [
        ([-1.0, 2.0], 1, ValueError, "inf, nan or a negative"),
        ([float("nan"), 1.0], 1, ValueError, "inf, nan or a negative"),
        ([float("inf"), 1.0], 1, ValueError, "inf, nan or a negative"),
        ([0.0, 0.0], 1, ValueError, "sums to 0"),
        ([1, 2], 1, TypeError, "floating-point"),
        (1.0, 1, ShapeError, "1-D or 2-D"),
        ([0.5, 0.5], 0, ValueError, "positive"),
        ([0.5, 0.5], 3, ValueError, "without replacement"),
    ],
)
def test_errors(weights, n, kind, match):
    with pytest.raises(kind, match=match):
        gradcli.multinomial(gradcli.tensor(weights), n)
