"""CIFAR-10 binary-version reader.

Each `.bin` file is a run of 3073-byte records: one label byte, then 3072 pixel bytes (1024
red, 1024 green, 1024 blue, each 32x32 row-major), which is exactly (3, 32, 32) per image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataError

CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
IMAGE_SHAPE = (3, 32, 32)
RECORD_BYTES = 1 + 3 * 32 * 32
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
# The official tarball unpacks into this folder; we accept the files either there or directly.
ARCHIVE_DIR = "cifar-10-batches-bin"


def _parse(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    # Returns a read-only view of the file bytes; callers copy once (see read_cifar).
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if not raw or len(raw) % RECORD_BYTES:
        raise DataError(
            f"{path}: size {len(raw):,} bytes is not a whole number of {RECORD_BYTES}-byte "
            "CIFAR-10 records (1 label byte + 3072 pixel bytes); the file is truncated or "
            "not the binary version, download it again"
        )
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CLASS_NAMES):
        bad = int(np.argmax(labels >= len(CLASS_NAMES)))
        raise DataError(
            f"{path}: record {bad} has label {labels[bad]}, CIFAR-10 labels are 0-9; "
            "is this the CIFAR-100 binary version?"
        )
    return records[:, 1:].reshape((-1,) + IMAGE_SHAPE), labels


def read_cifar(paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Batch files -> (N, 3, 32, 32) uint8 images and (N,) int64 labels, concatenated in order.

    The images are copied exactly once (by the concatenation), so they are writable.
    """
    parts = [_parse(p) for p in paths]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
