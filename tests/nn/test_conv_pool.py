"""Conv2d and the pooling layers (their kernels live in gradcli.ops.conv and .pool)."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
from gradcli.errors import ShapeError

from . import _ref
from ._ref import t

pytest.importorskip("gradcli.ops.pool", reason="pooling (gradcli.ops.pool) not available yet")


def _conv_ref(x, w, b, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    per = o // groups
    for oc in range(o):
        g = oc // per
        for i in range(oh):
            for j in range(ow):
                r0, c0 = i * stride[0], j * stride[1]
                rows = slice(r0, r0 + dilation[0] * (kh - 1) + 1, dilation[0])
                cols = slice(c0, c0 + dilation[1] * (kw - 1) + 1, dilation[1])
                patch = xp[:, g * cg : (g + 1) * cg, rows, cols]
                out[:, oc, i, j] = (patch * w[oc]).sum((1, 2, 3))
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


def _pool_ref(x, k, s, fn):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = fn(x[:, :, i * s : i * s + k, j * s : j * s + k], axis=(2, 3))
    return out


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(stride=2, padding=1), dict(padding=(1, 2), dilation=2, bias=False),
     dict(groups=2, padding=1)],
)  # fmt: skip
def test_conv2d_layer_values(kwargs):
    gradcli.manual_seed(0)
    conv = nn.Conv2d(4, 6, (3, 2) if "dilation" in kwargs else 3, **kwargs)
    x = _ref.rng(0).standard_normal((2, 4, 7, 6)).astype(np.float32)
    out = conv(t(x))
    assert out.dtype == gradcli.float32
    b = None if conv.bias is None else conv.bias.detach().numpy()
    ref = _conv_ref(
        x, conv.weight.detach().numpy(), b, conv.stride, conv.padding, conv.dilation, conv.groups
    )
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-4, atol=1e-5)


def test_conv2d_gradients_through_the_layer():
    conv = nn.Conv2d(2, 3, 3, padding=1, dtype=gradcli.float64)
    x = _ref.rng(1).standard_normal((2, 2, 4, 4))
    gradcheck(
        lambda a, w, b: F.conv2d(a, w, b, 1, 1),
        x,
        conv.weight.detach().numpy(),
        conv.bias.detach().numpy(),
    )
    gradcheck(conv, x)


def test_conv2d_same_valid_and_padding_modes():
    x = t(_ref.rng(2).standard_normal((1, 2, 6, 5)), dtype=np.float32)
    same = nn.Conv2d(2, 3, (3, 4), padding="same", dilation=(2, 1))
    assert same(x).shape == (1, 3, 6, 5)
    assert nn.Conv2d(2, 3, 3, padding="valid")(x).shape == (1, 3, 4, 3)
    refl = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")
    expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), refl.weight, refl.bias)
    np.testing.assert_allclose(refl(x).detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kernel_size": 0}, "kernel_size must be at least 1, got 0"),
        ({"kernel_size": 3, "stride": (1, 0)}, "stride must be at least 1"),
        ({"kernel_size": 3, "dilation": 0}, "dilation must be at least 1"),
        ({"kernel_size": 3, "padding": -1}, "padding must be at least 0"),
        ({"kernel_size": (3,)}, r"kernel_size must be an int or a pair of ints, got \(3,\)"),
        ({"kernel_size": 3.0}, "kernel_size must be an int or a pair of ints, got 3.0"),
        ({"kernel_size": True}, "kernel_size must be an int or a pair of ints, got True"),
    ],
)
def test_conv2d_arguments_are_checked_when_the_layer_is_made(kwargs, message):
    """A 0 kernel or stride, a negative padding or a float is refused by the constructor with a
    ShapeError (a ValueError) naming the layer, rather than building (a 0 kernel even ran) or
    failing later inside conv2d or with a bare TypeError."""
    with pytest.raises(ShapeError, match=f"^Conv2d: {message}"):
        nn.Conv2d(1, 2, **kwargs)


def test_conv2d_repr_init_and_errors():
    assert repr(nn.Conv2d(1, 6, 3)) == "Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False)) == (
        "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "bias=False)"
    )
    assert repr(nn.Conv2d(4, 8, 3, padding="same", groups=2)) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2)"
    )
    assert repr(nn.Conv2d(4, 8, 3, padding=(1, 2), padding_mode="reflect")) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 2), padding_mode=reflect)"
    )
    conv = nn.Conv2d(3, 16, 5)
    assert conv.weight.shape == (16, 3, 5, 5)
    bound = 1 / np.sqrt(75)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    with pytest.raises(ShapeError) as e:
        nn.Conv2d(1, 6, 3)(gradcli.randn(64, 3, 32, 32))
    assert str(e.value) == (
        "Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1)): input has 3 channels but the layer "
        "expects 1 (input shape (64, 3, 32, 32))"
    )
    with pytest.raises(ShapeError, match=r"unsqueeze\(0\)"):
        nn.Conv2d(1, 6, 3)(gradcli.randn(1, 32, 32))


def test_max_and_avg_pool_layers():
    x = _ref.rng(3).standard_normal((2, 3, 6, 6))
    np.testing.assert_allclose(nn.MaxPool2d(2)(t(x)).numpy(), _pool_ref(x, 2, 2, np.max), rtol=1e-6)
    np.testing.assert_allclose(
        nn.AvgPool2d(3, stride=1)(t(x)).numpy(), _pool_ref(x, 3, 1, np.mean), rtol=1e-5
    )
    np.testing.assert_allclose(
        F.max_pool2d(t(x), (2, 2)).numpy(), _pool_ref(x, 2, 2, np.max), rtol=1e-6
    )
    assert nn.MaxPool2d(2, ceil_mode=True)(t(x[:, :, :5, :5])).shape == (2, 3, 3, 3)
    assert nn.MaxPool2d(3, stride=2, padding=1)(t(x)).shape == (2, 3, 3, 3)
    assert nn.AvgPool2d(2, padding=1)(t(x)).shape == (2, 3, 4, 4)
    gradcheck(nn.AvgPool2d(2), x)
    xd = x + np.arange(x.size).reshape(x.shape) * 1e-2  # distinct values: no ties in the max
    gradcheck(nn.MaxPool2d(2), xd)


def test_adaptive_avg_pool():
    x = _ref.rng(4).standard_normal((2, 3, 6, 4))
    out = nn.AdaptiveAvgPool2d((1, 1))(t(x))
    np.testing.assert_allclose(out.numpy(), x.mean((2, 3), keepdims=True), rtol=1e-5)
    out = nn.AdaptiveAvgPool2d((3, 2))(t(x))
    np.testing.assert_allclose(out.numpy(), _pool_ref(x[:, :, :, :], 2, 2, np.mean), rtol=1e-5)
    gradcheck(nn.AdaptiveAvgPool2d(2), x)


def test_pool_reprs_and_errors():
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True)) == (
        "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=1, ceil_mode=True)"
    )
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.AdaptiveAvgPool2d(2)) == "AdaptiveAvgPool2d(output_size=2)"
    for layer in (nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1)):
        with pytest.raises(ShapeError, match=r"unsqueeze\(0\)"):
            layer(gradcli.randn(3, 8, 8))
