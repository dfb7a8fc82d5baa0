"""Recurrent layers, attention and channel dropout on CuPy: the CPU's numbers and gradients."""

import copy

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F

pytestmark = pytest.mark.gpu


def _cuda_or_skip():
    if not gradcli.cuda.is_available():
        pytest.skip("needs CuPy and a usable CUDA GPU")


def _both(module, run):
    """run(module, device) on a CPU copy and a GPU copy -> (cpu results, gpu results)."""
    out = []
    for dev in ("cpu", "cuda"):
        m = copy.deepcopy(module).to(dev)
        results = run(m, dev)
        grads = [p.grad.cpu().numpy() for p in m.parameters()]
        out.append([r.detach().cpu().numpy() for r in results] + grads)
    return out


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_match_cpu(kind):
    _cuda_or_skip()
    gradcli.manual_seed(0)
    layer = getattr(nn, kind)(5, 6, num_layers=2, bidirectional=True, batch_first=True)
    x = np.random.default_rng(0).standard_normal((3, 7, 5)).astype(np.float32)

    def run(m, dev):
        out, h = m(gradcli.tensor(x, device=dev))
        h = h[0] if isinstance(h, tuple) else h
        (out.sum() + h.sum()).backward()
        return [out, h]

    cpu, gpu = _both(layer, run)
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_attention_and_dropout2d_match_cpu():
    _cuda_or_skip()
    gradcli.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = np.random.default_rng(1).standard_normal((2, 5, 8)).astype(np.float32)
    pad = np.array([[False] * 4 + [True], [False] * 5])

    def run(m, dev):
        t = gradcli.tensor(x, device=dev)
        out, w = m(t, t, t, key_padding_mask=gradcli.tensor(pad, device=dev))
        gradcli.manual_seed(2)  # the same channel mask on both devices
        dropped = F.dropout2d(out.unsqueeze(1), 0.5)
        sdpa = F.scaled_dot_product_attention(t, t, t, is_causal=True)
        (dropped.sum() + w.sum() + sdpa.sum()).backward()
        return [out, w, dropped, sdpa]

    cpu, gpu = _both(mha, run)
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
