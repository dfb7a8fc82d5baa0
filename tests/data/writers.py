"""Tiny writers for the binary formats, so tests build their own small files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D}


def idx_bytes(arr: np.ndarray, magic: int | None = None) -> bytes:
    """IDX encoding of `arr`; `magic` overrides the first header word (to corrupt it)."""
    code = IDX_CODES[arr.dtype.type]
    head = magic if magic is not None else (code << 8) | arr.ndim
    dims = np.array(arr.shape, dtype=">u4").tobytes()
    body = arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    return int(head).to_bytes(4, "big") + dims + body


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_mnist(folder: Path, n_train: int = 12, n_test: int = 5, gz: bool = True, seed: int = 0):
    """A tiny fake MNIST folder; returns {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        ext = ".gz" if gz else ""
        write(folder / f"{prefix}-images-idx3-ubyte{ext}", idx_bytes(images), gz)
        write(folder / f"{prefix}-labels-idx1-ubyte{ext}", idx_bytes(labels), gz)
        out[split] = (images, labels)
    return out


def cifar_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    records = np.concatenate([labels[:, None].astype(np.uint8), images.reshape(len(images), -1)], 1)
    return records.astype(np.uint8).tobytes()


def write_cifar(folder: Path, per_batch: int = 3, seed: int = 0):
    """Fake CIFAR-10 bins (5 train batches + test) in `folder`; returns {split: (x, y)}."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for name in names:
        x = rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8)
        y = rng.integers(0, 10, per_batch).astype(np.uint8)
        write(folder / name, cifar_bytes(x, y))
        xs.append(x)
        ys.append(y)
    return {
        "train": (np.concatenate(xs[:5]), np.concatenate(ys[:5])),
        "test": (xs[5], ys[5]),
    }
