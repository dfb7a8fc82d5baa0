"""Run folders: runs/<name>/<timestamp>/, never reused, marked as runs, locked while trained.

A folder is written into only when it is recognisably a run: it holds the `.gradcli-run`
marker (or, for runs of earlier versions, config.yaml, metrics.csv and checkpoints/). While a
process trains into it, it holds `.gradcli.lock` (an OS file lock, released even by `kill -9`)
and `.gradcli.owner` says which process that is.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import time
from pathlib import Path

import numpy as np
import yaml
from filelock import FileLock, Timeout

import gradcli
from gradcli.errors import GradcliError

MARKER = ".gradcli-run"
_LOCK, _OWNER = ".gradcli.lock", ".gradcli.owner"


class RunFolderError(GradcliError):
    """A run folder cannot be trained into: it is busy, or not writable."""


class RunFolderBusy(RunFolderError):
    """Another process is training into this run folder."""


def new_run_dir(runs_dir: str | Path, name: str) -> Path:
    base = Path(runs_dir) / name
    base.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = base / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a new run folder under {base}")


def claim_empty_dir(path: Path) -> bool:
    """Create `path`, or take it when it is an empty folder; False when it holds anything (a
    user's folder is never written into). OSError when it cannot be made."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        return False
    path.mkdir(parents=True, exist_ok=True)
    return True


def mark(run_dir: Path, config) -> None:
    """Write the marker and the fully resolved config into a new run folder."""
    marker = {"format": "gradcli-run/1", "name": config.name, "created": time.time()}
    (run_dir / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
    text = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    (run_dir / "config.yaml").write_text(text, encoding="utf-8")


def is_run_dir(path: Path) -> bool:
    if (path / MARKER).is_file():
        return True
    legacy = ("config.yaml", "metrics.csv")
    return all((path / f).is_file() for f in legacy) and (path / "checkpoints").is_dir()


class RunLock:
    """Held while a process trains into a run folder; a second one gets RunFolderBusy."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self._lock = FileLock(str(run_dir / _LOCK), timeout=0)

    def acquire(self) -> RunLock:
        try:
            self._lock.acquire()
        except Timeout:
            raise RunFolderBusy(f"run folder {self.run_dir} is in use by {self._holder()}; "
                                "wait for it to finish, or stop it first") from None  # fmt: skip
        except OSError as e:  # a read-only copy, say: it can still be resumed elsewhere
            raise RunFolderError(
                f"run folder {self.run_dir} cannot be written ({e.strerror or e}); "
                "resume with --run-dir NEW to continue in a new folder"
            ) from None
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        (self.run_dir / _OWNER).write_text(json.dumps(owner) + "\n", encoding="utf-8")
        return self

    def release(self) -> None:
        if self._lock.is_locked:
            (self.run_dir / _OWNER).unlink(missing_ok=True)
            self._lock.release()

    def _holder(self) -> str:
        try:
            owner = json.loads((self.run_dir / _OWNER).read_text(encoding="utf-8"))
            since = time.strftime("%H:%M:%S", time.localtime(owner["since"]))
            return f"process {owner['pid']} on {owner['host']} (since {since})"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"


def versions() -> dict[str, str]:
    out = {
        "gradcli": gradcli.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    cupy = sys.modules.get("cupy")  # only when this run loaded it: never import it for a CPU run
    if cupy is not None:
        out["cupy"] = cupy.__version__
    return out
