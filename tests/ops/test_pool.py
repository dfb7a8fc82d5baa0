"""Pooling: values against loop references (PyTorch's window rules), finite-difference gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import ShapeError
from gradcli.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d


def rng(seed=0):
    return np.random.default_rng(seed)


def t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


def two(v):
    return v if isinstance(v, tuple) else (v, v)


def out_len(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def max_pool_ref(x, k, s, p, d, ceil_mode):
    """Scan each window in row-major order; a strictly larger value takes over (first max wins)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = two(k), two(s), two(p), two(d)
    n, c, h, w = x.shape
    oh, ow = out_len(h, kh, sh, ph, dh, ceil_mode), out_len(w, kw, sw, pw, dw, ceil_mode)
    out = np.zeros((n, c, oh, ow), x.dtype)
    idx = np.zeros((n, c, oh, ow), np.int64)
    for a in range(n):
        for b in range(c):
            for i in range(oh):
                for j in range(ow):
                    best, where = -np.inf, -1
                    for u in range(kh):
                        for v in range(kw):
                            r, q = i * sh - ph + u * dh, j * sw - pw + v * dw
                            if 0 <= r < h and 0 <= q < w and x[a, b, r, q] > best:
                                best, where = x[a, b, r, q], r * w + q
                    out[a, b, i, j], idx[a, b, i, j] = best, where
    return out, idx


def avg_pool_ref(x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    (kh, kw), (sh, sw), (ph, pw) = two(k), two(s), two(p)
    n, c, h, w = x.shape
    oh, ow = out_len(h, kh, sh, ph, 1, ceil_mode), out_len(w, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * sh - ph, j * sw - pw
            h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            if divisor_override:
                div = divisor_override
            else:
                div = size if count_include_pad else (h1 - h0) * (w1 - w0)
            out[:, :, i, j] = total / div
    return out


def adaptive_ref(x, oh, ow):
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * h) // oh, -(-(i + 1) * h // oh)
            w0, w1 = (j * w) // ow, -(-(j + 1) * w // ow)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


# (kernel, stride, padding, dilation, ceil_mode) on an (2, 3, 9, 8) input
MAX_CASES = [
    (2, None, 0, 1, False),  # the non-overlapping fast path
    (2, None, 0, 1, True),  # ... with a ragged last window
    (3, 2, 1, 1, False),
    (3, 2, 1, 1, True),
    ((2, 3), (1, 2), (1, 1), 1, True),
    (3, 1, 1, 2, False),
    (2, 3, 1, (2, 1), True),  # dilated and disjoint
    (4, 3, 2, 1, True),
    (1, 2, 0, 1, False),
]


@pytest.mark.parametrize("k, s, p, d, ceil_mode", MAX_CASES)
def test_max_pool2d_values_and_indices(k, s, p, d, ceil_mode):
    x = rng(1).standard_normal((2, 3, 9, 8)).astype(np.float32)
    out, idx = max_pool2d(t(x), k, s, p, d, ceil_mode, return_indices=True)
    ref, ref_idx = max_pool_ref(x, k, k if s is None else s, p, d, ceil_mode)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    # without indices or grad the forward skips the argmax; with grad it tracks it
    np.testing.assert_array_equal(max_pool2d(t(x), k, s, p, d, ceil_mode).numpy(), ref)
    tracked = max_pool2d(t(x, True), k, s, p, d, ceil_mode)
    np.testing.assert_array_equal(tracked.detach().numpy(), ref)
    assert out.dtype == gradcli.float32 and idx.dtype == gradcli.int64
    assert not idx.requires_grad


@pytest.mark.parametrize("k, s, p, d, ceil_mode", MAX_CASES)
def test_max_pool2d_gradients_finite_differences(k, s, p, d, ceil_mode):
    x = rng(2).standard_normal((1, 2, 9, 8))
    gradcheck(lambda x: max_pool2d(x, k, s, p, d, ceil_mode), x)


@pytest.mark.parametrize("k, s, p, d, ceil_mode", MAX_CASES)
def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum(k, s, p, d, ceil_mode):
    x = rng(3).integers(-1, 2, (2, 2, 9, 8)).astype(np.float32)  # many ties, as after relu
    x[0, 0] = 0
    xt = t(x, True)
    out = max_pool2d(xt, k, s, p, d, ceil_mode)
    g = rng(4).standard_normal(out.shape).astype(np.float32)
    out.backward(t(g))
    _, idx = max_pool_ref(x, k, k if s is None else s, p, d, ceil_mode)
    expected = np.zeros(x.shape, np.float32).reshape(2, 2, -1)
    for a in range(2):
        for b in range(2):
            np.add.at(expected[a, b], idx[a, b].ravel(), g[a, b].ravel())
    np.testing.assert_allclose(xt.grad.numpy(), expected.reshape(x.shape), rtol=1e-6)


def test_max_pool2d_node_saves_only_small_argmax_offsets():
    x = gradcli.randn(2, 6, 28, 28, requires_grad=True)
    y = max_pool2d(x, 2)
    assert y.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    (arg,) = y.grad_fn.saved_tensors
    assert arg.dtype == np.uint8 and arg.shape == (2, 6, 14, 14)
    assert max_pool2d(gradcli.randn(1, 1, 4, 4), 2).grad_fn is None


def test_max_pool2d_keeps_nan_and_infinities():
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]], [[-np.inf, -np.inf], [-np.inf, -np.inf]]]])
    y = max_pool2d(t(x.astype(np.float32)), 2).numpy()
    assert np.isnan(y[0, 0, 0, 0]) and y[0, 1, 0, 0] == -np.inf


# (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override) on (2, 3, 9, 8)
AVG_CASES = [
    (2, None, 0, False, True, None),
    (3, 2, 1, False, True, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    ((2, 3), (1, 2), (1, 1), True, False, None),
    (4, 3, 2, True, True, None),  # last window starts in the padding: dropped
    (4, 3, 2, True, False, None),
    (3, 3, 1, False, True, 5),
    (2, None, 0, True, True, None),
]


@pytest.mark.parametrize("k, s, p, ceil_mode, include, divisor", AVG_CASES)
def test_avg_pool2d_values(k, s, p, ceil_mode, include, divisor):
    x = rng(5).standard_normal((2, 3, 9, 8)).astype(np.float32)
    y = avg_pool2d(t(x), k, s, p, ceil_mode, include, divisor)
    expected = avg_pool_ref(x, k, k if s is None else s, p, ceil_mode, include, divisor)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert y.dtype == gradcli.float32


@pytest.mark.parametrize("k, s, p, ceil_mode, include, divisor", AVG_CASES)
def test_avg_pool2d_gradients_finite_differences(k, s, p, ceil_mode, include, divisor):
    x = rng(6).standard_normal((1, 2, 9, 8))
    gradcheck(lambda x: avg_pool2d(x, k, s, p, ceil_mode, include, divisor), x)


def test_avg_pool2d_node_and_float32_gradient():
    x = gradcli.randn(2, 3, 7, 7, requires_grad=True)
    y = avg_pool2d(x, 3, 2, 1, count_include_pad=False)
    assert y.grad_fn.name() == "AvgPool2DBackward0"
    y.sum().backward()
    assert x.grad.dtype == gradcli.float32


@pytest.mark.parametrize("size", [1, (3, 4), (5, None), (7, 13), (9, 8), (2, 1), (4, 4)])
def test_adaptive_avg_pool2d_values_and_gradients(size):
    x = rng(7).standard_normal((2, 3, 9, 8))
    oh, ow = (size, size) if isinstance(size, int) else (size[0], size[1] or 8)
    y = adaptive_avg_pool2d(t(x.astype(np.float32)), size)
    assert y.shape == (2, 3, oh, ow) and y.dtype == gradcli.float32
    np.testing.assert_allclose(y.numpy(), adaptive_ref(x, oh, ow), rtol=1e-5, atol=1e-6)
    gradcheck(lambda x: adaptive_avg_pool2d(x, size), x[:1, :2])


def test_adaptive_avg_pool2d_node():
    y = adaptive_avg_pool2d(gradcli.randn(1, 2, 5, 5, requires_grad=True), 2)
    assert y.grad_fn.name() == "AdaptiveAvgPool2DBackward0"


@pytest.mark.parametrize(
    "op",
    [
        lambda x: max_pool2d(x, 2),
        lambda x: max_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda x: avg_pool2d(x, 3, 2, 1, True, False),
        lambda x: avg_pool2d(x, 2, divisor_override=3),
        lambda x: adaptive_avg_pool2d(x, (3, 5)),
    ],
)
def test_pooling_keeps_float32_forward_and_backward(op):
    x = gradcli.randn(2, 4, 9, 8, requires_grad=True)
    y = op(x)
    y.sum().backward()
    assert y.dtype == gradcli.float32 and x.grad.dtype == gradcli.float32


def test_pool_errors_name_the_op_and_shapes():
    x = gradcli.randn(1, 28, 28)
    for fn in (lambda x: max_pool2d(x, 2), lambda x: avg_pool2d(x, 2)):
        with pytest.raises(ShapeError, match=r"\(1, 28, 28\); add a batch dimension"):
            fn(x)
    with pytest.raises(ShapeError, match="adaptive_avg_pool2d: expected a 4-D input"):
        adaptive_avg_pool2d(x, 2)
    x4 = gradcli.randn(1, 1, 5, 5)
    with pytest.raises(ShapeError, match="max_pool2d: padding .* at most half the kernel"):
        max_pool2d(x4, 3, padding=2)
    with pytest.raises(ShapeError, match=r"max_pool2d: .*does not fit the height .*\(1, 1, 5, 5\)"):
        max_pool2d(x4, 7)
    with pytest.raises(ShapeError, match="avg_pool2d: kernel_size must be at least 1"):
        avg_pool2d(x4, 0)
    with pytest.raises(ShapeError, match="divisor_override must not be zero"):
        avg_pool2d(x4, 2, divisor_override=0)
    with pytest.raises(ShapeError, match="output_size must be at least 1"):
        adaptive_avg_pool2d(x4, (0, 2))
    with pytest.raises(ShapeError, match="output_size must be an int or a pair"):
        adaptive_avg_pool2d(x4, (1, 2, 3))


def test_lenet_pooling_shapes():
    x = gradcli.randn(4, 6, 28, 28)
    assert max_pool2d(x, 2).shape == (4, 6, 14, 14)
    assert max_pool2d(x, (2, 2), stride=(2, 2)).shape == (4, 6, 14, 14)
    assert avg_pool2d(x, 2).shape == (4, 6, 14, 14)


@pytest.mark.parametrize("seed", range(3))
def test_pooling_against_torch(seed):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    r = rng(seed)
    x = r.standard_normal((2, 3, 10, 9)).astype(np.float32)
    k = tuple(int(v) for v in r.integers(2, 4, 2))
    s = tuple(int(v) for v in r.integers(1, 4, 2))
    p = (int(r.integers(0, k[0] // 2 + 1)), int(r.integers(0, k[1] // 2 + 1)))
    g = None
    for ours, theirs in [
        (lambda x: max_pool2d(x, k, s, p, 1, True), lambda x: F.max_pool2d(x, k, s, p, 1, True)),
        (
            lambda x: avg_pool2d(x, k, s, p, True, False),
            lambda x: F.avg_pool2d(x, k, s, p, True, False),
        ),
        (lambda x: adaptive_avg_pool2d(x, (4, 3)), lambda x: F.adaptive_avg_pool2d(x, (4, 3))),
    ]:
        a, b = t(x, True), torch.tensor(x, requires_grad=True)
        y, yt = ours(a), theirs(b)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
        g = r.standard_normal(y.shape).astype(np.float32)
        y.backward(t(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_pooling_on_cuda_matches_cpu():
    if not gradcli.cuda.is_available():
        pytest.skip("needs CuPy and a usable CUDA GPU")
    x = rng(8).standard_normal((2, 3, 9, 8)).astype(np.float32)
    ops = [
        lambda x: max_pool2d(x, 2),  # disjoint: written
        lambda x: max_pool2d(x, 3, 2, 1, 2, True),  # overlapping: added
        lambda x: avg_pool2d(x, 3, 2, 1, True, False),
        lambda x: adaptive_avg_pool2d(x, (4, 3)),
    ]
    for op in ops:
        results = []
        for device in ("cpu", "cuda"):
            xt = gradcli.tensor(x, device=device, requires_grad=True)
            y = op(xt)
            y.backward(gradcli.ones_like(y))
            assert y.device.type == device and xt.grad.device.type == device
            results.append((y.detach().cpu().numpy(), xt.grad.cpu().numpy()))
        for cpu, gpu in zip(*results):
            np.testing.assert_allclose(gpu, cpu, rtol=1e-5, atol=1e-6)
    _, idx = max_pool2d(gradcli.tensor(x, device="cuda"), 3, 2, 1, return_indices=True)
    _, ref = max_pool2d(gradcli.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.cpu().numpy(), ref.numpy())
