"""Known downloadable datasets: where they come from, their files and checksums.

One table serves the readers (which files to look for), `download` (URLs, MD5s) and
`dataset_status` (what is present and whether it verifies). Mirrors are those torchvision uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RemoteFile:
    """A file published at `<mirror><name>`, with its MD5 and (when known) size in bytes."""

    name: str
    md5: str
    size: int | None = None


@dataclass(frozen=True)
class RemoteDataset:
    """A dataset that can be downloaded into `<root>/<folder>/`.

    `required` lists, per file a reader needs, the acceptable paths relative to the folder
    (first match wins): gzip or raw IDX files, CIFAR bins inside or outside their archive folder.
    `extract` names archive members to unpack after download (CIFAR ships as one tarball).
    """

    name: str
    folder: str
    mirrors: tuple[str, ...]
    files: tuple[RemoteFile, ...]
    required: dict[str, tuple[tuple[str, ...], ...]]  # split -> files needed for that split
    homepage: str
    license: str
    extract: tuple[str, ...] = field(default=())


def _idx_required(prefix: str) -> tuple[tuple[str, ...], ...]:
    names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    return tuple((n + ".gz", n) for n in names)


_IDX_REQUIRED = {"train": _idx_required("train"), "test": _idx_required("t10k")}
_CIFAR_DIR = "cifar-10-batches-bin"
_CIFAR_BINS = {
    "train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)),
    "test": ("test_batch.bin",),
}

SOURCES: dict[str, RemoteDataset] = {
    "mnist": RemoteDataset(
        name="mnist",
        folder="mnist",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files=(
            RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
            RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
            RemoteFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877),
            RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542),
        ),
        required=_IDX_REQUIRED,
        homepage="http://yann.lecun.com/exdb/mnist/",
        license="CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
    ),
    "fashion-mnist": RemoteDataset(
        name="fashion-mnist",
        folder="fashion-mnist",
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        files=(
            RemoteFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
            RemoteFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29515),
            RemoteFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4422102),
            RemoteFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5148),
        ),
        required=_IDX_REQUIRED,
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        license="MIT (Zalando SE)",
    ),
    "cifar10": RemoteDataset(
        name="cifar10",
        folder="cifar10",
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        files=(RemoteFile("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530"),),
        required={
            split: tuple((f"{_CIFAR_DIR}/{b}", b) for b in bins)
            for split, bins in _CIFAR_BINS.items()
        },
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
        license="no licence stated; cite Krizhevsky (2009), Learning Multiple Layers of "
        "Features from Tiny Images",
        extract=tuple(f"{_CIFAR_DIR}/{b}" for bins in _CIFAR_BINS.values() for b in bins)
        + (f"{_CIFAR_DIR}/batches.meta.txt",),
    ),
}
