"""The new layers on CuPy: the same numbers and gradients as on the CPU, kept on the device."""

import copy

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
import gradcli.optim as optim

pytestmark = pytest.mark.gpu


@pytest.fixture(autouse=True)
def _cuda_or_skip():
    if not gradcli.cuda.is_available():
        pytest.skip("needs CuPy and a usable CUDA GPU")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 6, padding_idx=0)
        self.conv = nn.Conv1d(6, 4, 3, padding="same")
        self.ln = nn.LayerNorm(10)
        self.up = nn.ConvTranspose2d(1, 2, 3, stride=2, padding=1, output_padding=1)
        self.gn = nn.GroupNorm(2, 2)

    def forward(self, ids):
        x = self.ln(self.conv(self.emb(ids).transpose(1, 2)))  # (N, 4, 10)
        x = F.interpolate(x.unsqueeze(1), scale_factor=1.5, mode="bilinear")
        x = self.gn(self.up(x))
        x = F.pad(x, (-1, 2, 1, 1), mode="replicate")
        return (x * x).sum()  # not a plain sum: the normalisations would make its gradient 0


def test_layers_match_cpu_and_stay_on_device():
    gradcli.manual_seed(0)
    cpu = Net()
    gpu = copy.deepcopy(cpu).to("cuda")
    ids = gradcli.tensor(np.random.default_rng(0).integers(0, 20, (3, 10)))
    opts = [optim.Adadelta(m.parameters()) for m in (cpu, gpu)]
    for model, opt, x in ((cpu, opts[0], ids), (gpu, opts[1], ids.to("cuda"))):
        loss = model(x)
        loss.backward()
        opt.step()
    for (name, p), q in zip(cpu.named_parameters(), gpu.parameters()):
        assert q.device.type == "cuda" and q.grad.device.type == "cuda", name
        np.testing.assert_allclose(q.grad.cpu().numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)  # fmt: skip
