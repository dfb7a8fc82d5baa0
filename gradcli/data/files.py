"""File-backed image datasets: MNIST, Fashion-MNIST (IDX) and CIFAR-10 (binary batches).

Images come back as (N, C, H, W) uint8, labels as (N,) int64; the `scale` transform turns
pixels into float32 in [0, 1].
"""

from __future__ import annotations

import os

from .cifar import CLASS_NAMES as CIFAR10_CLASSES
from .cifar import read_cifar
from .errors import DataError
from .idx import read_idx_pair
from .info import DatasetInfo, LoadedData
from .paths import locate
from .sources import SOURCES

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
MNIST_CLASSES = tuple(str(d) for d in range(10))


def _check_split(name: str, split: str) -> None:
    if split not in ("train", "test"):
        raise DataError(f"{name}: split must be 'train' or 'test', got {split!r}")


def _load_idx(name: str, classes: tuple[str, ...], root, split: str) -> LoadedData:
    _check_split(name, split)
    images_path, labels_path = locate(SOURCES[name], [split], root)
    images, labels = read_idx_pair(images_path, labels_path)
    images = images[:, None]  # add the channel axis: (N, 1, 28, 28)
    if labels.size and labels.max() >= len(classes):
        raise DataError(f"{labels_path}: label {labels.max()} is out of range 0-{len(classes) - 1}")
    info = DatasetInfo(
        name=name,
        task="classification",
        input_shape=tuple(images.shape[1:]),
        num_classes=len(classes),
        class_names=classes,
        source=str(images_path.parent),
    )
    return LoadedData(images, labels, info)


def load_mnist(root: str | os.PathLike | None = None, split: str = "train") -> LoadedData:
    """MNIST digits: (60000 or 10000, 1, 28, 28) uint8 and int64 labels 0-9."""
    return _load_idx("mnist", MNIST_CLASSES, root, split)


def load_fashion_mnist(root: str | os.PathLike | None = None, split: str = "train") -> LoadedData:
    """Fashion-MNIST: same shapes as MNIST, 10 clothing classes."""
    return _load_idx("fashion-mnist", FASHION_CLASSES, root, split)


def load_cifar10(root: str | os.PathLike | None = None, split: str = "train") -> LoadedData:
    """CIFAR-10 binary version: (50000 or 10000, 3, 32, 32) uint8 and int64 labels 0-9."""
    _check_split("cifar10", split)
    paths = locate(SOURCES["cifar10"], [split], root)
    images, labels = read_cifar(paths)
    info = DatasetInfo(
        name="cifar10",
        task="classification",
        input_shape=tuple(images.shape[1:]),
        num_classes=len(CIFAR10_CLASSES),
        class_names=CIFAR10_CLASSES,
        source=str(paths[0].parent),
    )
    return LoadedData(images, labels, info)
