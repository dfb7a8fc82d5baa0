"""Download the known datasets (`sources.SOURCES`) and report what is on disk.

A download streams into a hidden temporary file next to its destination, is checked against
the published MD5, and only then is renamed into place (`os.replace` is atomic), so a failed or
interrupted transfer never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError
from .paths import ENV_VAR, candidate_dirs, data_root, known_source, locate
from .sources import SOURCES, RemoteDataset, RemoteFile

Progress = Callable[[int, int | None], None]  # (bytes_done, bytes_total or None if unknown)
_CHUNK = 1 << 20


def md5sum(path: str | os.PathLike) -> str:
    """Hex MD5 of a file, read in 1 MiB chunks."""
    h = hashlib.md5(usedforsecurity=False)  # integrity check against published sums only
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _write_atomically(dest: Path, write: Callable[[object], None]) -> None:
    """Run `write(fileobj)` on a temp file beside `dest`, then rename; remove it on any failure."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, dest)
    except BaseException:  # includes KeyboardInterrupt: never leave a partial file behind
        Path(tmp).unlink(missing_ok=True)
        raise


def _fetch(url: str, dest: Path, md5: str | None, progress: Progress | None, timeout: float):
    def write(f) -> None:
        h = hashlib.md5(usedforsecurity=False)
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress:
                progress(0, total)
            while chunk := resp.read(_CHUNK):
                f.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total is not None and done != total:
            raise DataError(f"transfer interrupted after {done:,} of {total:,} bytes")
        if md5 is not None and h.hexdigest() != md5:
            raise DataError(f"checksum mismatch: MD5 {h.hexdigest()}, expected {md5}")

    _write_atomically(dest, write)


def download_file(
    urls: list[str],
    dest: str | os.PathLike,
    md5: str | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch the first URL that works into `dest`, verified against `md5`; try the next on error."""
    dest = Path(dest)
    errors = []
    for url in urls:
        try:
            _fetch(url, dest, md5, progress, timeout)
            return dest
        except (OSError, http.client.HTTPException, ValueError, DataError) as exc:
            errors.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
    tried = "; ".join(errors)
    raise DataError(
        f"could not download {dest.name} ({tried}). If this machine has no network access, "
        f"download it by hand from {urls[0]} and copy it into {dest.parent}, or set {ENV_VAR} "
        "to a folder that already holds the dataset"
    )


def _extract(archive: Path, members: tuple[str, ...], folder: Path) -> None:
    # Only the listed members are written, to paths we build ourselves: no tar path traversal.
    try:
        with tarfile.open(archive) as tar:
            for name in members:
                try:
                    member = tar.getmember(name)
                except KeyError:
                    raise DataError(f"{archive}: archive has no member {name}") from None
                src = tar.extractfile(member)
                if src is None:
                    raise DataError(f"{archive}: member {name} is not a regular file")
                with src:
                    _write_atomically(folder / name, lambda f, s=src: _copy(s, f))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"{archive}: cannot unpack ({exc}); delete it and download again") from None


def _copy(src, dst) -> None:
    while chunk := src.read(_CHUNK):
        dst.write(chunk)


def download(
    name: str | RemoteDataset,
    root: str | os.PathLike | None = None,
    progress: Progress | None = None,
    *,
    on_file: Callable[[str], None] | None = None,
    force: bool = False,
    mirrors: list[str] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download dataset `name` into `<root>/<folder>/` and return that folder.

    Files already present with the right checksum are kept (unless `force`). `progress` gets
    `(bytes_done, bytes_total)` for each file and `on_file` its name first; `mirrors` replaces
    the base URLs (a local mirror, or tests).

    >>> download("mnist", root="datasets", progress=lambda done, total: None)
    PosixPath('datasets/mnist')
    """
    spec = name if isinstance(name, RemoteDataset) else known_source(name)
    folder = data_root(root) / spec.folder
    bases = list(mirrors or spec.mirrors)
    fetched = False
    for rf in spec.files:
        dest = folder / rf.name
        if not force and dest.is_file() and md5sum(dest) == rf.md5:
            continue
        if on_file:
            on_file(rf.name)
        download_file([b + rf.name for b in bases], dest, rf.md5, progress, timeout)
        fetched = True
    if spec.extract:
        missing = [m for m in spec.extract if not (folder / m).is_file()]
        if fetched or missing:
            _extract(folder / spec.files[0].name, spec.extract, folder)
    return folder


@dataclass
class FileStatus:
    """One downloadable file: present or not, and whether its MD5 matches (None: unchecked)."""

    name: str
    path: Path
    present: bool
    size: int | None = None
    checksum_ok: bool | None = None


@dataclass
class DatasetStatus:
    """`ready`: everything the readers need is there; `verified`: all downloads check out."""

    name: str
    folder: Path
    ready: bool
    verified: bool
    files: list[FileStatus] = field(default_factory=list)
    homepage: str = ""
    license: str = ""


def _file_status(folder: Path, rf: RemoteFile, verify: bool) -> FileStatus:
    path = folder / rf.name
    if not path.is_file():
        return FileStatus(rf.name, path, present=False)
    ok = (md5sum(path) == rf.md5) if verify else None
    return FileStatus(rf.name, path, present=True, size=path.stat().st_size, checksum_ok=ok)


def dataset_status(
    root: str | os.PathLike | None = None, verify: bool = True
) -> list[DatasetStatus]:
    """For each known dataset: where it is looked for, which files are there, do they verify."""
    out = []
    for spec in SOURCES.values():
        dirs = candidate_dirs(spec.folder, root)
        folder = next((d for d in dirs if (d / spec.files[0].name).is_file()), dirs[0])
        files = [_file_status(folder, rf, verify) for rf in spec.files]
        try:
            locate(spec, spec.required, root)
            ready = True
        except DataError:
            ready = False
        verified = all(f.checksum_ok for f in files)
        out.append(
            DatasetStatus(spec.name, folder, ready, verified, files, spec.homepage, spec.license)
        )
    return out
