"""Dataset containers: the `Dataset` protocol, array-backed `TensorDataset`, `Subset` and
`random_split` (optionally stratified).

Array-backed datasets keep whole numpy arrays so the loader can gather a batch with one
fancy-indexing call instead of a Python loop over samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import DataError
from .samplers import make_generator


class Dataset:
    """A map-style dataset, as in PyTorch: subclass it and define `__len__` and `__getitem__`.

    Any object with those two methods works with the `DataLoader`; subclassing this class
    also tells the loader the samples follow PyTorch's conventions (see `DataLoader`).
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("gradcli.") and hasattr(value, "grad_fn")


def _to_numpy(value: Any) -> np.ndarray:
    # Tensors (ours or anyone's) expose .numpy(); cupy arrays expose .get(). Data stays on host.
    if isinstance(value, np.ndarray):
        return value
    if _is_tensor(value):  # a tensor that requires grad, or lives on a GPU, is data here too
        return np.asarray(value.detach().cpu().numpy())
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    if hasattr(value, "get") and hasattr(value, "__cuda_array_interface__"):
        return value.get()
    return np.asarray(value)


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays: `TensorDataset(x, y)[i] == (x[i], y[i])`.

    Items are gradcli Tensors, as in PyTorch; the rows are kept as numpy arrays (`.arrays`) so
    the loader gathers a whole batch with one indexing call.

    >>> ds = TensorDataset(np.zeros((4, 2)), np.arange(4))
    >>> len(ds), ds[1][1]
    (4, tensor(1))
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise DataError("TensorDataset needs at least one array, e.g. TensorDataset(x, y)")
        # built from Tensors: a PyTorch script's data, batched with PyTorch's dtypes (see loader)
        self.from_tensors = all(_is_tensor(a) for a in arrays)
        self.arrays: tuple[np.ndarray, ...] = tuple(_to_numpy(a) for a in arrays)
        lengths = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise DataError(
                f"TensorDataset: arrays must share their first dimension, got shapes {shapes}; "
                "pass one row per sample in every array"
            )

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        import gradcli  # lazy: data loads without the engine

        return tuple(gradcli.from_numpy(np.asarray(a[index])) for a in self.arrays)

    @property
    def tensors(self) -> tuple[Any, ...]:
        """The whole arrays as Tensors (PyTorch's attribute name)."""
        import gradcli

        return tuple(gradcli.from_numpy(a) for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """A view of `dataset` restricted to `indices` (in that order)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise DataError(
                f"Subset: indices must lie in [0, {n}) for a dataset of {n} samples, "
                f"got range [{idx.min()}, {idx.max()}]"
            )
        self.dataset = dataset
        self.indices = np.where(idx < 0, idx + n, idx)

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __repr__(self) -> str:
        return f"Subset({self.dataset!r}, {len(self)} samples)"


class ConcatDataset(Dataset):
    """Several datasets one after the other (`ds_a + ds_b`)."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise DataError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a dataset of {n} samples")
        index = index + n if index < 0 else index
        part = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


def array_source(dataset: Dataset) -> tuple[tuple[np.ndarray, ...], np.ndarray | None] | None:
    """Return `(arrays, indices)` when `dataset` can be gathered in one go, else None.

    `indices` is None for a plain array-backed dataset; nested Subsets compose their indices
    so the loader still makes a single `arrays[k][indices[batch]]` call per array.
    """
    if isinstance(dataset, Subset):
        inner = array_source(dataset.dataset)
        if inner is None:
            return None
        arrays, base = inner
        return arrays, (dataset.indices if base is None else base[dataset.indices])
    arrays = getattr(dataset, "arrays", None)
    if isinstance(arrays, tuple) and arrays and all(isinstance(a, np.ndarray) for a in arrays):
        return arrays, None
    return None


def _resolve_lengths(lengths: Sequence[float], n: int) -> list[int]:
    values = list(lengths)
    if not values or any(v < 0 for v in values):
        raise DataError(f"random_split: lengths must be non-negative and non-empty, got {values}")
    if all(isinstance(v, (int, np.integer)) for v in values):
        if sum(values) != n:
            raise DataError(
                f"random_split: lengths {values} sum to {sum(values)} but the dataset has {n} "
                "samples; give counts that add up to the dataset size, or fractions summing to 1"
            )
        return [int(v) for v in values]
    if abs(sum(values) - 1.0) > 1e-6:
        raise DataError(f"random_split: fractions {values} must sum to 1, got {sum(values):g}")
    counts = [int(np.floor(n * f)) for f in values]
    # Hand the rounding remainder out one by one, as PyTorch does, so counts sum to n.
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def _spread(counts: list[int]) -> np.ndarray:
    """Part id per position, each part's positions spread evenly over the whole range.

    Part p's k-th slot sits at (k + 0.5) / counts[p]; sorting those keys interleaves parts
    so any contiguous run of positions holds each part in proportion (within one sample).
    """
    keys = np.concatenate([(np.arange(c) + 0.5) / c for c in counts if c])
    parts = np.repeat(np.arange(len(counts)), counts)
    return parts[np.argsort(keys, kind="stable")]


def split_indices(
    n: int,
    lengths: Sequence[float],
    seed: int | None = None,
    stratify: Any = None,
    generator: np.random.Generator | None = None,
) -> list[np.ndarray]:
    """Shuffled index arrays, one per part; with `stratify` (labels) class shares are kept."""
    counts = _resolve_lengths(lengths, n)
    rng = generator if generator is not None else np.random.default_rng(seed)
    if stratify is None:
        perm = rng.permutation(n)
        return [perm[a:b] for a, b in zip(np.cumsum([0] + counts[:-1]), np.cumsum(counts))]
    labels = _to_numpy(stratify)
    if labels.ndim > 1:  # one-hot or (N, 1) labels: stratify on the class id
        labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0]
    if labels.shape[0] != n:
        raise DataError(f"random_split: stratify has {labels.shape[0]} labels for {n} samples")
    # Group samples by class (random order inside each class), then deal the class-sorted
    # sequence out to parts using an evenly interleaved pattern of part ids.
    order = np.lexsort((rng.random(n), labels))
    owner = _spread(counts)
    return [rng.permutation(order[owner == p]) for p in range(len(counts))]


def random_split(
    dataset: Dataset,
    lengths: Sequence[float],
    seed: int | None = None,
    stratify: Any = None,
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Split into non-overlapping random Subsets by counts or fractions.

    >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val)
    (8, 2)
    """
    if seed is None and generator is None:  # gradcli.manual_seed makes the split repeatable
        generator = make_generator(None)
    elif generator is not None:
        generator = make_generator(generator)  # also a gradcli/torch-style Generator
    parts = split_indices(len(dataset), lengths, seed, stratify, generator)
    return [Subset(dataset, idx) for idx in parts]
