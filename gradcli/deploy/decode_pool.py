"""Reading many input files ahead of the model, in worker processes or threads.

Most of the 70-85 us of CPU a small PNG costs is Pillow's Python; only its zlib part releases
the GIL: decoding threads then mostly wait for the GIL, and take it from the thread running the
model too (measured: decode + predict in threads was no
faster than one after the other). So a folder of many files is decoded by worker processes
forked from this one (no start-up imports), keeping one core for the model; a few files, and
platforms without fork, use threads (below PROCESSES_FROM files, forking costs more than it
saves).

    for count, samples in decoded(files, spec, options):   # CHUNK files at a time, in order
        ...
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from gradcli.deploy.image_inputs import ImageOptions
from gradcli.deploy.inputs import InputSpec, Sample, read_file

CHUNK = 512  # files decoded ahead of the model: bounded memory, enough work per worker
PROCESSES_FROM = 1000  # files: for fewer, forking workers costs more than it saves
_SLICE = 64  # files per task: a task's overhead (a Future, pickling) is that of ~1 decode


def decoded(
    files: list, spec: InputSpec, options: ImageOptions, workers: int | None = None,
    processes: bool | None = None,
) -> Iterator[tuple[int, list[Sample]]]:  # fmt: skip
    """(number of files, their samples) for CHUNK files at a time, in order; the next chunk is
    being read while the caller uses this one. `workers=0` reads each chunk in this thread
    when it is asked for (no overlap, the least CPU in all: best when no core is idle).
    `processes`: None picks processes for PROCESSES_FROM files or more where the platform
    forks, True/False forces the choice."""
    if workers == 0:
        for start in range(0, len(files), CHUNK):
            chunk = files[start : start + CHUNK]
            yield len(chunk), read_files(chunk, spec, options)
        return
    pool = _pool(workers, len(files), processes)
    task = _read_packed if isinstance(pool, ProcessPoolExecutor) else read_files
    with pool:
        pending = None
        for start in range(0, len(files), CHUNK):
            chunk = files[start : start + CHUNK]
            slices = [chunk[i : i + _SLICE] for i in range(0, len(chunk), _SLICE)]
            submitted = [(s, pool.submit(task, s, spec, options)) for s in slices]
            if pending is not None:
                yield _collect(pending, spec, options)
            pending = submitted
        if pending is not None:
            yield _collect(pending, spec, options)


def read_files(files, spec: InputSpec, options: ImageOptions) -> list[Sample]:
    """The samples of `files`, in order (what one worker task does)."""
    return [s for f in files for s in read_file(f, spec, options)]


def _read_packed(files, spec: InputSpec, options: ImageOptions):
    """`read_files` for a worker process: names, errors and one stacked array travel back
    (every sample has the model's raw shape), 1.6 us a sample against 11 us pickled one by
    one."""
    samples = read_files(files, spec, options)
    good = [s.x for s in samples if s.error is None]
    return [s.name for s in samples], [s.error for s in samples], np.stack(good) if good else None


def _unpack(packed) -> list[Sample]:
    if isinstance(packed, list):  # from a thread: the samples themselves
        return packed
    names, errors, stack = packed
    rows = iter(stack if stack is not None else ())
    return [Sample(n, None if e else next(rows), e) for n, e in zip(names, errors)]


def _collect(pending, spec, options) -> tuple[int, list[Sample]]:
    out = []
    for files, future in pending:
        try:
            out += _unpack(future.result())
        except BrokenProcessPool:  # a worker died (killed, out of memory): read them here
            out += read_files(files, spec, options)
    return sum(len(files) for files, _ in pending), out


def _pool(workers: int | None, n_files: int, processes: bool | None) -> Executor:
    cores = os.cpu_count() or 1
    if processes is None:
        processes = n_files >= PROCESSES_FROM and cores > 1 and sys.platform == "linux"
    if processes:
        try:
            # fork: the workers start as copies of this process, with nothing to import
            context = multiprocessing.get_context("fork")
            return ProcessPoolExecutor(workers or max(1, min(8, cores - 1)), mp_context=context)
        except (OSError, ValueError, NotImplementedError):
            pass  # no fork or no semaphores here (some sandboxes): threads still work
    return ThreadPoolExecutor(workers or min(8, cores))
