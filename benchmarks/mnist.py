"""Where the MNIST-sized data comes from: the real files when present, else a synthetic stand-in."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gradcli.data.errors import DataError
from gradcli.data.paths import locate
from gradcli.data.sources import SOURCES

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "mnist_lenet.yaml"


def find_mnist_root() -> Path | None:
    """$GRADCLI_DATA_DIR, ./datasets, then ../shared/datasets: the first holding MNIST's train
    files."""
    candidates = []
    if os.environ.get("GRADCLI_DATA_DIR"):
        candidates.append(Path(os.environ["GRADCLI_DATA_DIR"]).expanduser())
    candidates += [REPO / "datasets", REPO.parent / "shared" / "datasets"]
    for root in candidates:
        try:
            locate(SOURCES["mnist"], ["train"], root)
        except DataError:
            continue
        return root
    return None


def data_overrides(tmp_dir: Path) -> tuple[list[str], str]:
    """`--set` overrides pointing configs/mnist_lenet.yaml at the data, and what the data is."""
    root = find_mnist_root()
    if root is not None:
        return [f"data.root={root}"], f"real MNIST files ({root / 'mnist'})"
    rng = np.random.default_rng(0)
    path = Path(tmp_dir) / "synthetic-mnist.npz"
    x = rng.integers(0, 256, (60000, 1, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 60000, dtype=np.int64)
    np.savez(path, x=x, y=y)
    what = (
        "synthetic data of MNIST's size (60000 random 1x28x28 uint8 images; no MNIST files found)"
    )
    return ["data.dataset=npz", f"data.options.path={path}"], what
