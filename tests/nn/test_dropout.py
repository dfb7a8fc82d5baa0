"""Dropout: inverted scaling, eval identity, reproducible masks, gradients through the mask."""

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F


def test_training_zeroes_and_scales():
    gradcli.manual_seed(0)
    x = gradcli.ones(200, 100)
    out = nn.Dropout(0.25)(x).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01
    assert out.dtype == np.float32


def test_eval_is_identity_and_p_zero_one():
    x = gradcli.randn(3, 4)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((3, 4)))


def test_manual_seed_makes_masks_reproducible():
    x = gradcli.ones(10, 10)
    gradcli.manual_seed(123)
    a = F.dropout(x, 0.5).numpy()
    gradcli.manual_seed(123)
    b = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.dropout(x, 0.5).numpy())


def test_gradient_is_the_mask():
    gradcli.manual_seed(1)
    x = gradcli.randn(6, 7, requires_grad=True, dtype=gradcli.float64)
    out = F.dropout(x, 0.3)
    assert out.grad_fn.name() == "NativeDropoutBackward0"
    out.sum().backward()
    mask = out.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask)
    assert set(np.round(np.unique(mask), 6)) <= {0.0, round(1 / 0.7, 6)}


def test_inplace_and_validation():
    gradcli.manual_seed(2)
    h = gradcli.ones(4, 4, requires_grad=True) * 1.0
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h and set(np.unique(h.detach().numpy())) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(h, -0.1)
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
