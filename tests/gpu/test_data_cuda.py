"""Batches on the GPU: the DataLoader with background workers on cuda and cuda:1, and the
augmentations run on device arrays as on host ones (tests/data's GPU test of augment decides at
collection, before the CuPy stand-in is in place, so it is checked here)."""

import numpy as np
import pytest

import gradcli
from gradcli import backend
from gradcli.data import DataLoader, TensorDataset, build_augment

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("dev", ["cuda", "cuda:1"])
def test_loader_puts_every_sample_on_the_device_once(dev, workers):
    if gradcli.device(dev).index >= gradcli.cuda.device_count():
        pytest.skip(f"needs {dev}")
    x = np.random.default_rng(0).random((40, 3), dtype=np.float32)
    loader = DataLoader(TensorDataset(x, np.arange(40)), batch_size=8, num_workers=workers,
                        device=dev, shuffle=True)  # fmt: skip
    seen = []
    for xb, yb in loader:
        assert xb.device == gradcli.device(dev) == yb.device
        np.testing.assert_array_equal(xb.cpu().numpy(), x[yb.cpu().numpy()])
        seen += yb.tolist()
    assert sorted(seen) == list(range(40))


def test_augmentations_on_device_arrays_match_the_host():
    x = np.random.default_rng(1).random((32, 3, 8, 8), dtype=np.float32)
    gpu = backend.to_device(x, backend.device("cuda"))
    for spec in ([{"random_crop": 3}], [{"hflip": 0.5}], [{"random_crop": 2}, {"hflip": 0.5}]):
        on_cpu, on_gpu = build_augment(spec, seed=9)(x), build_augment(spec, seed=9)(gpu)
        assert backend.device_of(on_gpu).type == "cuda" and on_gpu.dtype == np.float32
        np.testing.assert_array_equal(on_cpu, backend.to_device(on_gpu, backend.CPU))
