"""What `load_dataset` returns: the arrays and a description of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata the model and config layers need: task, shapes and classes.

    `input_shape` and `target_shape` exclude the sample axis; `target_shape` is `()` for
    integer class labels. `num_classes` and `class_names` are None for regression.
    """

    name: str
    task: str  # "classification" | "regression"
    input_shape: tuple[int, ...]
    target_shape: tuple[int, ...] = ()
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    source: str = ""  # folder or file it came from, or "synthetic"
    # One sample as the files hold it, before transforms such as flatten change input_shape:
    # what `predict` and `export` take. None where the two are the same (as load_dataset gives).
    raw_input_shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain types, for writing into a run folder."""
        out = asdict(self)
        out["input_shape"] = list(self.input_shape)
        out["target_shape"] = list(self.target_shape)
        out["class_names"] = None if self.class_names is None else list(self.class_names)
        if self.raw_input_shape is not None:
            out["raw_input_shape"] = list(self.raw_input_shape)
        return out


class LoadedData(NamedTuple):
    """`x, y, info = load_dataset(...)`."""

    x: np.ndarray
    y: np.ndarray
    info: DatasetInfo
