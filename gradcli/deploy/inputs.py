"""Reading a user's inputs for `predict`: image files, .npy/.npz arrays and CSV rows, each made
into raw samples of the shape the checkpoint's training data had.

Images are read by `image_inputs`, whose docstring states the conversion rules. Arrays and CSV
rows are raw samples already (pixels 0..255 for image models, feature values for tabular ones).
Every reader raises DataError with the file's name and how to fix it; `read_file` turns that
into a failed Sample of that file alone.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradcli.data.registry import canonical_name
from gradcli.deploy.image_inputs import IMAGE_SUFFIXES, ImageOptions, read_image
from gradcli.errors import DataError

ARRAY_SUFFIXES = (".npy", ".npz")
SUFFIXES = IMAGE_SUFFIXES + ARRAY_SUFFIXES + (".csv",)


@dataclass(frozen=True)
class InputSpec:
    """What the readers need to know of a model: small and picklable, so that worker
    processes get it rather than the model. `columns` and `label` are the training CSV's
    `features` and `label` options (None when it was not trained on a CSV)."""

    raw_shape: tuple[int, ...]
    dataset: str
    columns: tuple | None = None
    label: str | int | None = None

    @classmethod
    def of(cls, loaded) -> InputSpec:
        """The spec of a LoadedModel."""
        data = loaded.config.data
        if canonical_name(data.dataset) != "csv":
            return cls(tuple(loaded.raw_shape), loaded.info.name)
        options = data.options or {}
        features = options.get("features")
        columns = tuple(features) if features else None
        return cls(tuple(loaded.raw_shape), loaded.info.name, columns, options.get("label", -1))

    @property
    def is_image(self) -> bool:
        return len(self.raw_shape) == 3 and self.raw_shape[0] in (1, 3)


@dataclass
class Sample:
    """One input to predict: its name (a file, `file.npy[3]`, `file.csv:7`), and either its raw
    array or why it could not be read."""

    name: str
    x: np.ndarray | None = None
    error: str | None = None


def expand(paths) -> tuple[list[Path], list[Sample]]:
    """The files `paths` name, folders walked recursively (files with a known suffix, sorted),
    and a failed Sample for each path that is missing or of an unknown kind."""
    files, failed = [], []
    for p in map(Path, paths):
        if p.is_dir():
            found = []
            for root, dirs, names in os.walk(p):
                dirs.sort()
                found += [Path(root, n) for n in names if n.lower().endswith(SUFFIXES)]
            files += sorted(found)
        elif not p.exists():
            failed.append(Sample(str(p), error=f"{p}: no such file or folder; check the path"))
        elif p.suffix.lower() not in SUFFIXES:
            kinds = ", ".join(SUFFIXES)
            failed.append(Sample(str(p), error=f"{p}: unknown kind of input; give {kinds} files"))
        else:
            files.append(p)
    return files, failed


def read_file(path: Path, spec: InputSpec, options: ImageOptions | None = None) -> list[Sample]:
    """The samples in one file, for a model of `spec`. Never raises for a bad file: its Sample
    carries the error."""
    suffix = path.suffix.lower()
    try:
        if suffix in IMAGE_SUFFIXES:
            return [Sample(str(path), read_image(path, spec, options or ImageOptions()))]
        if suffix in ARRAY_SUFFIXES:
            return read_arrays(path, spec.raw_shape)
        return read_csv(path, spec)
    except DataError as e:
        return [Sample(str(path), error=str(e))]
    except OSError as e:  # the file vanished or cannot be read: still this file's problem only
        return [Sample(str(path), error=f"{path}: cannot read it ({e.strerror or e})")]


def read_arrays(path: Path, raw_shape: tuple[int, ...]) -> list[Sample]:
    """Samples in a .npy file, or in the `x` array of a .npz file (its only array if it has
    one): one sample of the raw shape or a stack of them. A greyscale model also takes
    (H, W) images, and any model rows of all its values flattened."""
    try:
        x = _load_array(path)
    except (ValueError, EOFError, OSError) as e:
        raise DataError(f"{path}: not a readable NumPy file ({e})") from None
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf":
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise DataError(f"{path}: holds {kind} values; the model takes numbers")
    stack = _as_stack(x, raw_shape)
    if stack is None:
        raise DataError(
            f"{path}: an array of shape {list(x.shape)} does not fit the model's samples of "
            f"shape {list(raw_shape)}; give one sample or a stack (N, {_dims(raw_shape)})"
        )
    if len(stack) == 1 and x.shape in (raw_shape, raw_shape[1:]):
        return [Sample(str(path), stack[0])]
    return [Sample(f"{path}[{i}]", row) for i, row in enumerate(stack)]


def _load_array(path: Path) -> np.ndarray:
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False)
    with np.load(path, allow_pickle=False) as data:
        keys = list(data.files)
        if "x" not in keys and len(keys) != 1:
            raise DataError(
                f"{path}: holds arrays {', '.join(keys) or '(none)'}; name the inputs 'x' "
                "or keep one array in the file"
            )
        return data["x" if "x" in keys else keys[0]]


def _as_stack(x: np.ndarray, raw: tuple[int, ...]) -> np.ndarray | None:
    size = _size(raw)
    for shape in (raw, raw[1:] if len(raw) == 3 and raw[0] == 1 else None):
        if shape is None:
            continue
        if x.shape == shape:
            return x.reshape((1, *raw))
        if x.shape[1:] == shape:
            return x.reshape((-1, *raw))
    if x.ndim in (1, 2) and x.shape[-1] == size:
        return x.reshape((-1, *raw))
    return None


def read_csv(path: Path, spec: InputSpec) -> list[Sample]:
    """One sample per CSV row (`file.csv:LINE`). A header row (fields that are not numbers)
    selects the training features by name; without one, a row one longer than the model's
    inputs is taken to hold the label where the training CSV had it, and it is dropped."""
    want = _size(spec.raw_shape)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = [(n, r) for n, r in enumerate(csv.reader(f), 1) if r]
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read as CSV ({e})") from None
    if not rows:
        raise DataError(f"{path}: no rows; a CSV needs one row of {want} numbers per sample")
    header = None
    if not all(_is_number(v) for v in rows[0][1]):
        header, rows = [v.strip() for v in rows[0][1]], rows[1:]
    width = len(header) if header else len(rows[0][1]) if rows else 0
    cols = _columns(path, header, width, want, spec)
    out = []
    for line, row in rows:
        if len(row) != width:
            problem = f"{len(row)} fields, but the {'header' if header else 'first row'} has"
            out.append(Sample(f"{path}:{line}", error=f"{path}:{line}: {problem} {width}; "
                              "every row needs the same columns"))  # fmt: skip
            continue
        try:
            values = np.array([float(row[c]) for c in cols], dtype=np.float32)
        except ValueError:
            bad = next(row[c] for c in cols if not _is_number(row[c]))
            out.append(Sample(f"{path}:{line}", error=f"{path}:{line}: {bad!r} is not a number; "
                              "fix or drop the row"))  # fmt: skip
            continue
        out.append(Sample(f"{path}:{line}", values.reshape(spec.raw_shape)))
    return out


def _columns(path, header, width, want, spec: InputSpec) -> list[int]:
    features, label = spec.columns, spec.label
    if header and features and all(isinstance(f, str) for f in features):
        missing = [f for f in features if f not in header]
        if missing:
            raise DataError(f"{path}: no column(s) {', '.join(missing)}; the model was trained "
                            f"on columns {', '.join(features)}")  # fmt: skip
        return [header.index(f) for f in features]
    if header and isinstance(label, str) and label in header and width == want + 1:
        return [i for i in range(width) if i != header.index(label)]
    if width == want:
        return list(range(width))
    if width == want + 1 and isinstance(label, int) and -width <= label < width:
        return [i for i in range(width) if i != label % width]
    raise DataError(
        f"{path}: rows have {width} columns but the model takes {want} values per sample; "
        f"give {want} numbers per row (plus the label column of the training CSV, if any)"
    )


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _dims(shape) -> str:
    return ", ".join(str(d) for d in shape)
