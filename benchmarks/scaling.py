"""`python -m benchmarks.scaling`: data-parallel scaling on this machine, MPI ranks vs threads.

For each config (mnist_lenet, mnist_mlp) it measures the training step's throughput, in
samples/s of the global batch, three ways: 1 process with 1 BLAS thread, 1 process with 2
threads, and 2 MPI ranks with 1 thread each; rounds are interleaved so that a change in the
machine's load hits every contender alike. Each worker runs the Trainer's own step (the
rank's slice forward and backward, the bucketed all-reduce, the update) on real batches from
the config's loader, and reports the time spent in all-reduce calls, and what the same
all-reduces take when both ranks are already waiting (the transfer alone).

    python -m benchmarks.scaling --steps 60 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {name: REPO / "configs" / f"mnist_{name}.yaml" for name in ("lenet", "mlp")}
MODES = (
    ("1 process, 1 thread", 1, 1),
    ("1 process, 2 threads", 1, 2),
    ("2 ranks, 1 thread", 2, 1),
)


def worker(config: str, steps: int, threads: int, sets: list[str]) -> None:
    """One rank's measurement; rank 0 prints it as JSON."""
    from threadpoolctl import threadpool_limits

    from benchmarks.mnist import data_overrides
    from gradcli.config.load import load_config
    from gradcli.distributed import detect
    from gradcli.train.trainer import Trainer

    world = detect()
    with tempfile.TemporaryDirectory() as tmp:
        overrides, _ = data_overrides(Path(tmp))
        trainer = Trainer(load_config(config, [*overrides, *sets]), world=world)
    if world.size == 1:
        threadpool_limits(threads)
    reduce_s = [0.0]
    if trainer._sync is not None:
        trainer._sync.reduce = _timed(trainer._sync.reduce, reduce_s)
        world.allreduce_host = _timed(world.allreduce_host, reduce_s)
    step = trainer._step if world.size == 1 else trainer._shared_step
    batches = iter(trainer.train_loader)
    for _ in range(5):  # warm-up: allocator, first calls
        step(*next(batches))
    reduce_s[0] = 0.0
    samples = 0
    started = time.perf_counter()
    for _ in range(steps):
        x, y = next(batches)
        step(x, y)
        samples += x.shape[0]
    wall = time.perf_counter() - started
    alone = 0.0  # the buckets' all-reduce with every rank already waiting: the transfer itself
    if trainer._sync is not None:
        for _ in range(steps):
            world.comm.Barrier()
            t = time.perf_counter()
            trainer._sync.reduce()
            alone += time.perf_counter() - t
    if world.is_main:
        result = {
            "samples_per_s": samples / wall,
            "step_ms": 1e3 * wall / steps,
            "allreduce_ms": 1e3 * reduce_s[0] / steps,
            "transfer_ms": 1e3 * alone / steps,
            "params": sum(p.numel() for p in trainer.model.parameters()),
        }
        print(json.dumps(result))


def _timed(fn, total: list):
    def call(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - t

    return call


def measure(config: Path, ranks: int, threads: int, steps: int, sets: list[str]) -> dict:
    args = ["-m", "benchmarks.scaling", "--worker", str(config), "--steps", str(steps),
            "--threads", str(threads), *[f"--set={s}" for s in sets]]  # fmt: skip
    command = [sys.executable, *args]
    if ranks > 1:
        mpiexec = Path(sys.executable).parent / "mpiexec"
        command = [str(mpiexec), "-n", str(ranks), *command]
    out = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__)
    p.add_argument("--steps", type=int, default=60, help="timed steps per measurement")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    p.add_argument("--only", default="lenet,mlp", help="comma-separated: lenet,mlp")
    p.add_argument(
        "--set", action="append", default=[], help="config override, e.g. data.batch_size=256"
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.steps, args.threads, args.set)
    for name in args.only.split(","):
        runs: dict[str, list[dict]] = {label: [] for label, _, _ in MODES}
        for _ in range(args.rounds):
            for label, ranks, threads in MODES:
                runs[label].append(measure(CONFIGS[name], ranks, threads, args.steps, args.set))
        base = statistics.median(r["samples_per_s"] for r in runs[MODES[0][0]])
        print(f"\n{name} ({runs[MODES[0][0]][0]['params']:,} parameters), median of "
              f"{args.rounds} rounds of {args.steps} steps:")  # fmt: skip
        for label, _, _ in MODES:
            speed = statistics.median(r["samples_per_s"] for r in runs[label])
            step = statistics.median(r["step_ms"] for r in runs[label])
            reduce = statistics.median(r["allreduce_ms"] for r in runs[label])
            transfer = statistics.median(r["transfer_ms"] for r in runs[label])
            extra = ""
            if reduce:  # the target: 2 ranks at >= 0.9 of twice one rank of one thread
                extra = (f"  efficiency {speed / (2 * base):.2f}, all-reduce {reduce:.2f} ms "
                         f"({reduce / step:.1%} of the step; {transfer:.2f} ms of it moving "
                         "data, the rest waiting for the other rank)")  # fmt: skip
            print(f"  {label:22} {speed:8.0f} samples/s  step {step:6.2f} ms  "
                  f"{speed / base:4.2f}x{extra}")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
