"""`DataLoader`: batches of whole arrays, shuffled by its own seeded generator, resumable.

The loader is stateful, like a checkpointable iterator: it remembers which epoch it is in,
that epoch's sample order and how many batches of it it has handed out, so `state_dict()` taken
mid-epoch and loaded into a fresh loader continues with exactly the batches the original would
have yielded.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np

from gradcli import backend

from .augment import Augmentation
from .datasets import Dataset, array_source
from .errors import DataError


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


class DataLoader:
    """Iterate over `dataset` in batches; each batch is a tuple of `gradcli` Tensors.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    >>> for xb, yb in loader: ...

    `dtype`: what float and uint8 fields become (the model's dtype: float32 or float64).
    `augment`: an `Augmentation` applied to the inputs (first field) of every batch; only a
    training loader gets one. Its generator is part of `state_dict()`.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
        device: Any = None,
        dtype: Any = np.float32,
        augment: Augmentation | None = None,
    ) -> None:
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise DataError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        if generator is not None and seed is not None:
            raise DataError("DataLoader: give either generator or seed, not both")
        self.dtype = _float_dtype(dtype)
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.device = device
        self.augment = augment or None
        self.generator = generator if generator is not None else np.random.default_rng(seed)
        self._source = array_source(dataset)
        if self.augment is not None and len(dataset):  # refuse a wrong shape before step 1
            sample = dataset[0]
            self.augment.check(np.shape(sample[0] if isinstance(sample, (tuple, list)) else sample))
        self._num_samples = len(dataset)
        self.epoch = 0  # epochs completed
        self._batch_index = 0  # batches handed out in the current epoch
        self._order: np.ndarray | None = None  # sample order of the epoch in progress
        self._resume = False  # set by load_state_dict: the next iteration continues the epoch
        self._on_device = None  # the arrays copied to a GPU once (False: they do not fit)

    def __len__(self) -> int:
        if self.drop_last:
            return self._num_samples // self.batch_size
        return -(-self._num_samples // self.batch_size)

    # -- epoch order ---------------------------------------------------------------------

    def _draw_order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self._num_samples, dtype=np.int64)
        return self.generator.permutation(self._num_samples).astype(np.int64, copy=False)

    def _start_epoch(self) -> None:
        self._order = self._draw_order()
        self._batch_index = 0

    def _finish_epoch(self) -> None:
        self.epoch += 1
        self._batch_index = 0
        self._order = None

    # -- gathering -------------------------------------------------------------------------

    def _device_source(self):
        if self._on_device is None:
            self._on_device = _copy_to_gpu(self._source, self.device) or False
        return self._on_device or self._source

    def _gather(self, positions: np.ndarray) -> tuple[np.ndarray, ...]:
        if self._source is not None:
            arrays, base = self._device_source()
            if self._on_device:  # the data lives on the GPU: gather there
                positions = backend.to_device(positions, backend.device(self.device))
            rows = positions if base is None else base[positions]
            xp = backend.get_array_module(arrays[0])
            return tuple(_cast(xp.take(a, rows, axis=0), self.dtype) for a in arrays)
        # Generic dataset: the only place that loops per sample.
        samples = [self.dataset[int(i)] for i in positions]
        if not isinstance(samples[0], (tuple, list)):
            return (_cast(np.stack([np.asarray(s) for s in samples]), self.dtype),)
        fields = zip(*samples)
        return tuple(
            _cast(np.stack([np.asarray(v) for v in field]), self.dtype) for field in fields
        )

    def iter_arrays(self) -> Iterator[tuple[np.ndarray, ...]]:
        """Like iterating the loader, but yields numpy arrays (no engine needed).

        Each new iteration starts a new epoch (as in PyTorch, so peeking with
        `next(iter(loader))` is harmless), except the first one after `load_state_dict`,
        which finishes the restored epoch.
        """
        if not (self._resume and self._order is not None):
            self._start_epoch()
        self._resume = False
        order, n_batches = self._order, len(self)
        if n_batches == 0:
            self._finish_epoch()
            return
        for b in range(self._batch_index, n_batches):
            batch = self._gather(order[b * self.batch_size : (b + 1) * self.batch_size])
            if self.augment is not None:  # drawn before yielding: a checkpoint follows the draw
                batch = (self.augment(batch[0]), *batch[1:])
            self._batch_index = b + 1
            # Close the epoch before handing out its last batch, so a checkpoint written after
            # the last step already points at the next epoch.
            if b + 1 == n_batches:
                self._finish_epoch()
            yield batch

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        import gradcli  # lazy: the engine imports nothing from data, and data loads without it

        for batch in self.iter_arrays():
            tensors = tuple(gradcli.from_numpy(a) for a in batch)
            if self.device is not None:
                tensors = tuple(t.to(self.device) for t in tensors)
            yield tensors

    # -- checkpointing ---------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Plain-Python state (JSON-serialisable): generator, epoch and position in it.

        Mid-epoch, the epoch's shuffled order is stored as a list rather than redrawn on load,
        so resuming does not depend on numpy drawing the same permutation in another version.
        """
        in_epoch = self._order is not None
        return {
            "num_samples": self._num_samples,
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "epoch": self.epoch,
            "in_epoch": in_epoch,
            "batch_index": self._batch_index if in_epoch else 0,
            "order": self._order.tolist() if in_epoch and self.shuffle else None,
            "rng_state": copy.deepcopy(self.generator.bit_generator.state),
            "augment": self.augment.state_dict() if self.augment is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a `state_dict()`; the next iteration resumes exactly where it stopped."""
        mine = {
            "num_samples": self._num_samples,
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
        }
        for key, value in mine.items():
            if state.get(key) != value:
                raise DataError(
                    f"DataLoader.load_state_dict: saved {key}={state.get(key)!r} but this loader "
                    f"has {key}={value!r}; resume with the same dataset and loader settings"
                )
        saved_augment = state.get("augment")
        if (saved_augment is None) != (self.augment is None):
            saved = "with" if saved_augment is not None else "without"
            raise DataError(
                f"DataLoader.load_state_dict: the state was saved {saved} augmentation but this "
                f"loader has {'none' if self.augment is None else 'some'}; resume with the same "
                "data.augment"
            )
        if self.augment is not None:
            self.augment.load_state_dict(saved_augment)
        order = None
        if state["in_epoch"] and not self.shuffle:
            order = np.arange(self._num_samples, dtype=np.int64)
        elif state["in_epoch"]:
            saved = state.get("order")
            order = np.asarray([] if saved is None else saved, dtype=np.int64)
            if order.shape != (self._num_samples,):
                raise DataError(
                    "DataLoader.load_state_dict: a mid-epoch state of a shuffling loader "
                    f"needs 'order' with {self._num_samples} entries"
                )
        try:
            self.generator.bit_generator.state = copy.deepcopy(state["rng_state"])
        except (ValueError, TypeError, KeyError) as exc:
            kind = type(self.generator.bit_generator).__name__
            raise DataError(
                f"DataLoader.load_state_dict: cannot restore the generator state ({exc}); "
                f"was it saved from a loader whose generator is not a {kind}?"
            ) from None
        self.epoch = int(state["epoch"])
        self._order = order
        self._batch_index = int(state["batch_index"]) if order is not None else 0
        self._resume = True
