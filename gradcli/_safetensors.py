"""A strict reader of the safetensors format, for `gradcli.load` (no pickle, no trust).

We parse the file ourselves rather than call `safetensors.numpy.load` because numpy has no
bfloat16: a Hugging Face checkpoint in bf16 must still load (widened to float32, exactly).
Every header field is checked against the buffer before any byte is read as data, so a
truncated or hostile file is a one-line `CheckpointError`, never a numpy crash.

Layout: 8-byte little-endian header length, a JSON header `{name: {dtype, shape,
data_offsets}, "__metadata__": {str: str}}`, then the tensors' bytes.
"""

from __future__ import annotations

import json
import math

import numpy as np

from gradcli.errors import CheckpointError

# safetensors dtype codes -> little-endian numpy dtypes gradcli can hold
_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}
_HEADER_LIMIT = 100 * 2**20  # the format's own cap on the JSON header


def read(data: bytes | bytearray | memoryview, where: str):
    """`(arrays by name in file order, metadata, names of bf16 tensors widened to float32)`."""
    buf = memoryview(data)
    if len(buf) < 8:
        raise CheckpointError(f"{where}: too short to be a safetensors file ({len(buf)} bytes)")
    n = int.from_bytes(buf[:8], "little")
    if n > min(_HEADER_LIMIT, len(buf) - 8):
        raise CheckpointError(f"{where}: not a safetensors file (header length {n} is invalid)")
    try:
        header = json.loads(bytes(buf[8 : 8 + n]))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{where}: safetensors header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{where}: safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{where}: safetensors __metadata__ is not a JSON object")
    body = buf[8 + n :]
    entries = sorted(header.items(), key=lambda kv: _offsets(kv, where)[0])
    arrays, widened = {}, []
    for name, info in entries:
        arrays[name] = _array(name, info, body, where, widened)
    return arrays, metadata, widened


def _offsets(item, where):
    name, info = item
    try:
        begin, end = (int(v) for v in info["data_offsets"])
    except (TypeError, KeyError, ValueError):
        raise CheckpointError(f"{where}: tensor '{name}' has no valid data_offsets") from None
    return begin, end


def _array(name, info, body, where, widened) -> np.ndarray:
    begin, end = _offsets((name, info), where)
    code = info.get("dtype")
    shape = info.get("shape")
    if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise CheckpointError(f"{where}: tensor '{name}' has an invalid shape {shape!r}")
    if not 0 <= begin <= end <= len(body):
        raise CheckpointError(
            f"{where}: tensor '{name}' lies outside the file (bytes {begin}..{end} of "
            f"{len(body)}): the file is truncated or corrupt"
        )
    raw = body[begin:end]
    if code == "BF16":  # bf16 is the top half of a float32: widening is exact
        halves = _checked(raw, np.dtype("<u2"), shape, name, where)
        widened.append(name)
        return (halves.astype(np.uint32) << 16).view(np.float32).reshape(shape)
    if code not in _DTYPES:
        raise CheckpointError(
            f"{where}: tensor '{name}' has dtype {code}, which gradcli cannot hold; convert it "
            f"to one of {', '.join(_DTYPES)} or BF16 before saving"
        )
    npdt = np.dtype(_DTYPES[code])
    return _checked(raw, npdt, shape, name, where).astype(npdt.newbyteorder("="), copy=False)


def _checked(raw, npdt: np.dtype, shape, name, where) -> np.ndarray:
    count = math.prod(shape)
    if count * npdt.itemsize != len(raw):
        raise CheckpointError(
            f"{where}: tensor '{name}' of shape {shape} needs {count * npdt.itemsize} bytes of "
            f"{npdt}, the file holds {len(raw)}"
        )
    # a copy: owned, aligned and writable (in-place ops and optimizers write into loaded tensors)
    return np.frombuffer(raw, dtype=npdt, count=count).reshape(shape).copy()
