"""Dropout2d / F.dropout2d: whole channels dropped, PyTorch's treatment of 2-D and 3-D inputs."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F


def _kept_scaled_or_zero(out, x, scale, axes):
    """Every slice along `axes` is all zero or all x * scale; returns the kept fraction."""
    zero = (out == 0).all(axis=axes)
    kept = np.isclose(out, x * scale).all(axis=axes)
    assert (zero | kept).all()
    return kept.mean()


def test_batched_maps_are_dropped_whole():
    gradcli.manual_seed(0)
    x = np.random.default_rng(0).uniform(1, 2, (40, 50, 3, 3)).astype(np.float32)
    out = nn.Dropout2d(0.3)(gradcli.tensor(x)).numpy()
    assert _kept_scaled_or_zero(out, x, 1 / 0.7, (2, 3)) == pytest.approx(0.7, abs=0.03)


def test_unbatched_and_2d_inputs_drop_along_dim_0_as_pytorch():
    gradcli.manual_seed(1)
    x = np.random.default_rng(1).uniform(1, 2, (200, 5, 5)).astype(np.float32)
    out = F.dropout2d(gradcli.tensor(x), 0.5).numpy()
    assert _kept_scaled_or_zero(out, x, 2.0, (1, 2)) == pytest.approx(0.5, abs=0.1)
    rows = x[:, :, 0]  # (N, features), as in pytorch/examples' mnist_rnn: whole rows go
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        out = nn.Dropout2d(0.25)(gradcli.tensor(rows)).numpy()
    assert _kept_scaled_or_zero(out, rows, 1 / 0.75, 1) == pytest.approx(0.75, abs=0.1)


def test_eval_p0_and_p1():
    x = gradcli.randn(2, 3, 4, 4)
    drop = nn.Dropout2d(1.0)
    np.testing.assert_array_equal(drop(x).numpy(), 0)
    drop.eval()
    assert drop(x) is x
    assert F.dropout2d(x, 0.0) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
    assert repr(nn.Dropout2d(0.2)) == "Dropout2d(p=0.2, inplace=False)"


def test_gradient_is_the_mask():
    def fn(x):
        gradcli.manual_seed(3)  # the same mask on every call
        return F.dropout2d(x, 0.4)

    gradcheck(fn, np.random.default_rng(2).standard_normal((3, 4, 2, 2)))
