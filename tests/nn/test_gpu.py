"""nn on CuPy: the same numbers as on the CPU, parameters and buffers stay on the device."""

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


def _net():
    return nn.Sequential(
        nn.Linear(6, 8),
        nn.BatchNorm1d(8),
        nn.GELU(),
        nn.Dropout(0.3),
        nn.Linear(8, 4),
    )


def test_mlp_matches_cpu_and_stays_on_device():
    _cuda_or_skip()
    gradcli.manual_seed(0)
    cpu = _net()
    gpu = copy.deepcopy(cpu).cuda()
    assert all(p.is_cuda for p in gpu.parameters()) and all(b.is_cuda for b in gpu.buffers())
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    y = np.array([0, 3, 1, 2, 0])
    losses = []
    for net, dev in ((cpu, "cpu"), (gpu, "cuda")):
        gradcli.manual_seed(1)  # the same dropout mask on both devices
        out = net(gradcli.tensor(x, device=dev))
        loss = F.cross_entropy(out, gradcli.tensor(y, device=dev), label_smoothing=0.1)
        loss = loss + F.mse_loss(out, gradcli.zeros(5, 4, device=dev))
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    for (name, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        assert pg.grad.is_cuda and pg.grad.dtype == gradcli.float32, name
        np.testing.assert_allclose(pg.grad.cpu().numpy(), pc.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        gpu[1].running_var.cpu().numpy(), cpu[1].running_var.numpy(), rtol=1e-5
    )
    total = nn.utils.clip_grad_norm_(gpu.parameters(), 0.1)
    assert total.is_cuda
    sd = {k: v.cpu() for k, v in gpu.state_dict().items()}
    cpu.load_state_dict(sd)
    gpu.cpu()
    assert not any(p.is_cuda for p in gpu.parameters())


def test_layers_created_on_device_and_init():
    _cuda_or_skip()
    lin = nn.Linear(3, 2, device="cuda")
    assert lin.weight.is_cuda and lin.bias.is_cuda
    nn.init.kaiming_normal_(lin.weight)
    assert lin.weight.is_cuda
    out = F.binary_cross_entropy_with_logits(
        lin(gradcli.randn(4, 3, device="cuda")), gradcli.ones(4, 2, device="cuda")
    )
    out.backward()
    assert lin.weight.grad.is_cuda
    assert F.one_hot(gradcli.tensor([0, 2], device="cuda")).is_cuda
