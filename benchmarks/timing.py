"""Interleaved timing: contenders take turns in short chunks, round after round.

The machine's speed drifts (2-3x when other work shares the cores), so contenders timed one after
the other would compare different machines. Here every round times each contender once, back to
back, in an order that rotates from round to round; the ratio of two contenders is taken within
each round and the median over rounds is reported.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

# Idle time before each chunk: OpenBLAS's and OpenMP's threads busy-wait ~0.1 s after their
# last call before they sleep, and must not spin on the cores the next contender runs on.
SETTLE_S = 0.15
Runner = Callable[[int], object]  # runner(n) does n iterations; may have a reset() method


def _reset(run: Runner) -> None:
    reset = getattr(run, "reset", None)
    if reset is not None:
        reset()


def calibrate(run: Runner, chunk_s: float, warmup: int = 2) -> int:
    """Iterations per batch so that a batch lasts about 1/20 of a chunk (at least 1)."""
    _reset(run)
    run(warmup)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        run(1)
        best = min(best, time.perf_counter() - t0)
    return max(1, min(100_000, round(chunk_s / 20 / max(best, 1e-9))))


def timed_chunk(run: Runner, batch: int, chunk_s: float) -> float:
    """Seconds per iteration over batches of `batch` iterations until `chunk_s` has passed.

    Bounded by time, not by a count fixed in advance: when the machine slows down 10x in the
    middle of a run, a chunk still lasts about `chunk_s`.
    """
    _reset(run)
    n = 0
    t0 = time.perf_counter()
    while True:
        run(batch)
        n += batch
        elapsed = time.perf_counter() - t0
        if elapsed >= chunk_s:
            return elapsed / n


def interleave(runners: dict[str, Runner], rounds: int, chunk_s: float) -> dict[str, list[float]]:
    """Seconds per iteration of each runner, one value per round."""
    batches = {name: calibrate(run, chunk_s) for name, run in runners.items()}
    names = list(runners)
    times = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        gc.collect()  # a collection triggered by one contender must not bill the next one
        for name in names[k:] + names[:k]:
            time.sleep(SETTLE_S)
            times[name].append(timed_chunk(runners[name], batches[name], chunk_s))
    return times


def speed_ratios(a: list[float], b: list[float]) -> list[float]:
    """Per-round `speed(a) / speed(b)`, from seconds per iteration."""
    return [tb / ta for ta, tb in zip(a, b)]


def summary(values: list[float]) -> dict:
    """Median and the spread (min, max) of per-round values."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "rounds": list(values),
    }


def warm_allocator() -> str:
    """Put glibc's malloc in the state a `gradcli` command runs in.

    By default glibc hands large freed blocks back to the OS, so each training step faults its
    large arrays back in (page faults, zeroing) and the LeNet step runs up to 2x slower. The CLI
    calls `gradcli.backend.keep_freed_memory()` at start-up; this does the same, for every
    contender alike (use --cold-allocator to see the other state).
    """
    from gradcli.backend import keep_freed_memory

    if keep_freed_memory():
        return "warm: glibc keeps freed memory for reuse (as the gradcli CLI sets it)"
    return "default allocator (not glibc)"
