"""`DataLoader`: PyTorch's loader (samplers, collate_fn, background workers) over gradcli's
fast path: array-backed data is gathered a whole batch at a time, shuffled by the loader's own
generator, and resumable mid-epoch (`state_dict`, in loader_state.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from gradcli import backend

from .augment import Augmentation
from .collate import default_collate, default_convert
from .datasets import Dataset, Subset, TensorDataset, array_source
from .errors import DataError
from .loader_state import LoaderState
from .prefetch import WorkerPool
from .samplers import make_generator


def _copy_to_gpu(source, device_spec):
    """Array-backed data that fits on a GPU is copied there once, so batches are gathered on
    the device rather than copied over at every step. None when it does not apply."""
    if source is None or device_spec is None:
        return None
    dev = backend.device(device_spec)
    arrays, base = source
    if dev.type != "cuda" or not backend.fits_on_device(sum(a.nbytes for a in arrays), dev):
        return None
    moved = tuple(backend.to_device(a, dev) for a in arrays)
    return moved, None if base is None else backend.to_device(base, dev)


def _cast(batch: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Training dtypes: uint8 is pixel data and floats are features -> the model's `dtype`
    (float32 unless asked otherwise, so nothing promotes a step to float64); other integers ->
    int64 (labels)."""
    if batch.dtype == np.uint8 or np.issubdtype(batch.dtype, np.floating):
        return batch.astype(dtype, copy=False)
    if np.issubdtype(batch.dtype, np.integer) or batch.dtype == np.bool_:
        return batch.astype(np.int64, copy=False)
    return batch


def _float_dtype(dtype) -> np.dtype:
    try:  # None is refused: np.dtype(None) would quietly be float64
        if dtype is not None and np.dtype(dtype).kind == "f":
            return np.dtype(dtype)
    except TypeError:
        pass
    raise DataError(f"DataLoader: dtype must be a float dtype (float32, float64), got {dtype!r}")


_UNSET = object()  # dtype not given: PyTorch-style data keeps its dtypes (see DataLoader)


def _pytorch_style(dataset) -> bool:
    """Data written for PyTorch: a TensorDataset of Tensors or a user's `Dataset` subclass."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset):
        return dataset.from_tensors
    return isinstance(dataset, Dataset)


def _check_options(batch_size, shuffle, sampler, batch_sampler, drop_last, num_workers,
                   prefetch_factor, persistent_workers) -> None:  # fmt: skip
    """PyTorch's argument checks, with its wording."""
    if batch_size is not None and (
        not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool)
        or batch_size < 1
    ):  # fmt: skip
        raise DataError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(num_workers, int) or num_workers < 0:
        raise DataError(
            "num_workers option should be non-negative; use num_workers=0 to disable workers"
        )
    if prefetch_factor is not None and num_workers == 0:
        raise DataError("prefetch_factor option could only be specified with num_workers > 0")
    if persistent_workers and num_workers == 0:
        raise DataError("persistent_workers option needs num_workers > 0")
    if sampler is not None and shuffle:
        raise DataError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (
        batch_size != 1 or shuffle or sampler is not None or drop_last
    ):
        raise DataError(
            "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
            "and drop_last"
        )
    if batch_size is None and drop_last:
        raise DataError("batch_size=None option disables auto-batching and is mutually "
                        "exclusive with drop_last")  # fmt: skip


class DataLoader(LoaderState):
    """Iterate over `dataset` in batches, with PyTorch's arguments.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    >>> for xb, yb in loader: ...

    Two kinds of data, one loader. Data written for PyTorch (a `TensorDataset` built from
    Tensors, a `Dataset` subclass, or any dataset with a `collate_fn`) is batched as PyTorch
    does (`default_collate`: dtypes kept, a list of Tensors per batch). gradcli's own numpy
    data (the trainer's) is batched into a tuple of Tensors cast for training: float and
    uint8 fields to `dtype` (float32 unless given), other integers to int64.

    `num_workers > 0` prepares batches in background threads, `prefetch_factor` (default 2)
    per worker ahead of the loop; `persistent_workers` keeps the threads between epochs.
    `pin_memory` is accepted and has no effect (batches are already in host memory).
    gradcli's own options: `seed`, `device` (where batches go), `dtype`, and `augment`, an
    `Augmentation` applied to the inputs (first field) of every batch; its generator is part
    of `state_dict()`.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True, seed: int | None = None,
                 device: Any = None, dtype: Any = _UNSET,
                 augment: Augmentation | None = None) -> None:  # fmt: skip
        _check_options(batch_size, shuffle, sampler, batch_sampler, drop_last, num_workers,
                       prefetch_factor, persistent_workers)  # fmt: skip
        if generator is not None and seed is not None:
            raise DataError("DataLoader: give either generator or seed, not both")
        self.dtype = np.dtype(np.float32) if dtype is _UNSET else _float_dtype(dtype)
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.drop_last = bool(drop_last)
        self.num_workers, self.timeout = num_workers, timeout or None
        self.prefetch_factor = (prefetch_factor or 2) if num_workers else None
        self.persistent_workers, self.worker_init_fn = bool(persistent_workers), worker_init_fn
        self.pin_memory, self.in_order = bool(pin_memory), in_order
        self.device = device
        self.augment = augment or None
        self.collate_fn = collate_fn
        self._torch = collate_fn is not None or batch_size is None
        self._torch = self._torch or (dtype is _UNSET and _pytorch_style(dataset))
        if generator is not None:
            self.generator = make_generator(generator)
        elif seed is not None or not self.shuffle:
            self.generator = np.random.default_rng(seed)
        else:  # as in PyTorch, the global seed (gradcli.manual_seed) fixes the shuffle
            self.generator = make_generator(None)
        self._source = array_source(dataset)
        if self.augment is not None and len(dataset):  # refuse a wrong shape before step 1
            shape = self._source[0][0].shape[1:] if self._source else np.shape(dataset[0][0])
            self.augment.check(shape)
        self._num_samples = len(dataset)
        self.epoch = 0  # epochs completed
        self._batch_index = 0  # batches handed out in the current epoch
        self._order: np.ndarray | None = None  # sample order of the epoch in progress
        self._planned: list | None = None  # a batch_sampler's batches for the epoch
        self._resume = False  # set by load_state_dict: the next iteration continues the epoch
        self._on_device = None  # the arrays copied to a GPU once (False: they do not fit)
        self._pool: WorkerPool | None = None  # kept between epochs with persistent_workers

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else self._num_samples
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    # -- epoch order ---------------------------------------------------------------------

    def _draw_order(self) -> np.ndarray:
        if self.batch_sampler is not None:
            self._planned = [np.asarray(b, dtype=np.int64) for b in self.batch_sampler]
            sizes = [len(b) for b in self._planned]
            return np.concatenate(self._planned) if sum(sizes) else np.empty(0, np.int64)
        if self.sampler is not None:
            return np.fromiter((int(i) for i in self.sampler), dtype=np.int64)
        if not self.shuffle:
            return np.arange(self._num_samples, dtype=np.int64)
        return self.generator.permutation(self._num_samples).astype(np.int64, copy=False)

    def _epoch_batches(self) -> list[np.ndarray]:
        if self._planned is not None:
            return self._planned
        order, size = self._order, self.batch_size or 1
        n = len(order) // size if self.drop_last else -(-len(order) // size)
        return [order[b * size : (b + 1) * size] for b in range(n)]

    def _start_epoch(self) -> None:
        self._order = self._draw_order()
        self._batch_index = 0

    def _finish_epoch(self) -> None:
        self.epoch += 1
        self._batch_index = 0
        self._order = self._planned = None

    # -- gathering -------------------------------------------------------------------------

    def _device_source(self):
        if self._on_device is None:
            self._on_device = _copy_to_gpu(self._source, self.device) or False
        return self._on_device or self._source

    def _gather(self, positions: np.ndarray, cast: bool = True) -> tuple[np.ndarray, ...]:
        convert = (lambda a: _cast(a, self.dtype)) if cast else (lambda a: a)
        if self._source is not None:
            arrays, base = self._device_source()
            if self._on_device:  # the data lives on the GPU: gather there
                positions = backend.to_device(positions, backend.device(self.device))
            rows = positions if base is None else base[positions]
            xp = backend.get_array_module(arrays[0])
            return tuple(convert(xp.take(a, rows, axis=0)) for a in arrays)
        # Generic dataset: the only place that loops per sample.
        samples = [self.dataset[int(i)] for i in positions]
        if not isinstance(samples[0], (tuple, list)):
            return (convert(np.stack([np.asarray(s) for s in samples])),)
        fields = zip(*samples)
        return tuple(convert(np.stack([np.asarray(v) for v in field])) for field in fields)

    def _collate(self, positions: np.ndarray):
        """A PyTorch-style batch: `collate_fn` (default: `default_collate`) of the samples."""
        if self.batch_size is None:  # no batching: each sample only converted
            return (self.collate_fn or default_convert)(self.dataset[int(positions[0])])
        if self.collate_fn is None and self._source is not None:  # stack whole arrays at once
            import gradcli

            return [gradcli.from_numpy(a) for a in self._gather(positions, cast=False)]
        samples = [self.dataset[int(i)] for i in positions]
        return (self.collate_fn or default_collate)(samples)

    def _batches(self, make) -> Iterator[Any]:
        """The epoch's batches built by `make(positions)`, in workers when asked; the epoch
        bookkeeping (and augmentation, whose draws must stay in order) stays in this thread."""
        if not (self._resume and self._order is not None):
            self._start_epoch()
        self._resume = False
        batches = self._epoch_batches()
        if not batches:
            self._finish_epoch()
            return
        start, jobs = self._batch_index, batches[self._batch_index :]
        if self.num_workers == 0:
            made = map(make, jobs)
        else:
            if self._pool is None:
                seed = int(self.generator.integers(2**31)) if self.shuffle else 0
                self._pool = WorkerPool(self.num_workers, self.dataset, self.worker_init_fn, seed)
            made = self._pool.map_ahead(make, jobs, self.num_workers * self.prefetch_factor,
                                        self.timeout)  # fmt: skip
        try:
            for b, batch in enumerate(made, start=start):
                if self.augment is not None and not self._torch:
                    batch = (self.augment(batch[0]), *batch[1:])
                self._batch_index = b + 1
                # Close the epoch before handing out its last batch, so a checkpoint written
                # after the last step already points at the next epoch.
                if b + 1 == len(batches):
                    self._finish_epoch()
                yield batch
        finally:
            if self._pool is not None and not self.persistent_workers:
                self._pool.close()
                self._pool = None

    def iter_arrays(self) -> Iterator[tuple[np.ndarray, ...]]:
        """Like iterating the loader, but yields numpy arrays cast for training (no engine).

        Each new iteration starts a new epoch (as in PyTorch, so peeking with
        `next(iter(loader))` is harmless), except the first one after `load_state_dict`,
        which finishes the restored epoch.
        """
        return self._batches(self._gather)

    def __iter__(self) -> Iterator[Any]:
        if self._torch:
            yield from self._batches(self._collate)
            return
        import gradcli  # lazy: the engine imports nothing from data, and data loads without it

        for batch in self.iter_arrays():
            tensors = tuple(gradcli.from_numpy(a) for a in batch)
            if self.device is not None:
                tensors = tuple(t.to(self.device) for t in tensors)
            yield tensors
