"""BatchNorm1d/2d: batch statistics, running statistics, eval mode, buffers, gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
from gradcli.errors import ShapeError

from . import _ref
from ._ref import t


def _x(shape=(4, 3, 5, 5), seed=0):
    return 2 * _ref.rng(seed).standard_normal(shape) + 1


@pytest.mark.parametrize(
    "shape,cls",
    [((8, 3), nn.BatchNorm1d), ((4, 3, 6), nn.BatchNorm1d), ((4, 3, 5, 5), nn.BatchNorm2d)],
)
def test_training_forward_and_running_stats(shape, cls):
    x = _x(shape)
    bn = cls(3, momentum=0.2)
    with gradcli.no_grad():
        bn.weight.copy_(t([1.0, 2.0, 0.5]))
        bn.bias.copy_(t([0.0, -1.0, 3.0]))
    out = bn(t(x, dtype=np.float32))
    assert out.dtype == gradcli.float32
    ref = _ref.batch_norm_train(x, np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0]), 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-4, atol=1e-5)
    axes = (0,) + tuple(range(2, x.ndim))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.2 * x.mean(axes), rtol=1e-5)
    unbiased = x.var(axes, ddof=1)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.8 + 0.2 * unbiased, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1


def test_eval_uses_running_stats():
    bn = nn.BatchNorm2d(3)
    with gradcli.no_grad():
        bn.running_mean.copy_(t([1.0, 0.0, -1.0]))
        bn.running_var.copy_(t([4.0, 1.0, 0.25]))
    bn.eval()
    x = _x()
    out = bn(t(x, dtype=np.float32)).detach().numpy()
    ref = (x - np.array([1.0, 0.0, -1.0]).reshape(1, 3, 1, 1)) / np.sqrt(
        np.array([4.0, 1.0, 0.25]).reshape(1, 3, 1, 1) + 1e-5
    )
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    assert bn.num_batches_tracked.item() == 0


def test_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [_x((5, 2), seed) for seed in range(3)]
    for x in xs:
        bn(t(x, dtype=np.float32))
    np.testing.assert_allclose(
        bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0), rtol=1e-5
    )


def test_no_running_stats_and_no_affine():
    bn = nn.BatchNorm2d(3, affine=False, track_running_stats=False)
    assert list(bn.state_dict()) == [] and list(bn.parameters()) == []
    x = _x()
    ref = _ref.batch_norm_train(x, np.ones(3), np.zeros(3), 1e-5)
    np.testing.assert_allclose(bn(t(x)).numpy(), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.eval()(t(x)).numpy(), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_gradients(training):
    r = _ref.rng(3)
    x, w, b = _x((3, 2, 2, 3)), r.standard_normal(2), r.standard_normal(2)
    rm, rv = r.standard_normal(2), r.random(2) + 0.5

    def fn(x, w, b):
        # fresh running buffers each call: training updates them in place
        return F.batch_norm(x, t(rm), t(rv), w, b, training=training, momentum=0.1, eps=1e-3)

    gradcheck(fn, x, w, b, atol=1e-5)
    gradcheck(lambda x: F.batch_norm(x, None, None, training=True), _x((4, 3), 5), atol=1e-5)
    gradcheck(
        lambda x, b: F.batch_norm(x, None, None, None, b, training=True),
        _x((4, 3), 6),
        r.standard_normal(3),
        atol=1e-5,
    )


def test_state_dict_buffers_and_repr():
    bn = nn.BatchNorm2d(6)
    assert list(bn.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked",
    ]  # fmt: skip
    assert bn.state_dict()["num_batches_tracked"].dtype == gradcli.int64
    assert [n for n, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert repr(bn) == (
        "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=False)"
    )
    assert nn.BatchNorm1d(3, bias=False).bias is None


def test_errors():
    with pytest.raises(ShapeError, match=r"unsqueeze\(0\)"):
        nn.BatchNorm2d(3)(gradcli.randn(3, 4, 4))
    with pytest.raises(ShapeError, match=r"input has 4 channels but the layer expects 3"):
        nn.BatchNorm2d(3)(gradcli.randn(2, 4, 4, 4))
    with pytest.raises(ShapeError, match=r"unsqueeze\(0\)"):
        nn.BatchNorm1d(3)(gradcli.randn(3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(gradcli.randn(1, 3))
    nn.BatchNorm1d(3).eval()(gradcli.randn(1, 3))  # fine in eval mode
    with pytest.raises(ShapeError, match=r"weight has shape \(2,\)"):
        F.batch_norm(gradcli.randn(2, 3), None, None, gradcli.ones(2), training=True)
