"""`python -m benchmarks.profiling`: where a gradcli training step spends its time, per kernel.

Three views of the same step (forward, cross-entropy, backward, SGD with momentum):

1. phases of the gradcli step (forward + loss, backward, optimizer) and its minor page faults
   per step, next to the numpy reference's;
2. kernels: every gradcli `Function.forward`/`backward` timed per op class, next to the numpy
   reference's matching kernel, and what is left over (graph building, the backward engine,
   module calls, argument checks, freeing arrays) as "engine bookkeeping";
3. cProfile's top functions by own time, for what the first two do not name.

Timers wrap the methods at run time (nothing in gradcli is changed); they add well under a
microsecond per call. gradcli and the reference step in turns, but one step is short against
the machine's drift only on a quiet machine: prefer one, and `OPENBLAS_NUM_THREADS=1`. On a
busy machine, `--clock cpu` times with the process's CPU time (all its threads) instead of the
wall clock: time spent waiting for a core is left out, so the per-kernel costs stay comparable
(but a kernel that runs on two threads then shows its CPU cost, not its wall time).

    python -m benchmarks.profiling --network lenet --batch 64
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import resource
import time
from collections import defaultdict

from rich.console import Console
from rich.table import Table

import gradcli
from benchmarks import numpy_ref
from benchmarks.nets import GradcliStep, gradcli_model, numpy_state, random_batch
from benchmarks.timing import warm_allocator
from benchmarks.training import REFERENCE
from gradcli.autograd.function import Function

# gradcli op class -> the numpy reference's kernels doing the same work
MATCHING = {
    "Convolution": ("_Conv.forward", "_Conv.backward"),
    "MaxPool2D": ("_MaxPool2.forward", "_MaxPool2.relu_backward"),
    "Relu": ("_relu_", "_relu_backward_"),
    "Linear": ("_linear", "_linear_backward"),
    "NllLoss": ("_Net._loss", None),
}
CLOCK = [time.perf_counter]  # or time.process_time (--clock cpu)
REF_FUNCTIONS = ("_linear", "_linear_backward", "_relu_", "_relu_backward_")
REF_METHODS = (
    (numpy_ref._Conv, "forward"), (numpy_ref._Conv, "backward"),
    (numpy_ref._MaxPool2, "forward"), (numpy_ref._MaxPool2, "relu_backward"),
    (numpy_ref._Net, "_loss"), (numpy_ref._Net, "sgd_step"),
)  # fmt: skip


class Timers:
    """Accumulated seconds and calls per label."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)

    def wrap(self, label, fn):
        seconds, calls = self.seconds, self.calls

        def timed(*args, **kwargs):
            t0 = CLOCK[0]()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[label] += CLOCK[0]() - t0
                calls[label] += 1

        return timed


def _function_classes():
    todo, seen = [Function], []
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


@contextlib.contextmanager
def _patched(pairs):
    """Temporarily replace (owner, name, new) attributes; restore them afterwards."""
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in pairs]
    try:
        for owner, name, new in pairs:
            setattr(owner, name, new)
        yield
    finally:
        for owner, name, old in saved:
            setattr(owner, name, old)


def _gradcli_patches(timers, step):
    pairs = []
    for cls in _function_classes():
        for method in ("forward", "backward"):
            if method in cls.__dict__:
                label = f"{cls.__name__}.{method}"
                pairs.append((cls, method, timers.wrap(label, cls.__dict__[method])))
    owner = next(c for c in type(step.opt).__mro__ if "step" in c.__dict__)
    pairs.append((owner, "step", timers.wrap("optimizer.step", owner.__dict__["step"])))
    return pairs


def _reference_patches(timers):
    pairs = [(numpy_ref, f, timers.wrap(f, getattr(numpy_ref, f))) for f in REF_FUNCTIONS]
    for owner, name in REF_METHODS:
        label = f"{owner.__name__}.{name}"
        pairs.append((owner, name, timers.wrap(label, owner.__dict__[name])))
    return pairs


def kernels(step, net, x, y, steps: int):
    """Per-kernel timers and total seconds of gradcli and of the reference, stepping in turns
    (one gradcli step, one reference step, ...) so that drift hits both alike."""
    g, r = Timers(), Timers()
    totals = {"gradcli": 0.0, "numpy": 0.0}
    with _patched(_gradcli_patches(g, step) + _reference_patches(r)):
        step(2)
        net.step(x, y)
        for t in (g, r):
            t.seconds.clear()
            t.calls.clear()
        for _ in range(steps):
            t0 = CLOCK[0]()
            step(1)
            t1 = CLOCK[0]()
            net.step(x, y)
            totals["gradcli"] += t1 - t0
            totals["numpy"] += CLOCK[0]() - t1
    return g, totals["gradcli"], r, totals["numpy"]


def phases(step, steps: int) -> dict:
    """Median milliseconds of forward (with the loss), backward and the optimizer."""
    model, loss_fn, opt, x, y = step.model, step.loss_fn, step.opt, step.x, step.y
    parts = defaultdict(list)
    for _ in range(steps):
        t0 = CLOCK[0]()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        t1 = CLOCK[0]()
        loss.backward()
        t2 = CLOCK[0]()
        opt.step()
        t3 = CLOCK[0]()
        parts["forward + loss"].append(t1 - t0)
        parts["backward"].append(t2 - t1)
        parts["zero_grad + optimizer step"].append(t3 - t2)
    return {k: 1e3 * sorted(v)[len(v) // 2] for k, v in parts.items()}


def page_faults(run, steps: int) -> float:
    """Minor page faults per call of `run()`: fresh memory the kernel had to map in.

    Many per step means large arrays are returned to the OS when freed and faulted back in
    on the next allocation (glibc's malloc serves big blocks with mmap/munmap).
    """
    run()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps


def _ms(seconds, steps):
    return f"{1e3 * seconds / steps:.3f}"


def report(network: str, batch: int, steps: int, top: int, console: Console, threads=None) -> None:
    x, y = random_batch(batch)
    gradcli.manual_seed(0)
    model = gradcli_model(network)
    step = GradcliStep(model, x, y)
    net = REFERENCE[network](batch, params=numpy_state(model), threads=threads)
    step(3)
    ph = phases(step, steps)
    g, g_total, r, r_total = kernels(step, net, x, y, steps)
    faults_g = page_faults(lambda: step(1), steps)
    faults_r = page_faults(lambda: net.step(x, y), steps)
    console.print(
        f"[bold]{network} batch {batch}[/bold]: gradcli {_ms(g_total, steps)} ms/step, "
        f"numpy-ref {_ms(r_total, steps)} ms/step (timers on; {steps} steps each, in turns)"
    )
    console.print(
        "  gradcli phases (ms, median): " + ", ".join(f"{k} {v:.3f}" for k, v in ph.items())
    )
    console.print(
        f"  minor page faults per step: gradcli {faults_g:,.0f} (~{faults_g * 4 / 1024:,.1f} MiB "
        f"mapped afresh), numpy-ref {faults_r:,.0f}"
    )

    table = Table(title="kernels, ms per step (calls per step)", title_justify="left")
    for col in ("gradcli op", "gradcli", "numpy-ref kernel", "numpy-ref", "gradcli / ref"):
        table.add_column(col, justify="left" if "kernel" in col or "op" in col else "right")
    kernel_total = 0.0
    for label in sorted(g.seconds, key=g.seconds.get, reverse=True):
        sec = g.seconds[label]
        kernel_total += sec if label != "optimizer.step" else 0.0
        cls, _, method = label.partition(".")
        match = MATCHING.get(cls, (None, None))
        ref_label = {"forward": match[0], "backward": match[1]}.get(method)
        if label == "optimizer.step":
            ref_label = "_Net.sgd_step"
        ref_sec = r.seconds.get(ref_label) if ref_label else None
        table.add_row(
            f"{label} ({g.calls[label] // steps})",
            _ms(sec, steps),
            f"{ref_label} ({r.calls[ref_label] // steps})" if ref_sec is not None else "-",
            _ms(ref_sec, steps) if ref_sec is not None else "-",
            f"{sec / ref_sec:.2f}" if ref_sec else "-",
        )
    other = g_total - kernel_total - g.seconds.get("optimizer.step", 0.0)
    table.add_row("engine bookkeeping (the rest)", _ms(other, steps), "", "", "")
    console.print(table)
    console.print(
        "  [dim]numpy-ref's ReLU backward after each pool is folded into "
        "_MaxPool2.relu_backward; its loss gradient is part of _Net._loss[/dim]"
    )

    if top <= 0:
        return
    prof = cProfile.Profile()
    prof.enable()
    step(steps)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    console.print(f"  cProfile, top {top} by own time over {steps} steps:")
    for ln in lines[start : start + top + 1]:
        console.print("  " + ln, markup=False)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.profiling", description=__doc__.split("\n")[0]
    )
    p.add_argument("--network", default="mlp,lenet", help="mlp, lenet or both (default)")
    p.add_argument("--batch", default="64,256", help="batch sizes (default 64,256)")
    p.add_argument("--steps", type=int, default=30, help="steps per measurement")
    p.add_argument("--top", type=int, default=15, help="cProfile lines to show")
    p.add_argument(
        "--threads",
        type=int,
        help="gradcli.set_num_threads(N) (BLAS threads and gradcli's conv/pool workers) and the "
        "numpy reference's threads (default: every available core; the reference: BLAS's count)",
    )
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: elapsed time; cpu: the process's CPU time, steadier on a busy machine",
    )
    p.add_argument(
        "--cold-allocator", action="store_true", help="skip warming glibc's malloc (see timing)"
    )
    args = p.parse_args(argv)
    if not args.cold_allocator:
        warm_allocator()
    if args.threads is not None:
        gradcli.set_num_threads(args.threads)
    CLOCK[0] = time.process_time if args.clock == "cpu" else time.perf_counter
    console = Console(highlight=False, width=132)
    for network in args.network.split(","):
        for batch in args.batch.split(","):
            report(network.strip(), int(batch), args.steps, args.top, console, args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
