"""The real MNIST / Fashion-MNIST files, when present (never copied into the repository)."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from gradcli.data import ENV_VAR, load_dataset

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"
ROOT = Path(os.environ.get(ENV_VAR) or SHARED)

# name -> (train label counts, test label counts, md5 of the first training image's bytes,
#          its pixel sum, first ten training labels)
EXPECTED = {
    "mnist": (
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
        "2ce86e4daeeff3a0cdebce6897c784ba",
        27525,
        [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
    ),
    "fashion-mnist": (
        [6000] * 10,
        [1000] * 10,
        "4faf81e309af5194c477affdbefc6116",
        76247,
        [9, 0, 0, 3, 0, 2, 7, 2, 5, 5],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_idx_dataset(name):
    if not (ROOT / name / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"{name} files not found under {ROOT} (set {ENV_VAR} to a folder with {name}/)")
    train_counts, test_counts, md5, pixel_sum, first_labels = EXPECTED[name]
    x, y, info = load_dataset(name, root=ROOT, split="train")
    xt, yt, _ = load_dataset(name, root=ROOT, split="test")
    assert x.shape == (60000, 1, 28, 28) and xt.shape == (10000, 1, 28, 28)
    assert x.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == train_counts
    assert np.bincount(yt).tolist() == test_counts
    assert hashlib.md5(x[0].tobytes()).hexdigest() == md5
    assert int(x[0].sum()) == pixel_sum
    assert y[:10].tolist() == first_labels
    assert info.input_shape == (1, 28, 28) and info.num_classes == 10
