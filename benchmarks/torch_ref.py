"""PyTorch CPU versions of the benchmark networks (optional: used only when torch imports).

Torch runs on as many threads as numpy's BLAS (`os.cpu_count()` unless OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS or MKL_NUM_THREADS says otherwise), so neither side gets more cores.
"""

from __future__ import annotations

import os

try:  # torch is optional: the benchmark reports "skipped" without it
    import torch
except ImportError as exc:  # pragma: no cover - depends on the environment
    torch = None
    IMPORT_ERROR = f"{type(exc).__name__}: {exc}"
else:
    IMPORT_ERROR = None


def blas_threads() -> int:
    """The thread count numpy's BLAS uses (its environment variable, else every core)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def available() -> bool:
    return torch is not None


def setup() -> dict:
    """Pin torch's intra-op threads to numpy's; describe the setup for the report."""
    threads = blas_threads()
    torch.set_num_threads(threads)
    return {"version": torch.__version__, "threads": torch.get_num_threads()}


def model(name: str):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256), nn.ReLU(),
            nn.Linear(256, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )  # fmt: skip
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )  # fmt: skip


class TorchStep:
    """A torch training step on fixed float32 tensors; weights from a numpy state dict."""

    def __init__(self, name, state: dict, x, y, lr=0.01, momentum=0.9):
        self.model = model(name)
        with torch.no_grad():
            for key, p in self.model.state_dict().items():
                p.copy_(torch.from_numpy(state[key]))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self._start = {k: v.clone() for k, v in self.model.state_dict().items()}

    def reset(self) -> None:
        """The starting weights back, no momentum (as `nets.GradcliStep.reset`)."""
        self.model.load_state_dict(self._start)
        self.opt.zero_grad(set_to_none=True)
        self.opt.state.clear()

    def __call__(self, steps: int = 1) -> None:
        model, opt, x, y = self.model, self.opt, self.x, self.y
        ce = torch.nn.functional.cross_entropy
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            loss = ce(model(x), y)
            loss.backward()
            opt.step()
