"""Where dataset files live, and the error that says how to get them when they are missing.

Precedence: an explicit `root` (`data.root` in a config, `--root`/`--data` on the command line),
then the `GRADCLI_DATA_DIR` environment variable, then one per-user folder (platformdirs' user
data dir, e.g. `~/.local/share/gradcli/datasets`), so a config finds the same files from any
working directory. Each of these is a folder holding one subfolder per dataset (`mnist/`,
`fashion-mnist/`, `cifar10/`); an explicit root may also be the dataset folder itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from .errors import DataError
from .sources import SOURCES, RemoteDataset

ENV_VAR = "GRADCLI_DATA_DIR"
LEGACY_ROOT = Path("datasets")  # the old default, relative to the working directory


def default_root() -> Path:
    """The per-user data folder used when neither a root nor GRADCLI_DATA_DIR is given."""
    import platformdirs  # only needed when no root is given

    return platformdirs.user_data_path("gradcli", appauthor=False) / "datasets"


class DataRoot(NamedTuple):
    """A data root and why it was chosen: "root" (given), "env" (GRADCLI_DATA_DIR), "default"."""

    path: Path
    reason: str


def resolve_root(root: str | os.PathLike | None = None) -> DataRoot:
    """The folder that holds the per-dataset subfolders, and where that choice came from."""
    if root is not None:
        return DataRoot(Path(root).expanduser(), "root")
    env = os.environ.get(ENV_VAR)
    if env:
        return DataRoot(Path(env).expanduser(), "env")
    return DataRoot(default_root(), "default")


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds the per-dataset subfolders."""
    return resolve_root(root).path


def candidate_dirs(folder: str, root: str | os.PathLike | None = None) -> list[Path]:
    """Folders to search for a dataset's files, in order."""
    base = data_root(root)
    dirs = [base / folder]
    # `--root datasets/mnist` points straight at the files; but not at another dataset's
    # folder: MNIST and Fashion-MNIST files have the same names and one would pass as the other
    others = {spec.folder for spec in SOURCES.values()} - {folder}
    if root is not None and base.name not in others:
        dirs.append(base)
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
    chosen = resolve_root(root)
    why = {"root": "the given data root", "env": f"${ENV_VAR}", "default": "the default"}
    root_opt = "" if chosen.reason == "default" else f" --root {chosen.path}"
    # The published files behind what is missing (CIFAR's bins all come from one archive).
    sources = [f for f in spec.files if f.name in missing] or spec.files
    urls = ", ".join(spec.mirrors[0] + f.name for f in sources)
    unpack = ", then unpack it there" if spec.extract else ""
    legacy = LEGACY_ROOT / spec.folder
    old = (
        f" ({legacy.resolve()} is in the old default place: set {ENV_VAR}="
        f"{LEGACY_ROOT.resolve()} or move it into {chosen.path})"
        if chosen.reason == "default" and legacy.is_dir()
        else ""
    )
    return DataError(
        f"{spec.name}: missing file(s) {', '.join(missing)} (looked in {where}, from "
        f"{why[chosen.reason]}){old}. Get them with `gradcli datasets download "
        f"{spec.name}{root_opt}`, or set {ENV_VAR} (or data.root) to a folder that contains "
        f"{spec.folder}/, or copy the files by hand into {directory} (from {urls}{unpack})"
    )


def known_source(name: str) -> RemoteDataset:
    """The download-table entry for `name`, or a DataError listing the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise DataError(f"unknown downloadable dataset {name!r}; known: {known}") from None
