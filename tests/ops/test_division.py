"""Rounded division, fmod, remainder (%), copysign and isclose.

Reference numbers recorded from PyTorch 2.14.1 (CPU).
"""

import math

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli

A = [7.0, -7.0, 7.0, -7.0, 5.5, -0.0]
B = [2.0, 2.0, -2.0, -2.0, 0.0, 3.0]


def _eq(t, expected):
    np.testing.assert_array_equal(t.numpy(), np.asarray(expected))


def test_float_rounding_modes_match_torch():
    a, b = gradcli.tensor(A), gradcli.tensor(B)
    _eq(a.div(b, rounding_mode="trunc"), [3.0, -3.0, -3.0, 3.0, math.inf, -0.0])
    _eq(gradcli.div(a, b, rounding_mode="floor"), [3.0, -4.0, -4.0, 3.0, math.inf, -0.0])
    _eq(a // b, [3.0, -4.0, -4.0, 3.0, math.inf, -0.0])
    _eq(a.fmod(b), [1.0, -1.0, 1.0, -1.0, math.nan, -0.0])
    _eq(a.remainder(b), [1.0, 1.0, -1.0, -1.0, math.nan, -0.0])
    _eq(a % b, [1.0, 1.0, -1.0, -1.0, math.nan, -0.0])
    _eq(7 % gradcli.tensor([2.0, -2.0]), [1.0, -1.0])
    with np.errstate(divide="ignore"):
        _eq(a.div(b), np.array(A) / np.array(B))
    assert (a // b).dtype == gradcli.float32 and (a % b).dtype == gradcli.float32


def test_integer_rounding_modes_match_torch():
    a, b = gradcli.tensor([7, -7, 7, -7]), gradcli.tensor([2, 2, -2, -2])
    for got, want in [
        (a.div(b, rounding_mode="trunc"), [3, -3, -3, 3]),
        (a.div(b, rounding_mode="floor"), [3, -4, -4, 3]),
        (a.fmod(b), [1, -1, 1, -1]),
        (a.remainder(b), [1, 1, -1, -1]),
        (7 // gradcli.tensor([2, -2]), [3, -4]),
        (gradcli.tensor([5, -5]) % 3, [2, 1]),
    ]:
        assert got.tolist() == want and got.dtype == gradcli.int64
    assert a.div(2).tolist() == [3.5, -3.5, 3.5, -3.5] and a.div(2).dtype == gradcli.float32
    assert a.fmod(2.5).tolist() == [2.0, -2.0, 2.0, -2.0] and a.fmod(2.5).dtype == gradcli.float32
    big = gradcli.tensor([2**62 + 1, -(2**62) - 1])  # exact, not through float64
    assert big.div(2, rounding_mode="trunc").tolist() == [2**61, -(2**61)]


def test_integer_division_by_zero_and_bad_mode_are_errors():
    a = gradcli.tensor([7, -7])
    for call in (
        lambda: a // gradcli.tensor(0),
        lambda: a.fmod(0),
        lambda: a.remainder(0),
        lambda: a.div(0, rounding_mode="trunc"),
    ):
        with pytest.raises(ZeroDivisionError, match="division by zero"):
            call()
    with pytest.raises(ValueError, match="rounding_mode"):
        a.div(2, rounding_mode="round")


def test_gradients_match_torch():
    a = gradcli.tensor([7.0, -7.0], requires_grad=True)
    b = gradcli.tensor([2.0, 2.0], requires_grad=True)
    a.div(b, rounding_mode="floor").sum().backward()
    assert a.grad.tolist() == [0.0, 0.0] and b.grad.tolist() == [0.0, 0.0]
    a.grad = b.grad = None
    (a % b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [-3.0, 4.0]
    a.grad = b.grad = None
    a.fmod(b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [-3.0, 3.0]


def _away_from_jumps(seed, shape):
    # |a / b| stays clear of whole numbers, where fmod and remainder jump
    rng = np.random.default_rng(seed)
    b = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    q = rng.integers(-4, 5, shape) + rng.uniform(0.2, 0.8, shape)
    return q * b, b


@pytest.mark.parametrize("op", ["fmod", "remainder", "trunc", "floor"])
def test_gradcheck(op):
    a, b = _away_from_jumps(0, (3, 4))
    fns = {
        "fmod": lambda x, y: gradcli.fmod(x, y),
        "remainder": lambda x, y: x % y,
        "trunc": lambda x, y: x.div(y, rounding_mode="trunc"),
        "floor": lambda x, y: x // y,
    }
    gradcheck(fns[op], a, b)
    gradcheck(fns[op], a, b[0])  # broadcasting: the gradient is summed back to b's shape


def test_copysign_matches_torch():
    a = gradcli.tensor([1.0, -2.0, 0.0, 3.0])
    got = a.copysign(gradcli.tensor([-1.0, 1.0, -0.0, math.nan]))
    _eq(got, [-1.0, 2.0, -0.0, 3.0])
    assert np.signbit(got.numpy()[2])
    i = gradcli.tensor([1, -2]).copysign(-1)
    assert i.tolist() == [-1.0, -2.0] and i.dtype == gradcli.float32
    x = gradcli.tensor([1.0, -2.0, 0.0], requires_grad=True)
    y = gradcli.tensor([-1.0, -1.0, -1.0], requires_grad=True)
    gradcli.copysign(x, y).sum().backward()
    assert x.grad.tolist() == [-1.0, 1.0, 0.0] and y.grad.tolist() == [0.0, 0.0, 0.0]


def test_copysign_gradcheck():
    rng = np.random.default_rng(3)
    gradcheck(lambda x, y: x.copysign(y), rng.standard_normal((3, 4)), rng.standard_normal(4))


def test_isclose_matches_torch():
    a = gradcli.tensor([1.0, math.nan, math.inf, 1.0])
    b = gradcli.tensor([1.0 + 1e-6, math.nan, math.inf, 1.1])
    assert gradcli.isclose(a, b).tolist() == [True, False, True, False]
    nan = gradcli.tensor([math.nan])
    assert nan.isclose(nan, equal_nan=True).tolist() == [True]
    assert gradcli.isclose(gradcli.tensor([1, 2]), gradcli.tensor([1, 3])).tolist() == [True, False]
    close = gradcli.isclose(gradcli.tensor([1.0]), gradcli.tensor([1.05]), rtol=0.1, atol=0.0)
    assert close.tolist() == [True] and close.dtype == gradcli.bool
    assert gradcli.isclose(gradcli.ones(2, 1), gradcli.ones(3)).shape == (2, 3)
    with pytest.raises(TypeError, match="dtypes differ"):
        gradcli.isclose(gradcli.tensor([1]), gradcli.tensor([1.0]))
    with pytest.raises(TypeError, match="must be a Tensor"):
        gradcli.tensor([1.0]).isclose(1.0)
