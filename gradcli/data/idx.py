"""IDX reader (the MNIST / Fashion-MNIST file format), gzip-compressed or raw.

Header: two zero bytes, a type code, the number of dimensions, then one big-endian uint32 per
dimension. The payload is read with a single `np.frombuffer` call: no per-image loop, and
never pickle.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from .errors import DataError

IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions (count, rows, cols)
LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension (count)

# IDX type code -> big-endian numpy dtype.
_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_bytes(path: str | Path) -> bytes:
    """File contents, gunzipped when the file starts with the gzip magic (whatever its name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    parts = []
    data = raw
    # Loop over gzip members (concatenated .gz files are valid); zlib is faster than gzip.
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            parts.append(d.decompress(data))
        except zlib.error as exc:
            raise DataError(f"{path}: corrupt gzip data ({exc}); download the file again") from None
        if not d.eof:
            raise DataError(
                f"{path}: gzip stream is truncated (file is {len(raw):,} bytes); "
                "the download was probably interrupted, download the file again"
            )
        data = d.unused_data
        if data[:2] != b"\x1f\x8b":
            break  # trailing padding after the last member is allowed by gzip
    return b"".join(parts)


def parse_idx(data: bytes, path: str | Path = "<bytes>", magic: int | None = None) -> np.ndarray:
    """Decode IDX bytes into an array (native byte order, writable).

    `magic`, when given, is the required first header word (2051 images, 2049 labels).
    """
    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    found = int.from_bytes(data[:4], "big")
    zeros, code, ndim = data[:2], data[2], data[3]
    if magic is not None and found != magic:
        raise DataError(
            f"{path}: bad magic number {found} (0x{found:08X}), expected {magic} "
            f"(0x{magic:08X}); this is not an IDX "
            f"{'image' if magic == IMAGES_MAGIC else 'label'} file"
        )
    if zeros != b"\x00\x00" or code not in _DTYPES or ndim == 0:
        raise DataError(f"{path}: bad magic number 0x{found:08X}; this is not an IDX file")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(
            f"{path}: truncated header: {ndim} dimensions need {header} bytes, file has {len(data)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _DTYPES[code]
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise DataError(
            f"{path}: payload length mismatch ({what}): header dims {dims} need "
            f"{expected:,} bytes, file has {len(data):,}; download the file again"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    # Copy once: the result is writable and in native byte order, and the bytes can be freed.
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | Path, magic: int | None = None) -> np.ndarray:
    """Read one IDX file (gzip or raw)."""
    return parse_idx(read_bytes(path), path, magic)


def read_idx_pair(
    images_path: str | Path, labels_path: str | Path
) -> tuple[np.ndarray, np.ndarray]:
    """Read an images/labels pair: (N, rows, cols) uint8 images and (N,) int64 labels."""
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.ndim != 3:
        raise DataError(
            f"{images_path}: expected 3 dimensions (count, rows, cols), got {images.shape}"
        )
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected 1 dimension (count), got {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"count mismatch: {images_path} has {images.shape[0]:,} images but {labels_path} has "
            f"{labels.shape[0]:,} labels; the files come from different releases or splits"
        )
    return images, labels.astype(np.int64)
