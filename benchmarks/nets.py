"""The two benchmark networks as gradcli models, and random MNIST-shaped batches.

Layer indices match `numpy_ref`'s parameter names (and PyTorch's `nn.Sequential`), so one
state dict of numpy arrays loads into all three implementations.
"""

from __future__ import annotations

import numpy as np

import gradcli
import gradcli.nn as nn

NETWORKS = ("mlp", "lenet")


def gradcli_mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )  # fmt: skip


def gradcli_lenet() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )  # fmt: skip


def gradcli_model(name: str) -> nn.Sequential:
    return {"mlp": gradcli_mlp, "lenet": gradcli_lenet}[name]()


def numpy_state(model) -> dict:
    """A gradcli model's parameters as float32 numpy copies, keyed by state-dict name."""
    return {k: np.array(v._data, dtype=np.float32) for k, v in model.state_dict().items()}


def random_batch(batch_size: int, seed: int = 0):
    """MNIST-shaped float32 images in [0, 1) and int64 labels 0-9."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch_size, dtype=np.int64)
    return x, y


class GradcliStep:
    """A gradcli training step (forward, cross-entropy, backward, SGD with momentum).

    `reset()` puts back the starting weights and forgets the momentum, so that every timed
    chunk computes on the same network state (see `timing.interleave`).
    """

    def __init__(
        self, model, x, y, lr=0.01, momentum=0.9, weight_decay=0.0, opt=None, loss_fn=None
    ):
        self.model = model
        self.loss_fn = loss_fn or nn.CrossEntropyLoss()
        self.opt = opt or gradcli.optim.SGD(
            model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
        )
        self.x, self.y = gradcli.from_numpy(x), gradcli.from_numpy(y)
        self._start = [p._data.copy() for p in model.parameters()]

    def reset(self) -> None:
        for p, start in zip(self.model.parameters(), self._start):
            p._data[...] = start
            p.grad = None
        self.opt.state.clear()

    def __call__(self, steps: int = 1) -> None:
        model, loss_fn, opt, x, y = self.model, self.loss_fn, self.opt, self.x, self.y
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
