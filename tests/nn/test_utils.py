"""gradcli.nn.utils: gradient clipping and parameter vectors."""

import math

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
from gradcli.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(gradcli.zeros(*np.shape(g)))
        p.grad = gradcli.tensor(np.asarray(g, dtype=np.float32))
        ps.append(p)
    return ps


def test_clip_grad_norm_scales_and_returns_total_norm():
    ps = _params_with_grads([[3.0, 0.0], [[4.0]]])
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, gradcli.Tensor) and total.dtype == gradcli.float32
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(ps[1].grad.numpy(), [[0.8]], rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_other_norms():
    ps = _params_with_grads([[0.3, -0.4]])
    assert clip_grad_norm_(ps, 1.0).item() == pytest.approx(0.5)
    np.testing.assert_allclose(ps[0].grad.numpy(), [0.3, -0.4], rtol=1e-6)
    ps = _params_with_grads([[1.0, -3.0], [2.0]])
    assert clip_grad_norm_(ps, 10.0, norm_type=math.inf).item() == 3.0
    assert clip_grad_norm_(ps, 10.0, norm_type=1).item() == pytest.approx(6.0)
    # a single tensor, and parameters without gradients, are accepted
    assert clip_grad_norm_(ps[0], 100.0).item() == pytest.approx(math.sqrt(10))
    assert clip_grad_norm_([nn.Parameter(gradcli.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    ps = _params_with_grads([[np.inf, 1.0]])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    ps = _params_with_grads([[-3.0, 0.5, 2.0]])
    clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(ps[0].grad.numpy(), [-1.0, 0.5, 1.0])


def test_importable_as_attribute_and_vectors():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_
    lin = nn.Linear(3, 2)
    v = parameters_to_vector(lin.parameters())
    assert v.shape == (8,)
    vector_to_parameters(gradcli.arange(8, dtype=gradcli.float32), lin.parameters())
    np.testing.assert_array_equal(lin.bias.detach().numpy(), [6.0, 7.0])
    with pytest.raises(ValueError, match="9 elements"):
        vector_to_parameters(gradcli.zeros(9), lin.parameters())
