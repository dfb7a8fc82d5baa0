"""Section 1: training-step throughput of gradcli against the numpy reference and PyTorch."""

from __future__ import annotations

import statistics

import gradcli
from benchmarks import torch_ref
from benchmarks.nets import GradcliStep, gradcli_model, numpy_state, random_batch
from benchmarks.numpy_ref import NumpyLeNet, NumpyMLP
from benchmarks.timing import interleave, speed_ratios, summary

REFERENCE = {"mlp": NumpyMLP, "lenet": NumpyLeNet}


class NumpyStep:
    """The numpy reference's step as a runner, with `reset()` like `nets.GradcliStep`."""

    def __init__(self, net, x, y):
        self.net, self.x, self.y = net, x, y
        self._start = net.flat.copy()

    def __call__(self, steps: int = 1) -> None:
        net, x, y = self.net, self.x, self.y
        for _ in range(steps):
            net.step(x, y)

    def reset(self) -> None:
        self.net.flat[...] = self._start
        self.net.flat_momentum.fill(0)


def bench_network(name: str, batch: int, rounds: int, chunk_s: float, use_torch: bool) -> dict:
    """One network at one batch size: samples/s per contender and per-round ratios."""
    x, y = random_batch(batch)
    gradcli.manual_seed(0)
    model = gradcli_model(name)
    state = numpy_state(model)  # the same starting weights everywhere
    runners = {
        "gradcli": GradcliStep(model, x, y),
        "numpy": NumpyStep(REFERENCE[name](batch, params=state), x, y),
    }
    if use_torch:
        runners["torch"] = torch_ref.TorchStep(name, state, x, y)
    times = interleave(runners, rounds, chunk_s)
    result = {
        "network": name,
        "batch": batch,
        "samples_per_s": {k: batch / statistics.median(t) for k, t in times.items()},
        "samples_per_s_rounds": {k: [batch / s for s in t] for k, t in times.items()},
        "ratios": {"gradcli/numpy": summary(speed_ratios(times["gradcli"], times["numpy"]))},
    }
    if use_torch:
        result["ratios"]["gradcli/torch"] = summary(speed_ratios(times["gradcli"], times["torch"]))
        result["ratios"]["numpy/torch"] = summary(speed_ratios(times["numpy"], times["torch"]))
    return result


def run(networks, batches, rounds: int, chunk_s: float, use_torch: bool, progress) -> list[dict]:
    results = []
    for name in networks:
        for batch in batches:
            progress(f"training step: {name} batch {batch}")
            results.append(bench_network(name, batch, rounds, chunk_s, use_torch))
    return results
