"""Reading a checkpoint without trust: it may be damaged or hostile.

Only a regular file is opened (a FIFO would block forever, /dev/zero never ends); the header is
capped as safetensors caps it; every header entry is checked before an array is made of it;
just the bytes the header declares are read (a file padded to gigabytes costs nothing); the
metadata must be the JSON objects gradcli writes. `check_resumable` checks, before anything is
restored, the entries a resume needs. Any problem is one CheckpointError naming the file and
what to do.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
from pathlib import Path

import numpy as np

from gradcli._text import clip
from gradcli.errors import CheckpointError, GradcliError
from gradcli.factories import check_rng_state

FORMAT = "gradcli-checkpoint/1"
MAX_HEADER = 100 * 1024 * 1024  # safetensors refuses larger JSON headers too
# safetensors dtype names -> little-endian numpy dtypes (BF16 and F8 have no numpy dtype)
DTYPES = {
    "BOOL": "?", "U8": "u1", "I8": "i1", "U16": "<u2", "I16": "<i2", "F16": "<f2",
    "U32": "<u4", "I32": "<i4", "F32": "<f4", "U64": "<u8", "I64": "<i8", "F64": "<f8",
}  # fmt: skip
# metadata entries and the JSON type each must have wherever it is present
_KINDS = {"state": dict, "rng": dict, "loader": dict, "optimizer": dict, "callbacks": dict,
          "dataset": dict, "transforms": list, "versions": dict}  # fmt: skip


def read_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """(tensors, gradcli metadata) of the checkpoint file at `path`."""
    _refuse_special(path, stat_checkpoint(path))  # before open(): opening a device can have effects
    try:  # O_NONBLOCK: a FIFO swapped in after the check must not block open()
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        _refuse_special(path, st)
        header, data_start = _read_header(path, f, st.st_size)
        tensors = _read_tensors(path, f, header, st.st_size - data_start)
    return tensors, _gradcli_meta(path, header.get("__metadata__"))


def stat_checkpoint(path: Path) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint not found: {path}") from None
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e.strerror or e}") from None


def _refuse_special(path: Path, st: os.stat_result) -> None:
    if stat.S_ISREG(st.st_mode):
        return
    kinds = [(stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]  # fmt: skip
    what = next((name for test, name in kinds if test(st.st_mode)), "not a regular file")
    link = f" (a link to {os.path.realpath(path)})" if path.is_symlink() else ""
    raise CheckpointError(
        f"{path}{link} is {what}, not a checkpoint file; pass a .safetensors file or a run folder"
    )


def _read_exactly(path: Path, f, n: int) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            raise CheckpointError(f"{path} is truncated (the file ended early); use an earlier one")
        got += k
    return buf


def _read_header(path: Path, f, size: int) -> tuple[dict, int]:
    bad = f"{path} is not a gradcli checkpoint (not a safetensors file); pass a .safetensors file"
    if size < 10:
        raise CheckpointError(bad)
    (n,) = struct.unpack("<Q", _read_exactly(path, f, 8))
    if n > MAX_HEADER:
        raise CheckpointError(
            f"{path} is damaged or not a checkpoint: its header size field says {n} bytes, over "
            f"the {MAX_HEADER} limit; use an earlier checkpoint"
        )
    if n > size - 8:
        raise CheckpointError(
            f"{path} is truncated: its header claims {n} bytes but the file has "
            f"{size - 8} after the size field; use an earlier checkpoint"
        )
    raw = _read_exactly(path, f, n)
    header = _json(path, raw, "header", bad)
    if not isinstance(header, dict):
        raise CheckpointError(bad)
    return header, 8 + n


def _json(path: Path, raw, what: str, bad: str):
    if raw[:1] not in (b"{", "{"):  # safetensors headers and our metadata are JSON objects
        raise CheckpointError(bad)
    try:
        return json.loads(raw)
    except RecursionError:
        raise CheckpointError(
            f"{path} is damaged or hostile: its {what} JSON is nested too deeply; "
            "use another checkpoint"
        ) from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise CheckpointError(bad) from None


def _read_tensors(path: Path, f, header: dict, available: int) -> dict[str, np.ndarray]:
    """Check every entry (dtype, shape, offsets, size, no overlap), then read only the bytes
    the entries cover and view the arrays in them."""
    entries = []
    for name, entry in header.items():
        if name != "__metadata__":
            entries.append((name, *_entry(path, name, entry)))
    end, last = 0, None
    for name, _, _, begin, stop in sorted(entries, key=lambda e: e[3]):
        if begin < end:
            raise CheckpointError(f"{path} is corrupt: tensor {_q(name)} overlaps another")
        end, last = stop, name
    if end > available:
        raise CheckpointError(
            f"{path} is truncated: tensor {_q(last)} ends {end} bytes after the header, the "
            f"file has {available}; use an earlier checkpoint"
        )
    data = _read_exactly(path, f, end)
    return {
        name: np.frombuffer(data, dtype, math.prod(shape), begin).reshape(shape)
        for name, dtype, shape, begin, _ in entries
    }


def _entry(path: Path, name: str, entry) -> tuple[np.dtype, list[int], int, int]:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(f"{path} is corrupt: header entry {_q(name)} {why}")

    if not isinstance(entry, dict):
        raise bad(f"is {_kind(entry)}, not an object; use an earlier checkpoint")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise bad(f"has dtype {_q(dtype)}; supported: {', '.join(DTYPES)}")
    if not isinstance(shape, list) or not all(_natural(d) for d in shape):
        raise bad("has no valid 'shape' (a list of non-negative integers)")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_natural, offsets))):
        raise bad("has no valid 'data_offsets' (two non-negative integers)")
    begin, stop = offsets
    dt = np.dtype(DTYPES[dtype])
    if stop - begin != math.prod(shape) * dt.itemsize:
        raise bad(f"declares {stop - begin} bytes for a {dtype} tensor of shape {shape}")
    return dt, shape, begin, stop


def _natural(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _q(x) -> str:
    """A value from the file, quoted on one short line."""
    return clip(_kind(x) if isinstance(x, (dict, list)) else json.dumps(x))


def _kind(x) -> str:
    """A JSON value's type, in JSON's words."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return "null" if x is None else names.get(type(x), "a number")


def _gradcli_meta(path: Path, metadata) -> dict:
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a safetensors file but not a gradcli checkpoint (no '{FORMAT}' marker); "
            "pass a file from a run's checkpoints/ folder"
        )
    corrupt = f"{path} is corrupt (its gradcli metadata is not a JSON object); use an earlier one"
    raw = metadata.get("gradcli")
    meta = _json(path, raw, "metadata", corrupt) if isinstance(raw, str) else None
    if not isinstance(meta, dict):
        raise CheckpointError(corrupt)
    if not isinstance(meta.get("config"), dict):
        raise CheckpointError(
            f"{path} holds no config to rebuild its model from (metadata 'config' is missing "
            "or not a mapping); use a checkpoint written by gradcli train"
        )
    for key, kind in _KINDS.items():
        if key in meta and not isinstance(meta[key], kind):
            raise CheckpointError(
                f"{path} is corrupt: its '{key}' entry is {_kind(meta[key])}; "
                "use an earlier checkpoint"
            )
    if not all(
        isinstance(t, dict) and isinstance(t.get("type"), str) for t in meta.get("transforms", [])
    ):
        raise CheckpointError(
            f"{path} is corrupt: its 'transforms' entry holds one without a 'type'; "
            "use an earlier checkpoint"
        )
    return meta


def _bad_entry(path, key: str, why: str) -> CheckpointError:
    return CheckpointError(
        f"{path}: cannot resume from it: its '{key}' entry {why}; use another checkpoint"
    )


def check_same_data(meta: dict, dataset: dict, transforms: list, path) -> None:
    """A resume continues on the data it was trained on: another dataset or other transforms
    (`--set data.dataset=...`) would silently train the weights on something else. Where the
    files are (`source`) may change."""
    pairs = [("transforms", meta.get("transforms", transforms), transforms)]
    saved = meta.get("dataset") or {}
    pairs += [
        (f"dataset {k}", saved[k], v) for k, v in dataset.items() if k in saved and k != "source"
    ]
    for key, then, now in pairs:
        if then != now:
            raise CheckpointError(
                f"{path}: it was trained on other data ({key} {clip(repr(then))}, now "
                f"{clip(repr(now))}); resume with the run's own data settings"
            )


def check_resumable(ck, path) -> None:
    """Check, before anything is restored, that the Checkpoint `ck` holds what resuming needs,
    each entry of the right shape; a bad one is a CheckpointError naming the file and entry."""
    meta = ck.meta
    for key in ("state", "rng", "loader", "optimizer"):
        if not isinstance(meta.get(key), dict):
            raise _bad_entry(path, key, f"is {_kind(meta[key])}" if key in meta else "is missing")
    for key, ok in _STATE.items():
        if key in meta["state"] and not ok(meta["state"][key]):
            raise _bad_entry(path, f"state.{key}", f"is {_q(meta['state'][key])}")
    if not {"epoch", "step"} <= meta["state"].keys():
        raise _bad_entry(path, "state", "lacks its epoch or step")
    for key, ok in _LOADER.items():
        if not ok(meta["loader"].get(key)):
            raise _bad_entry(path, f"loader.{key}", "is missing or has a bad value")
    for key, rng in (("rng", meta["rng"]), ("loader.rng_state", meta["loader"]["rng_state"])):
        try:
            check_rng_state(rng)
        except GradcliError as e:
            raise _bad_entry(path, key, f"is not a random generator state ({e})") from None
    opt = meta["optimizer"]
    if not (isinstance(opt.get("state"), dict) and all(
        k.isdigit() and isinstance(v, dict) for k, v in opt["state"].items()
    )):  # fmt: skip
        raise _bad_entry(path, "optimizer.state", "is not a mapping of parameter index to state")
    groups = opt.get("param_groups")
    if not (isinstance(groups, list) and all(_group(g) for g in groups)):
        raise _bad_entry(path, "optimizer.param_groups", "is not a list of parameter groups")
    for key in ("scheduler", "callbacks"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise _bad_entry(path, key, f"is {_kind(meta[key])}, not an object")
    if any(not isinstance(v, dict) for v in (meta.get("callbacks") or {}).values()):
        raise _bad_entry(path, "callbacks", "holds a state that is not a mapping")
    for name in ck.tensors:  # optimizer_state() splits `optim.<index>.<buffer>`
        parts = name.split(".", 2)
        if parts[0] != "model" and (
            parts[0] != "optim" or len(parts) < 3 or not parts[1].isdigit()
        ):
            raise _bad_entry(path, "tensors", f"include {_q(name)} (not model.* or optim.N.*)")


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _group(g) -> bool:
    params = g.get("params") if isinstance(g, dict) else None
    return isinstance(params, list) and all(map(_natural, params))


_STATE = {
    **dict.fromkeys(("epoch", "step", "epoch_correct", "epoch_seen", "interval_steps"), _natural),
    "samples": _natural,
    **dict.fromkeys(("epoch_loss", "interval_loss", "elapsed"), _number),
    "stopped_early": lambda x: isinstance(x, bool),
    # a row per finished epoch; the best-checkpoint summary looks rows up by epoch
    "history": lambda x: (
        isinstance(x, list)
        and all(isinstance(row, dict) and _natural(row.get("epoch")) for row in x)
    ),
}
_LOADER = {
    **dict.fromkeys(("num_samples", "batch_size", "epoch", "batch_index"), _natural),
    **dict.fromkeys(("shuffle", "in_epoch"), lambda x: isinstance(x, bool)),
    "order": lambda x: x is None or (isinstance(x, list) and all(map(_natural, x))),
    "rng_state": lambda x: isinstance(x, dict),
}
