"""A sweep of layers, losses and tensor functions on the GPU against the CPU: values and
input gradients (CuPy's path through each; on a CPU, through the strict CuPy stand-in)."""

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F

pytestmark = pytest.mark.gpu

r = np.random.default_rng(0)
X = r.standard_normal((4, 6)).astype(np.float32)
IMG = r.standard_normal((2, 3, 8, 8)).astype(np.float32)
SEQ = r.standard_normal((2, 3, 10)).astype(np.float32)
W1 = np.random.default_rng(2).standard_normal((4, 3, 3)).astype(np.float32)
WT = np.random.default_rng(1).standard_normal((3, 2, 3, 3)).astype(np.float32)


LEAVES = []  # the inputs a case made, to compare their gradients


def t(a, d, rg=True):
    x = gradcli.tensor(a, device=d, requires_grad=rg)
    if rg:
        LEAVES.append(x)
    return x


def seeded(make):
    gradcli.manual_seed(0)
    return make()


CASES = {
    "gelu": lambda d: F.gelu(t(X, d)),
    "gelu_tanh": lambda d: F.gelu(t(X, d), approximate="tanh"),
    "erf": lambda d: t(X, d).erf(),
    "elu": lambda d: F.elu(t(X, d)),
    "leaky": lambda d: F.leaky_relu(t(X, d), 0.1),
    "interp": lambda d: F.interpolate(t(IMG, d), scale_factor=2, mode="nearest"),
    "interp_bilinear": lambda d: F.interpolate(
        t(IMG, d), size=(5, 5), mode="bilinear", align_corners=False
    ),
    "embedding": lambda d: F.embedding(gradcli.tensor([[0, 2], [1, 1]], device=d), t(X, d)),
    "one_hot": lambda d: (
        F.one_hot(gradcli.tensor([0, 2, 1], device=d), 4).float()
        * t(np.ones((3, 4), np.float32), d)
    ),
    "pad": lambda d: F.pad(t(IMG, d), (1, 2, 0, 1)),
    "pad_reflect": lambda d: F.pad(t(IMG, d), (1, 1, 1, 1), mode="reflect"),
    "bce": lambda d: F.binary_cross_entropy(
        t(X, d).sigmoid(), gradcli.tensor((X > 0).astype(np.float32), device=d)
    ),
    "bce_logits": lambda d: F.binary_cross_entropy_with_logits(
        t(X, d), gradcli.tensor((X > 0).astype(np.float32), device=d)
    ),
    "l1": lambda d: F.l1_loss(t(X, d), gradcli.zeros(4, 6, device=d)),
    "mse": lambda d: F.mse_loss(t(X, d), gradcli.zeros(4, 6, device=d)),
    "smoothl1": lambda d: F.smooth_l1_loss(t(X, d), gradcli.zeros(4, 6, device=d)),
    "nll": lambda d: F.nll_loss(t(X, d).log_softmax(1), gradcli.tensor([0, 1, 2, 3], device=d)),
    "ce_smooth": lambda d: F.cross_entropy(
        t(X, d), gradcli.tensor([0, 1, 2, 3], device=d), label_smoothing=0.1
    ),
    "sdpa": lambda d: F.scaled_dot_product_attention(t(SEQ, d), t(SEQ, d), t(SEQ, d)),
    "sdpa_causal": lambda d: F.scaled_dot_product_attention(
        t(SEQ, d), t(SEQ, d), t(SEQ, d), is_causal=True
    ),
    "conv1d": lambda d: F.conv1d(t(SEQ, d), t(W1, d), padding=1),
    "convT": lambda d: F.conv_transpose2d(t(IMG, d), t(WT, d), stride=2),
    "adapt": lambda d: F.adaptive_avg_pool2d(t(IMG, d), (3, 3)),
    "bn": lambda d: F.batch_norm(
        t(IMG, d), gradcli.zeros(3, device=d), gradcli.ones(3, device=d), training=True
    ),
    "gn": lambda d: F.group_norm(t(IMG, d), 3),
    "ln": lambda d: F.layer_norm(t(IMG, d), (8, 8)),
    "dropout_eval": lambda d: F.dropout(t(X, d), 0.5, training=False),
    "logsumexp": lambda d: t(X, d).logsumexp(1),
    "prod": lambda d: t(X, d).prod(1),
    "amax": lambda d: t(X, d).amax(1),
    "cumsum": lambda d: t(X, d).cumsum(0),
    "flip": lambda d: t(X, d).flip(0),
    "index_select": lambda d: t(X, d).index_select(0, gradcli.tensor([2, 0], device=d)),
    "masked_select": lambda d: t(X, d).masked_select(t(X, d, False) > 0),
    "where": lambda d: gradcli.where(t(X, d, False) > 0, t(X, d), gradcli.zeros(4, 6, device=d)),
    "clamp": lambda d: t(X, d).clamp(-0.5, 0.5),
    "bmm": lambda d: gradcli.bmm(t(SEQ, d), t(SEQ, d).transpose(1, 2)),
    "std": lambda d: t(X, d).std(1),
    "norm": lambda d: t(X, d).norm(),
    "atan2": lambda d: gradcli.atan2(t(X, d), t(X, d) + 2),
    "log1p": lambda d: (t(X, d).abs()).log1p(),
    "rsqrt": lambda d: (t(X, d).abs() + 1).rsqrt(),
    "outer": lambda d: gradcli.outer(t(X[0], d), t(X[1], d)),
    "lerp": lambda d: gradcli.lerp(t(X, d), t(X, d) * 2, 0.3),
    "trace": lambda d: t(X[:4, :4].copy(), d).trace(),
    "nonzero": lambda d: t(X, d, False).nonzero().float(),
    "stack": lambda d: gradcli.stack([t(X, d), t(X, d)]),
    "cat": lambda d: gradcli.cat([t(X, d), t(X, d)], 1),
    "max_pool_idx": lambda d: F.max_pool2d(t(IMG, d), 2, return_indices=True)[0],
    "lstm": lambda d: seeded(lambda: nn.LSTM(10, 5, batch_first=True)).to(d)(t(SEQ, d))[1][0],
    "gru": lambda d: seeded(lambda: nn.GRU(10, 5, batch_first=True)).to(d)(t(SEQ, d))[1],
    "mha": lambda d: seeded(lambda: nn.MultiheadAttention(10, 2, batch_first=True)).to(d)(
        t(SEQ, d), t(SEQ, d), t(SEQ, d)
    )[0],
    "upsample": lambda d: nn.Upsample(scale_factor=2)(t(IMG, d)),
    "flatten": lambda d: nn.Flatten()(t(IMG, d)),
    "tensor_pow": lambda d: t(X, d) ** t(np.full((4, 6), 2, np.float32), d),
    "sum_int": lambda d: (t(X, d, False) > 0).sum().float(),
    "cumprod": lambda d: t(X, d).cumprod(1),
}


@pytest.mark.parametrize("name", CASES)
def test_cuda_matches_cpu(name):
    results = []
    for d in ("cpu", "cuda"):
        LEAVES.clear()
        out = CASES[name](d)
        assert out.device.type == d
        if out.requires_grad:
            (out * out).sum().backward()
        grads = [x.grad.cpu().numpy() for x in LEAVES if x.grad is not None]
        assert all(x.grad is None or x.grad.device.type == d for x in LEAVES)
        results.append((out.detach().cpu().numpy(), grads))
    (cpu_out, cpu_grads), (gpu_out, gpu_grads) = results
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-4, atol=1e-5)
    assert len(gpu_grads) == len(cpu_grads)
    for g, c in zip(gpu_grads, cpu_grads):
        np.testing.assert_allclose(g, c, rtol=1e-3, atol=1e-4)
