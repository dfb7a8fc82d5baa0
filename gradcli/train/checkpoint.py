"""Checkpoints: safetensors files, written atomically, read without pickle.

Weights and optimizer buffers are tensors (`model.<name>`, `optim.<index>.<key>`); everything
else (config, counters, RNG and data-order state, scheduler, metrics, versions) is JSON in the
safetensors header's metadata under `gradcli`.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

import gradcli
from gradcli.backend import CPU, to_device
from gradcli.errors import CheckpointError

FORMAT = "gradcli-checkpoint/1"


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
    return np.ascontiguousarray(to_device(t.detach()._data, CPU))


def save(path: str | os.PathLike, ckpt: Checkpoint) -> Path:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`:
    a crash at any moment leaves the previous checkpoint intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": FORMAT, "gradcli": json.dumps(ckpt.meta, separators=(",", ":"))}
    data = safetensors.numpy.save(ckpt.tensors, metadata=header)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
    return path


def load(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint; a missing, corrupt, truncated or foreign file is a CheckpointError."""
    path = Path(path)
    if path.is_dir():
        path = resolve(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint not found: {path}") from None
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e.strerror}") from None
    header = _header(path, data)
    meta = header.get("__metadata__") or {}
    if meta.get("format") != FORMAT or "gradcli" not in meta:
        raise CheckpointError(
            f"{path} is a safetensors file but not a gradcli checkpoint (no '{FORMAT}' marker); "
            "pass a file from a run's checkpoints/ folder"
        )
    try:
        tensors = safetensors.numpy.load(data)
        return Checkpoint(tensors, json.loads(meta["gradcli"]))
    except Exception as e:  # SafetensorError, JSONDecodeError ...
        raise CheckpointError(f"{path} is corrupt ({e}); use an earlier checkpoint") from None


def _header(path: Path, data: bytes) -> dict:
    bad = f"{path} is not a gradcli checkpoint (not a safetensors file)"
    if len(data) < 9 or data[8:9] != b"{":  # a safetensors header is JSON after its size
        raise CheckpointError(bad)
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise CheckpointError(
            f"{path} is truncated: its header claims {n} bytes but the file has "
            f"{len(data) - 8} after the size field; use an earlier checkpoint"
        )
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(bad) from None
    if not isinstance(header, dict):
        raise CheckpointError(bad)
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + n + end > len(data):
        raise CheckpointError(
            f"{path} is truncated: {8 + n + end} bytes expected, {len(data)} found; "
            "use an earlier checkpoint"
        )
    return header


def resolve(path: str | os.PathLike) -> Path:
    """A run folder means its last checkpoint; a checkpoint file means itself."""
    path = Path(path)
    if path.is_dir():
        for candidate in (path / "checkpoints" / "last.safetensors", path / "last.safetensors"):
            if candidate.is_file():
                return candidate
        raise CheckpointError(f"no checkpoints/last.safetensors in run folder {path}")
    return path
