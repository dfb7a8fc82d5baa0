"""Background batch preparation for `DataLoader(num_workers > 0)`: a pool of worker threads.

Threads rather than processes: a batch is numpy work (indexing, stacking, decoding arrays)
and numpy releases the GIL in it, so threads overlap it with the training step without
pickling datasets or batches between processes. `prefetch_factor` batches per worker are
prepared ahead, and batches come back in order.

>>> with WorkerPool(num_workers=2) as pool:
...     for batch in pool.map_ahead(make_batch, jobs, ahead=4): ...
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

_local = threading.local()


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker (PyTorch's fields)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


def get_worker_info() -> WorkerInfo | None:
    """The calling worker's info, or None in the main thread (as in PyTorch)."""
    return getattr(_local, "info", None)


class WorkerPool:
    """`num_workers` threads; each runs `worker_init_fn(worker_id)` once when it starts."""

    def __init__(self, num_workers: int, dataset=None, worker_init_fn=None, base_seed: int = 0):
        ids = itertools.count()

        def start() -> None:
            worker_id = next(ids)
            _local.info = WorkerInfo(worker_id, num_workers, base_seed + worker_id, dataset)
            if worker_init_fn is not None:
                worker_init_fn(worker_id)

        self._executor = ThreadPoolExecutor(num_workers, "gradcli-loader", initializer=start)

    def map_ahead(
        self, fn: Callable[[Any], Any], jobs: Iterable[Any], ahead: int, timeout=None
    ) -> Iterator[Any]:
        """`fn(job)` for each job, in order, keeping up to `ahead` jobs in flight."""
        pending: deque = deque()
        jobs = iter(jobs)
        try:
            for job in itertools.islice(jobs, ahead):
                pending.append(self._executor.submit(fn, job))
            while pending:
                result = pending.popleft().result(timeout=timeout)
                for job in itertools.islice(jobs, 1):  # keep the queue full
                    pending.append(self._executor.submit(fn, job))
                yield result
        finally:  # the consumer stopped early (break) or a batch failed: drop what is queued
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
