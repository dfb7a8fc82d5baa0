"""A user's own data from `.npz` or `.csv` files.

Classification vs regression is inferred from the labels (integers or strings -> classes,
fractional numbers -> regression) unless `task` is given. Class ids and names always come
from the training file, so train and test agree. Regression targets are 2-D (N, k).
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

import numpy as np

from .errors import DataError
from .info import DatasetInfo, LoadedData


def _resolve(path, root) -> Path:
    if path is None:
        raise DataError("missing option 'path': the data file to read")
    p = Path(path).expanduser()
    return Path(root) / p if root is not None and not p.is_absolute() else p


def _targets(name, y_train, y, task, num_classes, class_names, where):
    """Turn raw label values into (y, info fields), using the training labels for classes."""
    if y.dtype.kind in "USO":  # strings: class names, sorted, from the training file
        names = sorted(set(y_train.tolist()))
        unknown = sorted(set(y.tolist()) - set(names))
        if unknown:
            raise DataError(f"{where}: labels {unknown[:5]} do not occur in the training file")
        ids = np.searchsorted(np.array(names), y).astype(np.int64)
        return ids, "classification", len(names), tuple(class_names or names)
    integral = y.dtype.kind in "iub" or bool(np.all(np.mod(y_train, 1) == 0))
    task = task or ("classification" if integral and y.ndim == 1 else "regression")
    if task == "regression":
        y = y.astype(np.float32)
        return (y[:, None] if y.ndim == 1 else y), task, None, None
    if task != "classification":
        raise DataError(f"{name}: task must be 'classification' or 'regression', got {task!r}")
    if not integral or y.ndim != 1:
        raise DataError(f"{where}: classification needs one column of integer labels")
    k = int(num_classes or max(int(y_train.max()), int(y.max())) + 1)
    if y.min() < 0 or y.max() >= k:
        raise DataError(f"{where}: labels span [{y.min()}, {y.max()}] but num_classes={k}")
    return y.astype(np.int64), task, k, (tuple(class_names) if class_names else None)


def _npz_arrays(path: Path, keys: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "file not found"
        raise DataError(f"{path}: {what}; data.options.path must name an .npz file")
    if not zipfile.is_zipfile(path):  # np.load would try pickle, then blame that
        raise DataError(
            f"{path}: not an .npz file (not a zip archive, or a truncated one); write it with "
            "numpy.savez(path, x=..., y=...)"
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in keys if k not in f.files]
            if missing:
                raise DataError(
                    f"{path}: no array named {', '.join(missing)}; it holds {', '.join(f.files)}"
                )
            return f[keys[0]], f[keys[1]]
    except ValueError as exc:  # object arrays, which would need pickle
        raise DataError(f"{path}: cannot read as .npz without pickle ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # a damaged member
        raise DataError(f"{path}: damaged .npz file ({exc}); write it again") from None


def load_npz(
    root: str | os.PathLike | None = None,
    split: str = "train",
    path: str | None = None,
    x: str = "x",
    y: str = "y",
    test_path: str | None = None,
    x_test: str | None = None,
    y_test: str | None = None,
    task: str | None = None,
    num_classes: int | None = None,
    class_names: list[str] | None = None,
) -> LoadedData:
    """Arrays `x` and `y` from `path`; the test split from `test_path` (same keys) or from
    keys `x_test`/`y_test` (default `<x>_test`, `<y>_test`) in the same file."""
    train_file = _resolve(path, root)
    x_train, y_train = _npz_arrays(train_file, (x, y))
    source = train_file
    if split == "test":
        if test_path is not None:
            source = _resolve(test_path, root)
            xs, ys = _npz_arrays(source, (x, y))
        else:
            xs, ys = _npz_arrays(train_file, (x_test or f"{x}_test", y_test or f"{y}_test"))
    elif split == "train":
        xs, ys = x_train, y_train
    else:
        raise DataError(f"npz: split must be 'train' or 'test', got {split!r}")
    if xs.shape[0] != ys.shape[0]:
        raise DataError(f"{source}: {xs.shape[0]} feature rows but {ys.shape[0]} labels")
    yv, task, k, names = _targets("npz", y_train, ys, task, num_classes, class_names, source)
    if xs.dtype.kind in "fib" and xs.dtype != np.uint8:  # uint8 stays: it means pixels
        with np.errstate(over="ignore"):  # beyond float32 becomes inf, reported by the loader
            xs = xs.astype(np.float32)
    info = DatasetInfo("npz", task, tuple(xs.shape[1:]), tuple(yv.shape[1:]), k, names, str(source))
    return LoadedData(xs, yv, info)


def _first_row(path: Path, delimiter: str) -> tuple[list[str], int]:
    """The first row and the number of non-blank rows after it, having checked that every row
    has as many fields as the first.

    np.loadtxt with `usecols` would silently ignore extra fields, so a shifted row (a stray
    delimiter) would train on the wrong columns. The csv module reads the file once, in C.
    """
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter=delimiter, quotechar='"')
            first = next(rows, None)
            if first is None:
                raise DataError(f"{path}: the file is empty; a CSV needs rows of numbers")
            count = 0
            for line, row in enumerate(rows, 2):
                if row and len(row) != len(first):
                    raise DataError(
                        f"{path}:{line}: {len(row)} fields, but the first row has "
                        f"{len(first)}; every row needs the same columns (a stray or missing "
                        f"{delimiter!r}?)"
                    )
                count += bool(row)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc})") from None
    return first, count


def _read_csv(path: Path, label, features, delimiter: str, header: bool | None):
    first, more_rows = _first_row(path, delimiter)

    def numeric(s: str) -> bool:
        try:
            float(s)
            return True
        except ValueError:
            return False

    has_header = header if header is not None else not all(numeric(c) for c in first)
    if has_header and not more_rows:
        raise DataError(f"{path}: only a header row, no data rows")
    names = [c.strip().strip('"') for c in first] if has_header else []

    def column(c) -> int:
        if isinstance(c, str):
            if c not in names:
                raise DataError(f"{path}: no column {c!r}; columns are {', '.join(names)}")
            return names.index(c)
        if not -len(first) <= int(c) < len(first):
            raise DataError(f"{path}: column index {c} out of range (file has {len(first)})")
        return int(c) % len(first)

    labels = [column(c) for c in (label if isinstance(label, (list, tuple)) else [label])]
    cols = [column(c) for c in features] if features is not None else None
    cols = cols or [i for i in range(len(first)) if i not in labels]
    opts = dict(delimiter=delimiter, skiprows=int(has_header), quotechar='"', ndmin=2)
    try:
        xs = np.loadtxt(path, usecols=cols, dtype=np.float32, **opts)
        raw = np.loadtxt(path, usecols=labels, dtype=str, **opts)
    except ValueError as exc:  # loadtxt names the line and the value it could not parse
        raise DataError(f"{path}: {exc}") from None
    if raw.shape[1] == 1:
        raw = raw[:, 0]
    try:
        ys = raw.astype(np.float64)
        if ys.ndim == 1 and np.all(np.mod(ys, 1) == 0):
            ys = ys.astype(np.int64)
    except ValueError:
        ys = np.char.strip(raw)  # non-numeric labels are class names
    return xs, ys


def load_csv(
    root: str | os.PathLike | None = None,
    split: str = "train",
    path: str | None = None,
    label: str | int | list = -1,
    features: list | None = None,
    test_path: str | None = None,
    delimiter: str = ",",
    header: bool | None = None,
    task: str | None = None,
    num_classes: int | None = None,
    class_names: list[str] | None = None,
) -> LoadedData:
    """Numeric feature columns and a label column (name or index; default the last column).

    The header row is detected when its fields are not numbers (or set `header`).
    """
    train_file = _resolve(path, root)
    x_train, y_train = _read_csv(train_file, label, features, delimiter, header)
    source, xs, ys = train_file, x_train, y_train
    if split == "test":
        if test_path is None:
            raise DataError("csv: split 'test' needs option 'test_path' (a second CSV file)")
        source = _resolve(test_path, root)
        xs, ys = _read_csv(source, label, features, delimiter, header)
    elif split != "train":
        raise DataError(f"csv: split must be 'train' or 'test', got {split!r}")
    yv, task, k, names = _targets("csv", y_train, ys, task, num_classes, class_names, source)
    info = DatasetInfo("csv", task, tuple(xs.shape[1:]), tuple(yv.shape[1:]), k, names, str(source))
    return LoadedData(xs, yv, info)
