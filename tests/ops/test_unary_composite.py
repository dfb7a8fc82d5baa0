"""The elementwise ops of ops/unary.py and the compositions of ops/composite.py: values
recorded from PyTorch 2.14.1 (float64) and float64 finite-difference gradients."""

import math

import numpy as np
import pytest

import gradcli
from tests.gradcheck import gradcheck

X = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]
RNG = np.random.default_rng(0)
POS = RNG.uniform(0.5, 2.0, (3, 4))
ANY = RNG.standard_normal((3, 4))


def x64():
    return gradcli.tensor(X, dtype=gradcli.float64)


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: gradcli.amax(x, 1), [3.0, 4.0]),
        (lambda x: gradcli.amin(x), -2.0),
        (lambda x: gradcli.logsumexp(x, 1), [3.1328452337275756, 4.036269565124779]),
        (lambda x: gradcli.prod(x, 1), [-6.0, -2.0]),
        (lambda x: gradcli.prod(x), 12.0),
        (lambda x: gradcli.flip(x, [0]), [[0.5, 4.0, -1.0], [1.0, -2.0, 3.0]]),
        (lambda x: gradcli.index_select(x, 1, gradcli.tensor([2, 0])), [[3.0, 1.0], [-1.0, 0.5]]),
        (lambda x: gradcli.narrow(x, 1, 1, 2), [[-2.0, 3.0], [4.0, -1.0]]),
        (lambda x: gradcli.trace(x), 5.0),
        (lambda x: gradcli.masked_select(x, x > 0), [1.0, 3.0, 0.5, 4.0]),
        (lambda x: gradcli.nonzero(x > 0), [[0, 0], [0, 2], [1, 0], [1, 1]]),
        (
            gradcli.erf,
            [
                [0.8427007929497149, -0.9953222650189527, 0.9999779095030014],
                [0.5204998778130465, 0.9999999845827421, -0.8427007929497149],
            ],
        ),
        (
            lambda x: gradcli.atan2(x, gradcli.ones(3, dtype=gradcli.float64)),
            [
                [0.7853981633974483, -1.1071487177940904, 1.2490457723982544],
                [0.4636476090008061, 1.3258176636680326, -0.7853981633974483],
            ],
        ),
        (gradcli.sign, [[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]),
        (
            lambda x: gradcli.rsqrt(x.abs()),
            [[1.0, 0.7071067811865475, 0.5773502691896258], [1.414213562373095, 0.5, 1.0]],
        ),
        (
            lambda x: gradcli.lerp(x, gradcli.zeros_like(x), 0.25),
            [[0.75, -1.5, 2.25], [0.375, 3.0, -0.75]],
        ),
    ],
)
def test_values_recorded_from_pytorch(fn, expected):
    np.testing.assert_allclose(fn(x64()).numpy(), np.array(expected), rtol=1e-12, atol=1e-15)


def test_round_is_half_to_even_and_rounding_has_zero_gradient():
    r = gradcli.round(gradcli.tensor([0.5, 1.5, 2.5, -0.5]))
    assert r.tolist() == [0.0, 2.0, 2.0, -0.0]
    x = x64().requires_grad_()
    (gradcli.floor(x) + gradcli.ceil(x) + gradcli.trunc(x) + x.round() + x.sign()).sum().backward()
    assert not x.grad.numpy().any()


def test_log1p_and_expm1_are_exact_near_zero():
    tiny = gradcli.tensor([1e-10], dtype=gradcli.float64)
    assert gradcli.log1p(tiny).item() == pytest.approx(1e-10, rel=1e-12)
    assert gradcli.expm1(tiny).item() == pytest.approx(1e-10, rel=1e-12)


@pytest.mark.parametrize(
    "fn, args",
    [
        (gradcli.log1p, (POS,)),
        (gradcli.expm1, (ANY,)),
        (gradcli.square, (ANY,)),
        (gradcli.reciprocal, (POS,)),
        (gradcli.rsqrt, (POS,)),
        (gradcli.erf, (ANY,)),
        (gradcli.atan2, (ANY, POS)),
        (lambda x: gradcli.amax(x, (0, 1)), (ANY,)),
        (lambda x: gradcli.amin(x, 1, keepdim=True), (ANY,)),
        (lambda x: gradcli.logsumexp(x, 1), (ANY,)),
        (lambda x: gradcli.prod(x, 0), (ANY,)),
        (lambda x: gradcli.flip(x, (0, 1)), (ANY,)),
        (lambda x: gradcli.index_select(x, 1, gradcli.tensor([3, 0, 3])), (ANY,)),
        (lambda x: gradcli.narrow(x, 0, 1, 2), (ANY,)),
        (
            lambda a, b: gradcli.bmm(a, b),
            (RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 2))),
        ),
        (gradcli.outer, (ANY[0], ANY[1])),
        (gradcli.dot, (ANY[0], ANY[1])),
        (lambda a, b: gradcli.lerp(a, b, 0.3), (ANY, POS)),
        (lambda x: gradcli.trace(x), (ANY,)),
        (lambda x: gradcli.masked_select(x, gradcli.tensor(ANY > 0)), (ANY,)),
    ],
)
def test_gradients_match_finite_differences(fn, args):
    gradcheck(fn, *args)


def test_prod_gradient_with_a_zero_is_exact():
    x = gradcli.tensor([2.0, 0.0, 3.0], dtype=gradcli.float64, requires_grad=True)
    gradcli.prod(x).backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]


def test_predicates_and_logical_ops_give_bools():
    x = gradcli.tensor([1.0, math.nan, math.inf, -math.inf])
    assert gradcli.isnan(x).tolist() == [False, True, False, False]
    assert gradcli.isinf(x).tolist() == [False, False, True, True]
    assert gradcli.isfinite(x).tolist() == [True, False, False, False]
    a, b = gradcli.tensor([True, True, False]), gradcli.tensor([True, False, False])
    assert gradcli.logical_and(a, b).tolist() == [True, False, False]
    assert gradcli.logical_or(a, b).tolist() == [True, True, False]
    assert gradcli.logical_xor(a, b).tolist() == [False, True, False]
    assert gradcli.logical_not(a).tolist() == [False, False, True]


def test_meshgrid_broadcast_and_errors():
    i, j = gradcli.meshgrid(gradcli.tensor([1, 2]), gradcli.tensor([3, 4, 5]), indexing="xy")
    assert i.tolist() == [[1, 2], [1, 2], [1, 2]] and j.tolist() == [[3, 3], [4, 4], [5, 5]]
    a, b = gradcli.broadcast_tensors(gradcli.ones(2, 1), gradcli.zeros(3))
    assert a.shape == b.shape == (2, 3)
    with pytest.raises(gradcli.errors.ShapeError, match="bmm: expected two 3-D tensors"):
        gradcli.bmm(gradcli.ones(2, 2), gradcli.ones(2, 2))


def test_methods_match_the_functions():
    x = x64()
    assert x.logsumexp(1).tolist() == gradcli.logsumexp(x, 1).tolist()
    assert x.amax(0).tolist() == [1.0, 4.0, 3.0]
    assert x.square().tolist() == (x * x).tolist()
    assert gradcli.square(x).grad_fn is None and x.float().dtype == gradcli.float32
