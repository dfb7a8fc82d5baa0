"""Download the known datasets (`sources.SOURCES`) and report what is on disk.

pooch does the transfer: it streams into a temporary file beside the destination, checks the
published MD5, retries transient failures, and only then moves the file into place, so a
failed or interrupted transfer never leaves a file that looks complete. This module adds the
mirrors (tried in order), the CIFAR unpacking and the messages. pooch is imported only when
something is downloaded: it costs ~50 ms, which every `gradcli` command would otherwise pay.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
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
    """Hex MD5 of a file (the checksum the dataset authors publish)."""
    import pooch

    return pooch.file_hash(str(path), alg="md5")


class _ProgressBar:
    """The progress-bar object pooch's HTTPDownloader drives, reporting to a `Progress`."""

    def __init__(self, report: Progress) -> None:
        self.report = report
        self.done = 0
        self._total: int | None = None

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int) -> None:  # set once per transfer; 0 means no Content-Length
        self._total = value or None
        self.done = 0
        self.report(0, self._total)

    def update(self, n: int) -> None:
        # pooch counts whole chunks, so the last one may overshoot the real size.
        self.done = min(self.done + n, self._total) if self._total else self.done + n
        self.report(self.done, self._total)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass


def _copy_local(url: str, output_file: str, _pooch) -> None:
    """pooch downloader for file:// URLs (a local mirror), which pooch itself does not serve."""
    source = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
    with open(source, "rb") as src, open(output_file, "wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)


def _downloader(url: str, progress: Progress | None, timeout: float):
    import pooch

    if url.startswith("file:"):
        return _copy_local
    bar = _ProgressBar(progress) if progress else False
    return pooch.HTTPDownloader(progressbar=bar, chunk_size=_CHUNK, timeout=timeout)


def _reason(exc: Exception, md5: str | None) -> str:
    """A short cause for one failed URL (requests' own messages run to several hundred chars)."""
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code} {response.reason}"
    if not isinstance(exc, OSError):  # pooch raises ValueError when the hash differs
        return f"checksum mismatch, expected MD5 {md5}"
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    cut = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", text)
    if cut:
        return f"transfer interrupted after {int(cut[1]):,} bytes, {int(cut[2]):,} missing"
    return exc.strerror or text


def download_file(
    urls: list[str],
    dest: str | os.PathLike,
    md5: str | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
    retries: int = 2,
) -> Path:
    """Fetch `dest` from the first of `urls` that works, verified against `md5`.

    Each URL gets `retries` more attempts after a network error or a bad checksum (pooch
    waits 1 s, then 2 s, ... between them) before the next URL is tried. A file already at
    `dest` with the right MD5 is kept as it is.
    """
    import pooch

    pooch.get_logger().setLevel("WARNING")  # its INFO lines would interleave with our bar
    dest = Path(dest)
    try:  # here, not in pooch, so that an unwritable folder is not blamed on the URLs
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create {dest.parent} ({exc.strerror or exc}); choose another folder with "
            f"--root or {ENV_VAR}"
        ) from None
    known = None if md5 is None else f"md5:{md5}"
    errors = []
    for url in urls:
        fetcher = pooch.create(
            path=dest.parent,
            base_url="",
            registry={dest.name: known},
            urls={dest.name: url},
            retry_if_failed=retries,
        )
        try:
            fetcher.fetch(dest.name, downloader=_downloader(url, progress, timeout))
            return dest
        except (OSError, ValueError) as exc:  # requests' errors are OSErrors
            errors.append(f"{url}: {_reason(exc, md5)}")
    raise DataError(
        f"could not download {dest.name} ({'; '.join(errors)}). If this machine has no network "
        f"access, download it by hand from {urls[0]} and copy it into {dest.parent}, or set "
        f"{ENV_VAR} to a folder that already holds the dataset"
    )


def _extract(archive: Path, members: tuple[str, ...], folder: Path) -> None:
    """Unpack `members` of `archive` into `folder`, each renamed into place only when whole."""
    import pooch

    # Only the listed members are extracted, and the archive's MD5 was checked first.
    tmp = Path(tempfile.mkdtemp(prefix=f".{archive.name}.", dir=folder))
    try:
        pooch.Untar(members=list(members), extract_dir=str(tmp))(str(archive), "download", None)
        for name in members:
            if not (tmp / name).is_file():
                raise DataError(f"{archive}: archive has no member {name}; delete it and retry")
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, folder / name)
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise DataError(f"{archive}: cannot unpack ({exc}); delete it and download again") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def download(
    name: str | RemoteDataset,
    root: str | os.PathLike | None = None,
    progress: Progress | None = None,
    *,
    on_file: Callable[[str], None] | None = None,
    force: bool = False,
    mirrors: list[str] | None = None,
    timeout: float = 30.0,
    retries: int = 2,
) -> Path:
    """Download dataset `name` into `<root>/<folder>/` and return that folder.

    Files already present with the right checksum are kept; `force` deletes them first.
    `progress` gets `(bytes_done, bytes_total)` for each file and `on_file` its name first;
    `mirrors` replaces the base URLs (a local mirror, or tests).

    >>> download("mnist", root="datasets", progress=lambda done, total: None)
    PosixPath('datasets/mnist')
    """
    spec = name if isinstance(name, RemoteDataset) else known_source(name)
    folder = data_root(root) / spec.folder
    bases = list(mirrors or spec.mirrors)
    fetched = False
    for rf in spec.files:
        dest = folder / rf.name
        if force:
            dest.unlink(missing_ok=True)
        elif dest.is_file() and md5sum(dest) == rf.md5:
            continue
        if on_file:
            on_file(rf.name)
        download_file([b + rf.name for b in bases], dest, rf.md5, progress, timeout, retries)
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
