"""Section 2: the engine's per-op overhead on small tensors, against the same numpy calls.

Three contenders per op: raw numpy, gradcli on tensors that do not require grad (dispatch and
wrapping only), and gradcli on tensors that do (the graph node is recorded too).
"""

from __future__ import annotations

import statistics

import numpy as np

import gradcli
from benchmarks.timing import interleave, speed_ratios, summary

SIZE = 16


def _tiny_graph_numpy(x, w, b, c):
    z = x @ w + b
    h = np.maximum(z, 0)
    (h * c).sum()
    gz = c * (z > 0)
    return x.T @ gz, gz.sum(axis=0)


def _tiny_graph_gradcli(x, w, b, c):
    ((x @ w + b).relu() * c).sum().backward()
    w.grad = b.grad = None  # what zero_grad does, so gradients do not accumulate


def _cases(rng):
    a, b = rng.standard_normal((2, SIZE, SIZE), dtype=np.float32)
    bias = rng.standard_normal(SIZE, dtype=np.float32)
    plain = gradcli.from_numpy(a), gradcli.from_numpy(b)
    tracked = gradcli.tensor(a, requires_grad=True), gradcli.tensor(b, requires_grad=True)
    graph_np = (a, b, bias, b)
    graph_gc = (
        gradcli.from_numpy(a),
        gradcli.tensor(b, requires_grad=True),
        gradcli.tensor(bias, requires_grad=True),
        gradcli.from_numpy(b),
    )
    binary = {
        "add": lambda p, q: p + q,
        "mul": lambda p, q: p * q,
        "matmul": lambda p, q: p @ q,
    }
    cases = {}
    for name, fn in binary.items():
        cases[name] = (fn, (a, b), fn, plain, tracked)
    cases["relu"] = (lambda p: np.maximum(p, 0), (a,), lambda p: p.relu(), plain[:1], tracked[:1])
    cases["sum"] = (lambda p: p.sum(), (a,), lambda p: p.sum(), plain[:1], tracked[:1])
    cases["fwd+bwd tiny graph"] = (_tiny_graph_numpy, graph_np, _tiny_graph_gradcli, None, graph_gc)
    return cases


def _loop(fn, args):
    def run(n: int) -> None:
        for _ in range(n):
            fn(*args)

    return run


def run(rounds: int, chunk_s: float, progress) -> list[dict]:
    progress("per-op overhead")
    results = []
    for name, (np_fn, np_args, gc_fn, plain, tracked) in _cases(np.random.default_rng(0)).items():
        runners = {"numpy": _loop(np_fn, np_args)}
        if plain is not None:
            runners["gradcli"] = _loop(gc_fn, plain)
        runners["gradcli (grad)"] = _loop(gc_fn, tracked)
        times = interleave(runners, rounds, chunk_s)
        row = {
            "op": name,
            "shape": [SIZE, SIZE],
            "us": {k: 1e6 * statistics.median(t) for k, t in times.items()},
            "slowdown": {},
        }
        for k in runners:
            if k != "numpy":
                row["slowdown"][k] = summary(speed_ratios(times["numpy"], times[k]))
        results.append(row)
    return results
