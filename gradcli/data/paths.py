"""Where dataset files live, and the error that says how to get them when they are missing.

Precedence: an explicit `root` argument, then the `GRADCLI_DATA_DIR` environment variable,
then `./datasets`. Each of these is a folder holding one subfolder per dataset (`mnist/`,
`fashion-mnist/`, `cifar10/`); an explicit root may also be the dataset folder itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import DataError
from .sources import SOURCES, RemoteDataset

ENV_VAR = "GRADCLI_DATA_DIR"
DEFAULT_ROOT = Path("datasets")


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds the per-dataset subfolders."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else DEFAULT_ROOT


def candidate_dirs(folder: str, root: str | os.PathLike | None = None) -> list[Path]:
    """Folders to search for a dataset's files, in order."""
    base = data_root(root)
    dirs = [base / folder]
    if root is not None:
        dirs.append(base)  # `--root datasets/mnist` points straight at the files
    return dirs


def _find(directory: Path, alternatives: tuple[str, ...]) -> Path | None:
    for rel in alternatives:
        path = directory / rel
        if path.is_file():
            return path
    return None


def locate(
    spec: RemoteDataset, splits: Iterable[str], root: str | os.PathLike | None = None
) -> list[Path]:
    """Paths of the files needed for `splits`, or a DataError naming what is missing."""
    needed = [alts for split in splits for alts in spec.required[split]]
    dirs = candidate_dirs(spec.folder, root)
    best: tuple[Path, list[str]] | None = None  # the folder with the fewest files missing
    for directory in dirs:
        found = [_find(directory, alts) for alts in needed]
        if all(found):
            return found
        missing = [alts[0] for alts, f in zip(needed, found) if f is None]
        if best is None or len(missing) < len(best[1]):
            best = (directory, missing)
    raise missing_files_error(spec, best[0], best[1], dirs, root)


def missing_files_error(
    spec: RemoteDataset,
    directory: Path,
    missing: list[str],
    looked_in: list[Path],
    root: str | os.PathLike | None,
) -> DataError:
    where = ", ".join(str(d) for d in looked_in)
    root_arg = str(data_root(root))
    urls = ", ".join(spec.mirrors[0] + f.name for f in spec.files)
    unpack = ", then unpack it there" if spec.extract else ""
    return DataError(
        f"{spec.name}: missing file(s) {', '.join(missing)} (looked in {where}). "
        f"Get them with `gradcli datasets download {spec.name} --root {root_arg}`, or set "
        f"{ENV_VAR} to a folder that contains {spec.folder}/, or copy the files by hand "
        f"into {directory} (from {urls}{unpack})"
    )


def known_source(name: str) -> RemoteDataset:
    """The download-table entry for `name`, or a DataError listing the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise DataError(f"unknown downloadable dataset {name!r}; known: {known}") from None
