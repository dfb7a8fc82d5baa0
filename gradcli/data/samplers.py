"""Samplers, as in PyTorch: iterables of dataset indices that a `DataLoader` draws from.

Random samplers take a numpy `Generator` (or a seed); without one they seed themselves from
gradcli's global generator, so `gradcli.manual_seed` makes their order reproducible.

>>> loader = DataLoader(ds, batch_size=32, sampler=SubsetRandomSampler(range(100)))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .errors import DataError


def make_generator(generator) -> np.random.Generator:
    """A numpy Generator from a numpy Generator, a gradcli/torch-style Generator, or None."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is not None and hasattr(generator, "initial_seed"):
        return np.random.default_rng(int(generator.initial_seed()))
    if generator is not None:
        raise DataError(
            f"expected a numpy Generator or a Generator with initial_seed(), got "
            f"{type(generator).__name__}"
        )
    from gradcli.factories import default_generator  # lazy: data loads without the engine

    return np.random.default_rng(int(default_generator().integers(2**63)))


class Sampler:
    """Base class: `__iter__` yields indices, `__len__` says how many (when known)."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A permutation per epoch, or `num_samples` draws (with `replacement=True`)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise DataError(f"num_samples should be a positive integer, got {num_samples!r}")
        self.generator = make_generator(generator)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.replacement:
            return iter(self.generator.integers(0, n, self.num_samples).tolist())
        reps = -(-self.num_samples // n) if n else 0
        perms = [self.generator.permutation(n) for _ in range(reps)]
        order = np.concatenate(perms) if perms else np.empty(0, np.int64)
        return iter(order[: self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order each epoch."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = list(indices)
        self.generator = make_generator(generator)

    def __iter__(self) -> Iterator[int]:
        return iter([self.indices[i] for i in self.generator.permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability proportional to `weights`."""

    def __init__(self, weights, num_samples: int, replacement=True, generator=None) -> None:
        w = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, np.float64)
        if w.ndim != 1 or (w < 0).any() or not w.sum() > 0:
            raise DataError("WeightedRandomSampler: weights must be 1-D, non-negative, not all 0")
        if not replacement and num_samples > int((w > 0).sum()):
            raise DataError(
                "WeightedRandomSampler: without replacement, num_samples must not exceed the "
                "number of non-zero weights"
            )
        self.p = w / w.sum()
        self.num_samples = int(num_samples)
        self.replacement = bool(replacement)
        self.generator = make_generator(generator)

    def __iter__(self) -> Iterator[int]:
        draw = self.generator.choice(len(self.p), self.num_samples, self.replacement, self.p)
        return iter(draw.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of `batch_size`."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise DataError(f"batch_size should be a positive integer, got {batch_size!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
