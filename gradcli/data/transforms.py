"""Transforms chosen by name in the config and applied once to whole arrays.

Applying a transform once to the whole in-memory dataset (rather than per batch) costs a
single vectorised pass at load time, so each training step only gathers rows. For datasets
that fit in memory (MNIST: 188 MB as float32) this is the fastest option; transforms keep
float32 float32 so nothing promotes the model to float64.

Stateful transforms (normalise without given mean/std) are fitted on the training rows only,
then the same statistics are applied to every split.

>>> pipe = build_transforms(["scale", {"type": "normalize"}, "flatten"])
>>> x_train, y_train = pipe.fit_apply(x, y, index=train_indices)
>>> x_test, y_test = pipe(x_test, y_test)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .components import (
    BadOption,
    CaseBlindRegistry,
    construct,
    numbers,
    parse_list,
    positive_number,
)
from .errors import DataError

_CHUNK = 1024  # rows per chunk for statistics: small float64 temporaries that malloc reuses


class _TransformRegistry(CaseBlindRegistry):
    def _add(self, name, entry):
        entry.name = name  # what `spec()` writes, so the registration line is the one place
        super()._add(name, entry)


# Adding a transform: a Transform subclass below with a `@TRANSFORMS.register(name)` line.
# Names ignore case, in registration and lookup alike.
TRANSFORMS: CaseBlindRegistry[type[Transform]] = _TransformRegistry("transform", error=DataError)


class Transform:
    """Base: `fit` learns state from training rows (default: nothing); `__call__` applies."""

    name = "transform"

    def fit(self, x: np.ndarray, y: np.ndarray, index: np.ndarray | None = None) -> None:
        return None

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def apply(self, x: np.ndarray, y: np.ndarray, inplace: bool = False):
        """`__call__`, allowed to overwrite `x` when `inplace` (the pipeline owns `x`)."""
        return self(x, y)

    def spec(self) -> dict[str, Any]:
        """Config dict that rebuilds this transform, fitted state included."""
        return {"type": self.name}


@TRANSFORMS.register("scale")
class Scale(Transform):
    """Divide by `max_value` into float32: uint8 pixels 0..255 -> [0, 1]."""

    def __init__(self, max_value: float = 255.0) -> None:
        self.max_value = positive_number("scale", "max_value", max_value)

    def __call__(self, x, y):
        # One fused pass into a fresh float32 array (astype + divide would be two).
        return np.divide(x, np.float32(self.max_value), dtype=np.float32), y

    def spec(self):
        return {"type": self.name, "max_value": self.max_value}


def _stat_shape(x: np.ndarray, per: str) -> tuple[int, ...]:
    # (1, C, 1, 1) for images, (1, D) for feature rows, () for a single global statistic.
    if per == "global" or x.ndim < 2:
        return ()
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


@TRANSFORMS.register("normalize", aliases=["normalise"])
class Normalize(Transform):
    """`(x - mean) / std` per channel (axis 1; per column for 2-D data) or globally.

    Without `mean`/`std` the statistics are computed on the rows passed to `fit`.
    """

    def __init__(self, mean: Any = None, std: Any = None, per: str = "channel") -> None:
        if not isinstance(per, str) or per not in ("channel", "global"):
            raise BadOption("normalize", "per", f"must be 'channel' or 'global', got {per!r}")
        if (mean is None) != (std is None):
            missing = "std" if std is None else "mean"
            raise BadOption("normalize", missing, "is missing: give both mean and std, or neither "
                            "to fit them")  # fmt: skip
        self.per = per
        self.mean = None if mean is None else numbers("normalize", "mean", mean)
        self.std = None if std is None else numbers("normalize", "std", std)
        if self.std is not None and not np.all(self.std > 0):
            raise BadOption("normalize", "std", f"must be > 0, got {self.std.tolist()}")
        if self.std is not None and self.mean.size != self.std.size:
            raise BadOption("normalize", "mean", f"has {self.mean.size} values but std has "
                            f"{self.std.size}; give as many of each")  # fmt: skip

    def fit(self, x, y, index=None):
        if self.mean is not None:
            return
        n = x.shape[0] if index is None else len(index)
        if n == 0:
            raise DataError("transform 'normalize': no training rows to compute mean/std from")
        channel = self.per == "channel" and x.ndim >= 2
        axes = tuple(a for a in range(x.ndim) if a != 1) if channel else None
        count = n * (x[:1].size // x.shape[1] if channel else x[:1].size)
        shape = _stat_shape(x, self.per)

        def chunks():
            # Slices when fitting on every row (views, no copy); gathered rows otherwise.
            for s in range(0, n, _CHUNK):
                yield x[s : s + _CHUNK] if index is None else x[index[s : s + _CHUNK]]

        # Two passes (mean, then squared deviations) in float64: accurate, and temporaries
        # stay one chunk in size instead of a float64 copy of the whole dataset.
        mean = sum(c.sum(axis=axes, dtype=np.float64) for c in chunks()) / count
        sq = sum(np.square(c - mean.reshape(shape)).sum(axis=axes) for c in chunks())
        self.mean = np.asarray(mean)
        std = np.sqrt(np.asarray(sq) / count)
        self.std = np.where(std < 1e-8, 1.0, std)  # constant features: centre, don't blow up

    def _stats(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """float32 mean and std shaped to broadcast against `x`."""
        if self.mean is None:
            raise DataError("transform 'normalize': call fit (on the training split) before use")
        shape = _stat_shape(x, self.per) if self.mean.size > 1 else ()
        try:
            return (
                self.mean.astype(np.float32).reshape(shape),
                self.std.astype(np.float32).reshape(shape),
            )
        except ValueError:
            raise DataError(
                f"transform 'normalize': {self.mean.size} mean/std values do not match data of "
                f"shape {x.shape[1:]} (per={self.per!r}); give one value per channel or a scalar"
            ) from None

    def __call__(self, x, y):
        mean, std = self._stats(x)
        out = np.subtract(x, mean, dtype=np.float32)  # fresh array: the input is never mutated
        out /= std
        return out, y

    def apply(self, x, y, inplace=False):
        if not (inplace and x.dtype == np.float32 and x.flags.writeable):
            return self(x, y)
        # Reuse the pipeline's own float32 array: for MNIST a fresh 188 MB array costs more in
        # page faults than the arithmetic itself.
        mean, std = self._stats(x)
        x -= mean
        x /= std
        return x, y

    def spec(self):
        spec: dict[str, Any] = {"type": self.name, "per": self.per}
        if self.mean is not None:
            spec["mean"] = self.mean.tolist()
            spec["std"] = self.std.tolist()
        return spec


@TRANSFORMS.register("flatten")
class Flatten(Transform):
    """(N, C, H, W) -> (N, C*H*W), for MLPs."""

    def __call__(self, x, y):
        return x.reshape(x.shape[0], -1), y


@TRANSFORMS.register("one_hot", aliases=["onehot", "one-hot"])
class OneHot(Transform):
    """Integer class targets -> float32 one-hot rows of width `num_classes`."""

    def __init__(self, num_classes: int | None = None) -> None:
        if num_classes is not None and (
            isinstance(num_classes, (bool, np.bool_))
            or not isinstance(num_classes, (int, np.integer))
            or num_classes < 1
        ):
            problem = f"must be an integer >= 1, got {num_classes!r}"
            raise BadOption("one_hot", "num_classes", problem)
        self.num_classes = None if num_classes is None else int(num_classes)

    def fit(self, x, y, index=None):
        if self.num_classes is None:
            self.num_classes = int(y.max()) + 1 if y.size else 0

    def __call__(self, x, y):
        if self.num_classes is None:
            raise DataError("transform 'one_hot': num_classes unknown; give it or call fit first")
        labels = np.asarray(y).reshape(-1)
        if not np.issubdtype(labels.dtype, np.integer):
            raise DataError(f"transform 'one_hot': targets must be integers, got {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise DataError(
                f"transform 'one_hot': labels span [{labels.min()}, {labels.max()}] but "
                f"num_classes={self.num_classes}; raise num_classes"
            )
        return x, np.eye(self.num_classes, dtype=np.float32)[labels]

    def spec(self):
        return {"type": self.name, "num_classes": self.num_classes}


class Pipeline:
    """Transforms applied in order; `fit_apply` on training data, then `__call__` elsewhere."""

    def __init__(self, transforms: Sequence[Transform] = ()) -> None:
        self.transforms = list(transforms)

    def fit_apply(self, x, y, index=None):
        """Fit each transform on rows `index` (default all) of the data as transformed so far,
        then apply it to all rows. Returns the transformed `(x, y)`."""
        return self._run(x, y, index, fit=True)

    def __call__(self, x, y):
        return self._run(x, y, None, fit=False)

    def _run(self, x, y, index, fit):
        source = x
        for t in self.transforms:
            if fit:
                t.fit(x, y, index)
            # Once a transform has produced a new array, later ones may overwrite it; the
            # caller's array is never modified.
            owned = x is not source and not np.may_share_memory(x, source)
            x, y = t.apply(x, y, inplace=owned)
        return x, y

    def spec(self) -> list[dict[str, Any]]:
        return [t.spec() for t in self.transforms]

    def __len__(self) -> int:
        return len(self.transforms)


def build_transforms(spec: Any, num_classes: int | None = None) -> Pipeline:
    """Build a Pipeline from plain config: a list of names, `{"type": name, **options}` or
    `{name: {options}}` (the way layers are written).

    `num_classes` (from the dataset's metadata) fills in `one_hot` when the config omits it.
    """
    if spec is None:
        return Pipeline()
    if isinstance(spec, Pipeline):
        return spec
    out = []
    for where, cls, options in parse_list(spec, "data.transforms", TRANSFORMS, "transform", False):
        if cls.name == "one_hot" and options.get("num_classes") is None and num_classes:
            options["num_classes"] = num_classes
        out.append(construct(where, cls, options))
    return Pipeline(out)
