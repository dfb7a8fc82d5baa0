"""Deterministic weights for the compat scripts: the same in PyTorch and gradcli (no RNG)."""

import torch


def fill_(model, scale=0.1):
    """Every parameter from a sine of its position, in named_parameters() order."""
    with torch.no_grad():
        for i, (_, p) in enumerate(model.named_parameters()):
            n = p.numel()
            values = torch.sin(torch.arange(n, dtype=torch.float32) * 0.37 + i) * scale
            p.copy_(values.reshape(p.shape))


def images(n, seed=0.0):
    """n 1x28x28 'images' and labels 0..9, from sines."""
    x = torch.sin(torch.arange(n * 784, dtype=torch.float32) * 0.013 + seed).reshape(n, 1, 28, 28)
    return x, torch.arange(n) % 10
