"""conv2d: values against slow loop references, float64 finite-difference gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import DeviceError, ShapeError
from gradcli.ops.conv import conv2d
from gradcli.ops.padding import pad


def rng(seed=0):
    return np.random.default_rng(seed)


def conv_ref(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """Direct convolution: one dot product per output pixel, output channel and sample."""
    pt, pb, pl, pr = pads
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = xp.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    per = o // groups
    for s in range(n):
        for oc in range(o):
            g = oc // per
            for i in range(oh):
                for j in range(ow):
                    total = 0.0 if b is None else float(b[oc])
                    for ci in range(cg):
                        for a in range(kh):
                            for e in range(kw):
                                v = xp[s, g * cg + ci, i * sh + a * dh, j * sw + e * dw]
                                total += v * w[oc, ci, a, e]
                    out[s, oc, i, j] = total
    return out


def t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


# (x shape, weight shape, stride, padding, dilation, groups, explicit pads for the reference)
CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1, 1, (0, 0, 0, 0)),
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 2), 1, 1, (1, 1, 2, 2)),
    ((1, 2, 9, 8), (3, 2, 3, 3), 1, 2, (2, 3), 1, (2, 2, 2, 2)),
    ((2, 4, 6, 7), (6, 2, 2, 3), (1, 2), 1, 1, 2, (1, 1, 1, 1)),
    ((2, 4, 6, 6), (4, 1, 3, 3), 1, 1, 1, 4, (1, 1, 1, 1)),  # depthwise
    ((1, 2, 6, 5), (3, 2, 4, 2), 1, "same", 1, 1, (1, 2, 0, 1)),  # odd total: extra bottom/right
    ((1, 2, 7, 7), (2, 2, 3, 3), 1, "same", 2, 1, (2, 2, 2, 2)),
    ((1, 2, 5, 6), (3, 2, 3, 3), 1, "valid", 1, 1, (0, 0, 0, 0)),
    ((2, 3, 8, 8), (3, 1, 1, 1), 3, 0, 1, 3, (0, 0, 0, 0)),  # 1x1, stride > kernel
    ((1, 4, 9, 10), (4, 2, 3, 2), (3, 2), (1, 0), (2, 3), 2, (1, 1, 0, 0)),
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups, pads", CASES)
def test_conv2d_matches_loop_reference(xs, ws, stride, padding, dilation, groups, pads):
    r = rng(1)
    x = r.standard_normal(xs).astype(np.float32)
    w = r.standard_normal(ws).astype(np.float32)
    b = r.standard_normal(ws[0]).astype(np.float32)
    y = conv2d(t(x), t(w), t(b), stride, padding, dilation, groups)
    st = stride if isinstance(stride, tuple) else (stride, stride)
    dl = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    expected = conv_ref(x, w, b, st, pads, dl, groups)
    assert y.dtype == gradcli.float32
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    no_bias = conv2d(t(x), t(w), None, stride, padding, dilation, groups)
    np.testing.assert_allclose(
        no_bias.numpy(), conv_ref(x, w, None, st, pads, dl, groups), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups, pads", CASES)
def test_conv2d_gradients_finite_differences(xs, ws, stride, padding, dilation, groups, pads):
    r = rng(2)
    x, w, b = r.standard_normal(xs), r.standard_normal(ws), r.standard_normal(ws[0])
    gradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding, dilation, groups), x, w, b)


def test_conv2d_node_name_and_what_it_saves():
    x = gradcli.randn(2, 3, 6, 6)
    w = gradcli.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    cols, weight = y.grad_fn.saved_tensors
    # first layer: the weight is not kept (no input gradient); the columns are, for the weight's
    assert weight is None and cols.shape == (2, 1, 27, 4 * 4) and cols.dtype == np.float32
    frozen = conv2d(gradcli.randn(2, 3, 6, 6, requires_grad=True), gradcli.randn(4, 3, 3, 3))
    cols, weight = frozen.grad_fn.saved_tensors
    assert cols is None and weight is not None


def test_conv2d_skips_gradients_nobody_needs():
    x = gradcli.randn(2, 3, 6, 6)
    w = gradcli.randn(4, 3, 3, 3, requires_grad=True)
    b = gradcli.randn(4)
    conv2d(x, w, b, padding=1).sum().backward()
    assert x.grad is None and b.grad is None and w.grad.shape == (4, 3, 3, 3)
    x.requires_grad_()
    w2 = w.detach()
    conv2d(x, w2, padding=1).sum().backward()
    assert x.grad.shape == (2, 3, 6, 6) and w2.grad is None


def test_conv2d_backward_adds_strided_slices_not_scatter_add():
    import inspect

    import gradcli.ops.conv as conv

    source = inspect.getsource(conv)
    assert "add.at" not in source and "scatter_add" not in source
    x = gradcli.randn(2, 3, 8, 8, requires_grad=True)
    w = gradcli.randn(4, 3, 3, 3, requires_grad=True)
    conv2d(x, w, stride=2, padding=1, dilation=2).sum().backward()
    assert x.grad.shape == x.shape


def test_conv2d_float32_in_float32_out_including_gradients():
    x = gradcli.randn(2, 3, 6, 6, requires_grad=True)
    w = gradcli.randn(4, 3, 3, 3, requires_grad=True)
    b = gradcli.randn(4, requires_grad=True)
    y = conv2d(x, w, b, padding="same")
    y.sum().backward()
    for a in (y, x.grad, w.grad, b.grad):
        assert a.dtype == gradcli.float32


def test_conv2d_accepts_non_contiguous_input():
    r = rng(3)
    base = r.standard_normal((5, 5, 2, 3)).astype(np.float32)
    x = base.transpose(2, 3, 0, 1)  # (2, 3, 5, 5), no unit strides
    w = r.standard_normal((2, 3, 2, 2)).astype(np.float32)
    y = conv2d(gradcli.Tensor._make(x), t(w), stride=2, padding=1)
    np.testing.assert_allclose(y.numpy(), conv_ref(x, w, None, (2, 2), (1,) * 4), atol=1e-5)


def test_conv2d_lenet_shapes():
    x = gradcli.randn(4, 1, 28, 28)
    w1, w2 = gradcli.randn(6, 1, 5, 5), gradcli.randn(16, 6, 5, 5)
    assert conv2d(x, w1, padding=2).shape == (4, 6, 28, 28)
    assert conv2d(gradcli.randn(4, 6, 14, 14), w2).shape == (4, 16, 10, 10)


def test_conv2d_errors_name_the_op_and_shapes():
    w = gradcli.randn(6, 1, 5, 5)
    with pytest.raises(ShapeError, match=r"expected a 4-D input .* \(1, 28, 28\); add a batch"):
        conv2d(gradcli.randn(1, 28, 28), w)
    with pytest.raises(ShapeError, match="unsqueeze"):
        conv2d(gradcli.randn(1, 28, 28), w)
    with pytest.raises(ShapeError, match=r"input has 3 channels but weight \(6, 1, 5, 5\)"):
        conv2d(gradcli.randn(2, 3, 28, 28), w)
    with pytest.raises(ShapeError, match="groups=4 does not divide the 6 output channels"):
        conv2d(gradcli.randn(2, 4, 8, 8), w, groups=4)
    with pytest.raises(ShapeError, match=r"conv2d: .*kernel 5 does not fit the height"):
        conv2d(gradcli.randn(2, 1, 4, 9), w)
    with pytest.raises(ShapeError, match="not supported for strided"):
        conv2d(gradcli.randn(2, 1, 8, 8), w, stride=2, padding="same")
    with pytest.raises(ShapeError, match="invalid padding string"):
        conv2d(gradcli.randn(2, 1, 8, 8), w, padding="full")
    with pytest.raises(ShapeError, match="stride must be at least 1"):
        conv2d(gradcli.randn(2, 1, 8, 8), w, stride=0)
    with pytest.raises(ShapeError, match="padding must be at least 0"):
        conv2d(gradcli.randn(2, 1, 8, 8), w, padding=(-1, 0))
    with pytest.raises(ShapeError, match="dilation must be an int or a pair"):
        conv2d(gradcli.randn(2, 1, 8, 8), w, dilation=(1, 2, 3))
    with pytest.raises(ShapeError, match=r"bias must have shape \(6,\)"):
        conv2d(gradcli.randn(2, 1, 8, 8), w, gradcli.randn(5))
    with pytest.raises(ShapeError, match="4-D weight"):
        conv2d(gradcli.randn(2, 1, 8, 8), gradcli.randn(6, 25))
    with pytest.raises(ShapeError, match="dtype float64 and parameter dtype float32"):
        conv2d(gradcli.randn(2, 1, 8, 8, dtype=gradcli.float64), w)


def test_conv2d_rejects_mixed_devices_before_computing(monkeypatch):
    import gradcli.ops._checks as checks

    fake = [gradcli.device("cpu"), gradcli.device("cuda", 0)]
    monkeypatch.setattr(checks, "device_of", lambda a: fake.pop(0) if fake else None)
    with pytest.raises(DeviceError, match="same device"):
        conv2d(gradcli.randn(1, 1, 5, 5), gradcli.randn(1, 1, 3, 3))


@pytest.mark.parametrize("seed", range(4))
def test_conv2d_against_torch(seed):
    torch = pytest.importorskip("torch")
    r = rng(seed)
    groups = int(r.choice([1, 2]))
    c, o = 2 * groups, 2 * groups
    kh, kw = (int(v) for v in r.integers(1, 4, 2))
    stride = tuple(int(v) for v in r.integers(1, 3, 2))
    dilation = tuple(int(v) for v in r.integers(1, 3, 2))
    padding = tuple(int(v) for v in r.integers(0, 3, 2))
    x = r.standard_normal((2, c, 9, 8)).astype(np.float32)
    w = r.standard_normal((o, c // groups, kh, kw)).astype(np.float32)
    b = r.standard_normal(o).astype(np.float32)
    ours = [t(a, True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = conv2d(*ours, stride, padding, dilation, groups)
    yt = torch.nn.functional.conv2d(*theirs, stride, padding, dilation, groups)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = r.standard_normal(y.shape).astype(np.float32)
    y.backward(t(g))
    yt.backward(torch.tensor(g))
    for a, at in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.gpu
@pytest.mark.parametrize("stride", [1, 2])  # both input-gradient paths
def test_conv2d_and_pad_on_cuda_match_cpu(stride):
    if not gradcli.cuda.is_available():
        pytest.skip("needs CuPy and a usable CUDA GPU")
    r = rng(6)
    arrays = [r.standard_normal(s).astype(np.float32) for s in ((2, 4, 9, 8), (6, 2, 3, 3), (6,))]
    results = []
    for device in ("cpu", "cuda"):
        x, w, b = (gradcli.tensor(a, device=device, requires_grad=True) for a in arrays)
        y = conv2d(pad(x, (1, 2, 0, 1), mode="reflect"), w, b, stride, 1, (1, 2), 2)
        y.backward(gradcli.ones_like(y))
        assert y.device.type == device and x.grad.device.type == device
        results.append([a.detach().cpu().numpy() for a in (y, x.grad, w.grad, b.grad)])
    for cpu, gpu in zip(*results):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-4)
