"""Splitting a batch over threads, for the numpy kernels of convolution and pooling.

Why: a CNN step spends most of its time in the conv and pool kernels, whose samples are
independent, and numpy releases the GIL inside large copies, ufuncs and matmul calls (issue 15
measured two threads, each taking half of the batch, 1.15x faster on the LeNet's conv+pool block
at batch 64 and 1.43x at batch 256 on two cores). And a kernel that makes several passes over
its data runs faster on slices that stay in cache. This module decides, in one place, whether
and how a batch is split; the ops only say what one slice of it is.

- The thread count comes from the thread policy (`gradcli.threads`), never more, and a thread
  gets a slice only when the slice is big enough to pay for the hand-off.
- Once the kernels use threads, BLAS runs one thread per call (`threads.kernels_take_threads`),
  so that the two counts do not multiply and BLAS's spinning threads do not take their cores.
- Results do not depend on the split: a slice's samples are computed exactly as in one call, and
  sums over the batch are taken by the caller after all slices are done.
- GPU arrays never go to threads (CuPy already queues kernels asynchronously), and are cut
  only into slices large enough that kernel launches stay few: there, slices bound memory.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from gradcli import threads
from gradcli.backend import device_of

MIN_BYTES = 1 << 18  # per thread: less, and the hand-off (~20-50 us) costs what it saves
SLICE_BYTES = 1 << 21  # per slice: small enough to stay in cache between a kernel's passes
GPU_SLICE_BYTES = 1 << 26  # per slice on a GPU: bounds the scratch, not the launches

_pool: ThreadPoolExecutor | None = None
_default_workers: int | None = None


def workers() -> int:
    """Threads the kernels may use: the policy's count, else (no policy set) the available cores,
    read once: `threads.workers()` reads the cgroup files, too slow for every op."""
    global _default_workers
    policy = threads.policy()
    if policy is not None:
        return policy.count
    if _default_workers is None:
        _default_workers = threads.workers()
    return _default_workers


def for_batch(fn, n: int, like, item_bytes: int) -> None:
    """Call `fn(lo, hi)` on consecutive slices that cover the batch [0, n).

    `item_bytes` is what one sample touches (or the scratch it allocates); `like` an array of
    the batch (its device decides). CPU slices hold about SLICE_BYTES: the passes a kernel makes
    over a slice then find it in cache (measured on LeNet's convolutions: 15-25% less time than
    whole-batch passes at batch 256), and a slice's scratch stays small. On the CPU, with enough
    work, threads take the slices in turn: when another process holds up one thread, the
    others take its share instead of waiting for it.

    >>> for_batch(lambda lo, hi: out[lo:hi].fill(1), len(out), out, out[0].nbytes)
    """
    if n == 0:
        return
    parts, cpu = 1, device_of(like).type == "cpu"
    if n > 1 and cpu:
        parts = max(1, min(workers(), n, n * item_bytes // MIN_BYTES))
    count = max(1, -(-n * item_bytes // (SLICE_BYTES if cpu else GPU_SLICE_BYTES)))
    count = min(n, -(-count // parts) * parts)  # a multiple of the threads: balanced
    bounds = [n * i // count for i in range(count + 1)]
    slices = zip(bounds[:-1], bounds[1:])
    if parts == 1:
        for lo, hi in slices:
            fn(lo, hi)
        return
    threads.kernels_take_threads()
    batch = _Batch(fn, slices)
    pool = _executor()
    for _ in range(parts - 1):
        pool.submit(batch.work)
    batch.work()
    batch.wait()


class _Batch:
    """Slices that threads take in turn. The caller waits only for slices in progress: a thread
    that another process keeps from starting (for milliseconds on a busy machine) finds nothing
    left when it does, and nobody waits for it."""

    def __init__(self, fn, slices):
        self.fn, self.slices = fn, iter(slices)
        self.cond = threading.Condition()
        self.busy = 0
        self.error = None

    def work(self):
        while True:
            with self.cond:
                item = next(self.slices, None) if self.error is None else None
                if item is None:
                    return
                self.busy += 1
            try:
                self.fn(*item)
            except BaseException as e:  # raised in the caller's thread by wait()
                with self.cond:
                    self.error = self.error or e
            finally:
                with self.cond:
                    self.busy -= 1
                    self.cond.notify_all()

    def wait(self):
        with self.cond:
            self.cond.wait_for(lambda: self.busy == 0)
        if self.error is not None:
            raise self.error


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        # threads start lazily, only as many as are ever busy at once
        _pool = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="gradcli-kernel")
    return _pool


def _forget_pool():
    # a forked child has none of the parent's threads: start a fresh pool when needed
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
