"""gradcli.nn.functional: the exported names, one_hot, flatten and argument handling."""

import numpy as np
import pytest

import gradcli
import gradcli.nn.functional as F

from ._ref import t


def test_every_exported_name_exists():
    expected = {
        "linear", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "relu",
        "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
        "batch_norm", "flatten", "pad", "one_hot", "mse_loss", "l1_loss", "smooth_l1_loss",
        "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    }  # fmt: skip
    assert expected <= set(F.__all__)
    assert all(callable(getattr(F, name)) for name in F.__all__)


def test_one_hot():
    out = F.one_hot(t([0, 2, 1]))
    assert out.dtype == gradcli.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    out = F.one_hot(t([[1], [3]]), num_classes=5)
    assert out.shape == (2, 1, 5) and out.numpy()[1, 0, 3] == 1
    with pytest.raises(ValueError, match="class value 3 is out of range for num_classes=3"):
        F.one_hot(t([0, 3]), num_classes=3)
    with pytest.raises(ValueError, match="out of range"):
        F.one_hot(t([-1, 0]))
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(t([0.0, 1.0]))


def test_sigmoid_tanh_flatten_and_softmax_defaults():
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    np.testing.assert_allclose(F.sigmoid(t(x)).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(t(x)).numpy(), np.tanh(x), rtol=1e-6)
    assert F.flatten(t(x)).shape == (12,)
    assert F.flatten(t(x), 1).shape == (3, 4)
    soft = F.softmax(t(x)).numpy()  # 2-D: dim 1, PyTorch's legacy default
    np.testing.assert_allclose(soft.sum(1), np.ones(3), rtol=1e-6)
    np.testing.assert_allclose(F.softmax(t(x[0])).numpy().sum(), 1.0, rtol=1e-6)


def test_batch_norm_eval_needs_running_stats():
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(gradcli.randn(4, 3), None, None, training=False)
    with pytest.raises(gradcli.errors.ShapeError, match=r"unsqueeze\(0\)"):
        F.batch_norm(gradcli.randn(3), None, None, training=True)
