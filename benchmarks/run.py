"""`python -m benchmarks.run`: gradcli's speed and memory against numpy and PyTorch.

Sections (pick with --only): mlp and lenet (training-step throughput against the hand-written
numpy reference and PyTorch CPU), ops (per-op engine overhead), memory (tracemalloc peaks),
e2e (`gradcli train` against the bare step). Contenders run interleaved in one process.

    python -m benchmarks.run --quick
    python -m benchmarks.run --only lenet,memory --rounds 11 --out /tmp/bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# numpy, gradcli and torch are imported in main(), after --threads has set the BLAS environment

SECTIONS = ("mlp", "lenet", "ops", "memory", "e2e")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"

# a full run and a --quick one (epoch_batches None: the memory section trains a whole epoch)
FULL = {"rounds": 7, "chunk_s": 0.25, "ops_chunk_s": 0.05, "e2e_steps": 100, "epoch_batches": None}
QUICK = {"rounds": 3, "chunk_s": 0.1, "ops_chunk_s": 0.02, "e2e_steps": 30, "epoch_batches": 10}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few rounds: a smoke run (< 60 s)")
    p.add_argument("--rounds", type=int, help="interleaved rounds per measurement")
    p.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}"
    )
    p.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"JSON file (default {DEFAULT_OUT})"
    )
    p.add_argument("--batches", default="64,256", help="training batch sizes (default 64,256)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if importable")
    p.add_argument(
        "--cold-allocator",
        action="store_true",
        help="skip warming glibc's malloc first (see timing.warm_allocator): large arrays are "
        "then returned to the OS and faulted back in on every step",
    )
    p.add_argument(
        "--threads",
        type=int,
        help="BLAS threads for numpy (and torch); default: the BLAS default (every core). "
        "On a machine shared with other work, 1 avoids threaded BLAS stalling on small products",
    )
    args = p.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        p.error(
            f"--only: unknown section(s) {', '.join(unknown)}; choose from {','.join(SECTIONS)}"
        )
    if args.rounds is not None and args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    try:
        args.batches = [int(b) for b in args.batches.split(",")]
    except ValueError:
        args.batches = []
    if not args.batches or min(args.batches) < 1:
        p.error("--batches: expected comma-separated positive integers, e.g. 64,256")
    return args


def set_threads(threads: int) -> None:
    """Fix the BLAS thread count; effective only before numpy is first imported."""
    if "numpy" in sys.modules:
        raise SystemExit("--threads must be applied before numpy is imported; run as a script")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def environment(use_torch: bool) -> dict:
    import numpy as np

    import gradcli
    from benchmarks import torch_ref

    blas = "unknown BLAS"
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{info['name']} {info.get('version', '')}".strip()
    except Exception:  # older numpy: the BLAS name is only a nicety
        pass
    env = {
        "gradcli": gradcli.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "blas_threads": torch_ref.blas_threads(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_start": _loadavg(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if not use_torch:
        env["torch"] = {"skipped": "--no-torch"}
    elif torch_ref.available():
        env["torch"] = torch_ref.setup()
    else:
        env["torch"] = {"skipped": f"not importable: {torch_ref.IMPORT_ERROR}"}
    return env


def _loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        set_threads(args.threads)
    from rich.console import Console

    import gradcli
    from benchmarks import e2e, memory, ops, report, training
    from benchmarks.timing import warm_allocator

    if args.threads is not None:  # gradcli's own conv/pool workers too, not only BLAS
        gradcli.set_num_threads(args.threads)

    settings = dict(QUICK if args.quick else FULL)
    if args.rounds is not None:
        settings["rounds"] = args.rounds
    rounds = settings["rounds"]
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=132)  # a log file: do not wrap at 80
    status = Console(stderr=True, highlight=False)
    started = time.perf_counter()
    clock = _cpu_clock()

    def progress(message: str) -> None:
        status.print(f"[dim]{time.perf_counter() - started:6.1f}s  {message}[/dim]")

    use_torch = not args.no_torch
    env = environment(use_torch)
    env["allocator"] = "cold (--cold-allocator)" if args.cold_allocator else warm_allocator()
    use_torch = "version" in env["torch"]
    settings.update(only=args.only, quick=args.quick, threads=args.threads, batches=args.batches)
    results = {"settings": settings, "environment": env}
    networks = [n for n in ("mlp", "lenet") if n in args.only]
    if networks:
        results["training"] = training.run(
            networks, args.batches, rounds, settings["chunk_s"], use_torch, progress
        )
    if "ops" in args.only:
        results["ops"] = ops.run(rounds, settings["ops_chunk_s"], progress)
    if "memory" in args.only:
        results["memory"] = memory.run(256, settings["epoch_batches"], progress)
    if "e2e" in args.only:
        results["e2e"] = e2e.run(max(2, (rounds + 1) // 2), settings["e2e_steps"], progress)
    env["loadavg_end"] = _loadavg()
    share = _others_share(clock, _cpu_clock())
    env["other_processes_cpu_share"] = None if share is None else round(share, 3)
    env["busy"] = share is not None and share > 0.1
    env["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.targets(results)
    report.render(results, console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"[dim]{env['seconds']} s; results written to {args.out}[/dim]")
    return 0


def _cpu_clock():
    """(seconds all CPUs spent busy, this process's CPU seconds, wall seconds); the first is
    None where /proc/stat is missing (not Linux)."""
    busy = None
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:8]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait
    except (OSError, ValueError):
        pass
    return busy, time.process_time(), time.perf_counter()


def _others_share(start, end) -> float | None:
    """The share of all CPUs that other processes used between two `_cpu_clock()` samples."""
    if start[0] is None or end[0] is None:
        return None
    others = (end[0] - start[0]) - (end[1] - start[1])
    return max(0.0, others / ((end[2] - start[2]) * (os.cpu_count() or 1)))


if __name__ == "__main__":
    sys.exit(main())
