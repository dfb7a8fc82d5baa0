"""Checkpoints: safetensors files, written atomically, read without pickle and without trust.

Weights and optimizer buffers are tensors (`model.<name>`, `optim.<index>.<key>`); everything
else (config, counters, RNG and data-order state, scheduler, callbacks, versions) is JSON in the
safetensors header's metadata under `gradcli`.

A checkpoint may be damaged or hostile: `checkpoint_read` reads it without trust, and
`check_resumable` checks what a resume needs before anything is restored.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

import gradcli
from gradcli.backend import CPU, to_device
from gradcli.errors import CheckpointError
from gradcli.train.atomic import atomic_write
from gradcli.train.checkpoint_read import (  # noqa: F401 - check_resumable is public here
    FORMAT,
    check_resumable,
    read_checkpoint,
    stat_checkpoint,
)


@dataclass
class Checkpoint:
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def model_state(self) -> dict[str, gradcli.Tensor]:
        return {k[6:]: gradcli.from_numpy(v) for k, v in self.tensors.items() if k[:6] == "model."}

    def optimizer_state(self) -> dict:
        """The optimizer's `state_dict()`, tensors restored from the file."""
        saved = self.meta["optimizer"]
        state = {int(i): dict(values) for i, values in saved["state"].items()}
        for key, array in self.tensors.items():
            if key.startswith("optim."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = gradcli.from_numpy(array)
        return {"state": state, "param_groups": saved["param_groups"]}


def pack(model, optimizer, meta: dict) -> Checkpoint:
    """Model weights and buffers, optimizer buffers as tensors; the rest into `meta`."""
    tensors = {f"model.{k}": _host(v) for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    plain_state: dict[str, dict] = {}
    for index, values in opt["state"].items():
        plain_state[str(index)] = {}
        for name, value in values.items():
            if isinstance(value, gradcli.Tensor):
                tensors[f"optim.{index}.{name}"] = _host(value)
            else:
                plain_state[str(index)][name] = value
    meta = dict(meta, optimizer={"state": plain_state, "param_groups": opt["param_groups"]})
    return Checkpoint(tensors, meta)


def _host(t: gradcli.Tensor) -> np.ndarray:
    # asarray, not ascontiguousarray: that one turns a 0-d array (num_batches_tracked) into (1,)
    return np.asarray(to_device(t.detach()._data, CPU), order="C")


def save(path: str | os.PathLike, ckpt: Checkpoint) -> Path:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`:
    a crash at any moment leaves the previous checkpoint intact. The file's mode follows the
    umask; a failed write (disk full, say) removes the temporary file and says what was kept."""
    header = {"format": FORMAT, "gradcli": json.dumps(ckpt.meta, separators=(",", ":"))}
    return write_bytes(path, safetensors.numpy.save(ckpt.tensors, metadata=header))


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """A checkpoint's bytes to `path`, durably and atomically (`save`, and copies of one)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, data, durable=True)
    except OSError as e:
        raise CheckpointError(_write_failure(path, len(data), e)) from None


def _write_failure(path: Path, needed: int, e: OSError) -> str:
    try:
        st = os.statvfs(path.parent)
        free = f"{_size(st.f_bavail * st.f_frsize)} free"
    except OSError:
        free = "free space unknown"
    full = e.errno in (errno.ENOSPC, errno.EDQUOT)
    why = "the disk is full" if full else e.strerror or str(e)
    kept = (
        f"the previous {path.name} is intact"
        if path.is_file()
        else "no earlier checkpoint of that name exists"
    )
    return (
        f"cannot write checkpoint {path}: {why} (it needs {_size(needed)}, {free}); {kept}; "
        f"{'free some space' if full else 'fix that'} or write the run elsewhere, then resume"
    )


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    power = min(int(math.log(n, 1024)), 3)
    return f"{n / 1024**power:.1f} {('KiB', 'MiB', 'GiB')[power - 1]}"


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files of killed writes (`.<name>.<random>.tmp`, as `atomic_write`
    names them) in `folder`: checkpoints, metrics.csv, summary.json, curves.png. Returns what
    was removed. Call it only while holding the run folder's lock: a running writer's temporary
    file looks the same."""
    removed = []
    for tmp in Path(folder).glob(".*.*.tmp"):
        try:
            if tmp.is_file() or tmp.is_symlink():
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            pass  # gone already, or not ours to delete: a leftover is harmless
    return removed


def load(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint; a missing, corrupt, truncated or foreign file is a CheckpointError."""
    path = Path(path)
    if stat.S_ISDIR(stat_checkpoint(path).st_mode):
        path = resolve(path)
    return Checkpoint(*read_checkpoint(path))


def resolve(path: str | os.PathLike) -> Path:
    """A run folder means its last checkpoint; a checkpoint file means itself."""
    path = Path(path)
    if path.is_dir():
        for candidate in (path / "checkpoints" / "last.safetensors", path / "last.safetensors"):
            if candidate.is_file():
                return candidate
        raise CheckpointError(f"no checkpoints/last.safetensors in run folder {path}")
    return path
