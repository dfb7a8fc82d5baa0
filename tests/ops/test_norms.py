"""Norms: Tensor.norm / gradcli.norm and gradcli.linalg's vector_norm, matrix_norm, norm.

Reference numbers recorded from PyTorch 2.14.1 (CPU, float64 unless noted).
"""

import math

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli

X = [[0.0, 3.0, -4.0], [1.0, -1.0, 1.0]]
# p -> (x.norm(p=p, dim=1), gradient of its sum)
TORCH_NORMS = {
    2: ([5.0, 1.7320508075688772], [[0.0, 0.6, -0.8], [0.5773502691896258, -0.5773502691896258, 0.5773502691896258]]),  # noqa: E501
    1: ([7.0, 3.0], [[0.0, 1.0, -1.0], [1.0, -1.0, 1.0]]),
    0.5: ([13.928203230275509, 9.0], [[0.0, 2.154700538379252, -1.8660254037844386], [3.0, -3.0, 3.0]]),  # noqa: E501
    1.5: ([5.584250376480029, 2.080083823051904], [[0.0, 0.7329564758289748, -0.8463452372482761], [0.6933612743506348, -0.6933612743506348, 0.6933612743506348]]),  # noqa: E501
    3: ([4.497941445275415, 1.4422495703074083], [[0.0, 0.4448513517305356, -0.7908468475209521], [0.4807498567691361, -0.4807498567691361, 0.4807498567691361]]),  # noqa: E501
    math.inf: ([4.0, 1.0], [[0.0, 0.0, -1.0], [1 / 3, -1 / 3, 1 / 3]]),
    -math.inf: ([0.0, 1.0], [[0.0, 0.0, 0.0], [1 / 3, -1 / 3, 1 / 3]]),
    "fro": ([5.0, 1.7320508075688772], [[0.0, 0.6, -0.8], [0.5773502691896258, -0.5773502691896258, 0.5773502691896258]]),  # noqa: E501
}  # fmt: skip


@pytest.mark.parametrize("p", list(TORCH_NORMS), ids=str)
def test_norm_values_and_gradients_match_torch(p):
    x = gradcli.tensor(X, dtype=gradcli.float64, requires_grad=True)
    n = x.norm(p=p, dim=1)
    n.sum().backward()
    values, grads = TORCH_NORMS[p]
    np.testing.assert_allclose(n.detach().numpy(), values, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), grads, rtol=1e-12, atol=1e-15)
    assert n.grad_fn.name() == "LinalgVectorNormBackward0"


def test_norm_zero_counts_non_zeros_without_gradient():
    x = gradcli.tensor(X, dtype=gradcli.float64, requires_grad=True)
    n = x.norm(p=0, dim=1)
    assert n.tolist() == [2.0, 3.0] and n.requires_grad
    n.sum().backward()
    assert x.grad is None  # PyTorch gives no gradient for the count of non-zeros


@pytest.mark.parametrize("p", [2, 1, 0.5, 1.5, 3, math.inf])
def test_gradient_of_a_zero_vector_is_zero(p):
    z = gradcli.zeros(3, dtype=gradcli.float64, requires_grad=True)
    gradcli.linalg.vector_norm(z, p).backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]  # not nan (torch 2.14.1 gives zeros)


def test_inf_norm_shares_the_gradient_among_ties():
    t = gradcli.tensor([1.0, -3.0, 3.0], requires_grad=True)
    gradcli.linalg.vector_norm(t, math.inf).backward()
    assert t.grad.tolist() == [0.0, -0.5, 0.5]


def test_norm_defaults_dims_and_dtypes():
    ones = gradcli.ones(2, 3)
    np.testing.assert_allclose(gradcli.norm(ones).item(), math.sqrt(6), rtol=1e-6)
    np.testing.assert_allclose(gradcli.norm(ones, dim=(0, 1)).item(), math.sqrt(6), rtol=1e-6)
    k = ones.norm(p=1, dim=(0, 1), keepdim=True)
    assert k.shape == (1, 1) and k.item() == 6.0
    assert ones.norm().dtype == gradcli.float32
    assert ones.half().norm().dtype == gradcli.float16
    assert gradcli.tensor([3.0, 4.0]).norm(dtype=gradcli.float64).dtype == gradcli.float64
    assert gradcli.tensor([3.0, 4.0]).norm(dtype=gradcli.float64).item() == 5.0
    assert ones.norm(keepdim=True).shape == (1, 1)
    with pytest.raises(TypeError, match="floating point"):
        gradcli.tensor([3, 4]).norm()
    with pytest.raises(ValueError, match="not supported"):
        ones.norm(p="abc")
    with pytest.raises(TypeError):
        ones.norm(axis=1)  # as in PyTorch: Tensor.norm has no numpy aliases


A = [[1.0, -2.0], [3.0, 4.0]]
TORCH_MATRIX = {None: 5.4772257804870605, "fro": 5.4772257804870605, 1: 6.0, -1: 4.0,
                math.inf: 7.0, -math.inf: 3.0}  # fmt: skip


@pytest.mark.parametrize("ord", list(TORCH_MATRIX), ids=str)
def test_linalg_norm_of_a_matrix_matches_torch(ord):
    got = gradcli.linalg.norm(gradcli.tensor(A), ord)
    np.testing.assert_allclose(got.item(), TORCH_MATRIX[ord], rtol=1e-6)


def test_linalg_norm_dims():
    a = gradcli.tensor(A)
    np.testing.assert_allclose(gradcli.linalg.norm(a, dim=1).numpy(), [5**0.5, 5.0], rtol=1e-6)
    b = gradcli.tensor([[3.0, -4.0], [1.0, 1.0]])
    assert gradcli.linalg.norm(b, 1, dim=(1, 0)).item() == 7.0  # dims swapped: the inf-norm
    assert gradcli.linalg.norm(b, 1, dim=(0, 1)).item() == 5.0
    assert gradcli.linalg.norm(gradcli.tensor([3.0, 4.0]), 1).item() == 7.0
    assert gradcli.linalg.matrix_norm(gradcli.ones(4, 2, 3), 1).shape == (4,)
    assert gradcli.linalg.matrix_norm(gradcli.ones(4, 2, 3), 1, keepdim=True).shape == (4, 1, 1)
    np.testing.assert_allclose(gradcli.linalg.norm(gradcli.ones(2, 2, 2)).item(), 8**0.5)
    with pytest.raises(gradcli.errors.ShapeError, match="1-D or 2-D"):
        gradcli.linalg.norm(gradcli.ones(2, 2, 2), 1)
    with pytest.raises(gradcli.errors.ShapeError, match="1 or 2 entries"):
        gradcli.linalg.norm(a, dim=(0, 1, 1))


# ord -> (linalg.norm(A, ord), its gradient), float64
TORCH_SVD = {
    2: (5.116672736016927, [[-0.12078825843198314, -0.19543950758485482], [0.5116672736016927, 0.8278950396185307]]),  # noqa: E501
    -2: (1.9543950758485484, [[0.8278950396185308, -0.5116672736016928], [0.19543950758485482, -0.12078825843198314]]),  # noqa: E501
    "nuc": (7.0710678118654755, [[0.7071067811865477, -0.7071067811865477], [0.7071067811865476, 0.7071067811865476]]),  # noqa: E501
}  # fmt: skip


@pytest.mark.parametrize("ord", list(TORCH_SVD), ids=str)
def test_singular_value_norms_match_torch(ord):
    a = gradcli.tensor(A, dtype=gradcli.float64, requires_grad=True)
    n = gradcli.linalg.norm(a, ord)
    n.backward()
    value, grad = TORCH_SVD[ord]
    np.testing.assert_allclose(n.item(), value, rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), grad, rtol=1e-10)
    assert gradcli.norm(gradcli.tensor(A), p="nuc").dtype == gradcli.float32
    kept = gradcli.linalg.matrix_norm(gradcli.ones(3, 2, 4), ord, dim=(2, 0), keepdim=True)
    assert kept.shape == (1, 2, 1)


def test_vector_norm_of_empty_tensors():
    assert gradcli.linalg.vector_norm(gradcli.ones(0)).item() == 0.0
    with pytest.raises(ValueError, match="empty"):
        gradcli.linalg.vector_norm(gradcli.ones(0), math.inf)


def _offset(seed, shape):
    # magnitudes in [0.5, 2]: away from 0, and random so that no max or min (or sum) ties
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 1.5, math.inf, -math.inf])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_vector_norm_gradcheck(p, dim, keepdim):
    gradcheck(lambda t: gradcli.linalg.vector_norm(t, p, dim, keepdim), _offset(0, (2, 3, 4)))


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf, 2, -2, "nuc"])
def test_matrix_norm_gradcheck(ord):
    gradcheck(lambda t: gradcli.linalg.matrix_norm(t, ord), _offset(1, (2, 3, 4)))
    gradcheck(lambda t: gradcli.linalg.norm(t, ord, dim=(2, 0)), _offset(2, (3, 2, 4)))


def test_tensor_norm_gradcheck_and_float32():
    gradcheck(lambda t: t.norm(), _offset(3, (3, 4)))
    gradcheck(lambda t: gradcli.norm(t, 3, 0, True), _offset(4, (3, 4)))
    x = gradcli.tensor(_offset(5, (3, 4)).astype(np.float32), requires_grad=True)
    x.norm(p=1.5, dim=0).sum().backward()
    assert x.grad.dtype == gradcli.float32
