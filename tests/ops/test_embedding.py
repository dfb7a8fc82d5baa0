"""embedding: rows picked by index, gradients adding up over repeated indices, padding_idx,
values recorded from PyTorch 2.14.1, float64 finite differences, errors."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import ShapeError
from gradcli.ops.embedding import embedding

W = [[0.5, -1.0], [2.0, 0.25], [1.5, 3.0], [-2.0, 1.0]]
IDX = [[1, 3, 1], [0, 2, 3]]


def test_values_and_gradient_match_pytorch():
    # recorded: F.embedding(IDX, W, padding_idx=3), then (y * arange(12).reshape(2,3,2)).sum()
    w = gradcli.tensor(W, requires_grad=True)
    y = embedding(gradcli.tensor(IDX), w, padding_idx=3)
    assert y.grad_fn.name() == "EmbeddingBackward0"
    np.testing.assert_array_equal(
        y.detach().numpy(),
        [[[2.0, 0.25], [-2.0, 1.0], [2.0, 0.25]], [[0.5, -1.0], [1.5, 3.0], [-2.0, 1.0]]],
    )
    (y * gradcli.arange(12.0).reshape(2, 3, 2)).sum().backward()
    # row 1 is picked twice (its gradients add up), row 3 is padding (no gradient)
    np.testing.assert_array_equal(w.grad.numpy(), [[6, 7], [4, 6], [8, 9], [0, 0]])


def test_gradients_finite_differences():
    idx = gradcli.tensor([[0, 2, 2], [1, 0, 4]])
    w = np.random.default_rng(0).standard_normal((5, 3))
    gradcheck(lambda w: embedding(idx, w), w)
    gradcheck(lambda w: embedding(gradcli.tensor(3), w), w)  # a 0-d index gives one row


def test_float32_and_int32_indices():
    w = gradcli.randn(6, 4, requires_grad=True)
    y = embedding(gradcli.tensor([1, 5], dtype=gradcli.int32), w)
    y.sum().backward()
    assert y.shape == (2, 4) and y.dtype == w.grad.dtype == gradcli.float32


def test_errors():
    w = gradcli.zeros(4, 2)
    with pytest.raises(ShapeError, match="indices must be an integer tensor .* .long()"):
        embedding(gradcli.tensor([1.0]), w)
    with pytest.raises(IndexError, match="index 4 is out of range for 4 embeddings"):
        embedding(gradcli.tensor([0, 4]), w)
    with pytest.raises(IndexError, match="index -1 is out of range"):
        embedding(gradcli.tensor([-1]), w)
    with pytest.raises(NotImplementedError, match="max_norm"):
        embedding(gradcli.tensor([0]), w, max_norm=1.0)
