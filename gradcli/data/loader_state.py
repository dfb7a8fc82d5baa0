"""The `DataLoader`'s checkpoint half: where an epoch stands, as plain JSON-able state.

The loader is stateful, like a checkpointable iterator: it remembers which epoch it is in,
that epoch's sample order and how many batches of it it has handed out, so `state_dict()` taken
mid-epoch and loaded into a fresh loader continues with exactly the batches the original would
have yielded.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .errors import DataError


class LoaderState:
    """Mixed into `DataLoader` (kept apart so loader.py reads as batching only)."""

    def state_dict(self) -> dict[str, Any]:
        """Plain-Python state (JSON-serialisable): generator, epoch and position in it.

        Mid-epoch, the epoch's shuffled order is stored as a list rather than redrawn on load,
        so resuming does not depend on numpy drawing the same permutation in another version.
        """
        if self.batch_sampler is not None or self.sampler is not None:
            raise DataError("DataLoader.state_dict: not available with a sampler or batch_sampler")
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
