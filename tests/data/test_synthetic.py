import time

import numpy as np
import pytest

from gradcli.data import DataError, load_dataset
from gradcli.data.shapes import SHAPE_CLASSES


@pytest.mark.parametrize("name", ["shapes", "spirals", "blobs", "regression"])
def test_deterministic_per_seed_and_split(name):
    opts = {"n_samples": 200, "n_test": 50} if name == "shapes" else {}
    a = load_dataset(name, seed=5, **opts)
    b = load_dataset(name, seed=5, **opts)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(load_dataset(name, seed=6, **opts).x, a.x)
    test = load_dataset(name, seed=5, split="test", **opts)
    assert not np.array_equal(test.x[:10], a.x[:10])


def test_shapes_defaults_balanced_and_fast():
    start = time.perf_counter()
    x, y, info = load_dataset("shapes", n_samples=12_000)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0  # typically ~0.3 s; generation is vectorised over images
    assert x.shape == (12_000, 1, 28, 28) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [1200] * 10
    assert info.class_names == SHAPE_CLASSES and info.num_classes == 10
    assert info.input_shape == (1, 28, 28)
    # Images are not blank and not saturated: figures on a darker, noisy background.
    assert 20 < x.mean() < 160 and x.max() > 200


def test_shapes_configurable_size_and_classes():
    x, y, info = load_dataset(
        "shapes", n_samples=30, size=16, classes=["ring", "plus", "vbar"], noise=0.0
    )
    assert x.shape == (30, 1, 16, 16) and np.bincount(y).tolist() == [10, 10, 10]
    assert info.class_names == ("ring", "plus", "vbar")
    with pytest.raises(DataError, match=r"unknown class name\(s\) \['star'\]"):
        load_dataset("shapes", classes=["star"])


def _ink_boxes(x):
    """Per image: ink mask (above the midpoint of its own min and max) and its bounding box."""
    img = x[:, 0].astype(np.float32)
    lo, hi = img.min(axis=(1, 2), keepdims=True), img.max(axis=(1, 2), keepdims=True)
    ink = img > (lo + hi) / 2
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    height, width = rows.sum(1), cols.sum(1)
    cy = (rows.argmax(1) + rows.shape[1] - 1 - rows[:, ::-1].argmax(1)) // 2
    cx = (cols.argmax(1) + cols.shape[1] - 1 - cols[:, ::-1].argmax(1)) // 2
    return ink, height, width, cy, cx


def test_shapes_figures_have_their_geometry():
    x, y, _ = load_dataset("shapes", n_samples=1000, noise=0.0, max_rotation=0.0)
    ink, height, width, cy, cx = _ink_boxes(x)
    centre_ink = ink[np.arange(len(x)), cy, cx]
    cls = {name: y == i for i, name in enumerate(SHAPE_CLASSES)}
    assert np.all(width[cls["hbar"]] > 1.5 * height[cls["hbar"]])
    assert np.all(height[cls["vbar"]] > 1.5 * width[cls["vbar"]])
    for filled in ("square", "circle", "triangle", "diamond", "plus", "x"):
        assert centre_ink[cls[filled]].mean() > 0.95, filled
    for hollow in ("ring", "square_outline"):
        assert not centre_ink[cls[hollow]].any(), hollow


def test_spirals_and_blobs():
    x, y, info = load_dataset("spirals", num_classes=4)
    assert x.shape == (1200, 2) and x.dtype == np.float32 and np.bincount(y).tolist() == [300] * 4
    assert info.num_classes == 4 and info.input_shape == (2,)
    assert np.abs(x).max() <= 1.0 + 1e-6
    xb, yb, _ = load_dataset("blobs", num_features=5, n_samples=90)
    xt, yt, _ = load_dataset("blobs", num_features=5, n_samples=90, split="test")
    assert xb.shape == (90, 5)
    # Same centres for both splits: per-class means agree closely.
    for c in range(3):
        assert np.linalg.norm(xb[yb == c].mean(0) - xt[yt == c].mean(0)) < 1.5


def test_regression_defaults_and_linear_target():
    x, y, info = load_dataset("regression")
    assert x.shape == (64, 1000) and y.shape == (64, 10) and y.dtype == np.float32
    assert info.task == "regression" and info.target_shape == (10,) and info.num_classes is None
    x, y, _ = load_dataset("regression", target="linear", n_samples=500, in_features=5, noise=0)
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose(x @ w, y, atol=1e-4)


def test_option_errors():
    with pytest.raises(DataError, match="n_samples must be a positive integer, got 0"):
        load_dataset("spirals", n_samples=0)
    with pytest.raises(DataError, match="num_classes must be an integer >= 2"):
        load_dataset("blobs", num_classes=1)
    with pytest.raises(DataError, match="split must be 'train' or 'test', got 'val'"):
        load_dataset("shapes", split="val")


@pytest.mark.parametrize("name", ["shapes", "spirals", "blobs", "regression"])
@pytest.mark.parametrize("n", [10**12, 1e12], ids=["int", "float"])
def test_absurd_sizes_are_refused_before_allocating(name, n):
    with pytest.raises(DataError) as err:
        load_dataset(name, n_samples=n)
    msg = str(err.value)
    assert msg.startswith(f"{name}: n_samples=1,000,000,000,000 would need about")
    assert "generated data is limited to 4 GiB" in msg and "lower n_samples" in msg
    with pytest.raises(DataError, match="n_test=1,000,000,000,000 would need"):
        load_dataset(name, split="test", n_test=n)


def test_integral_floats_are_sample_counts_and_huge_dimensions_are_refused():
    assert load_dataset("spirals", n_samples=1e3).x.shape == (1000, 2)
    with pytest.raises(DataError, match="n_samples must be a positive integer, got 10.5"):
        load_dataset("spirals", n_samples=10.5)
    with pytest.raises(DataError, match=r"got '1e5' \(text: YAML reads 1e12 as text but 1.0e12"):
        load_dataset("spirals", n_samples="1e5")
    with pytest.raises(DataError, match="regression: n_samples=64 would need"):
        load_dataset("regression", in_features=10**9)
    with pytest.raises(DataError, match="weights exceed the 4 GiB limit"):
        load_dataset(
            "regression", n_samples=1, in_features=10**5, out_features=10**5, target="linear"
        )


def test_shapes_in_colour_are_cifar_shaped_deterministic_and_keep_the_figures():
    opts = {"n_samples": 300, "size": 32, "channels": 3}
    x, y, info = load_dataset("shapes", seed=2, **opts)
    assert x.shape == (300, 3, 32, 32) and x.dtype == np.uint8 and info.input_shape == (3, 32, 32)
    assert info.num_classes == 10 and np.bincount(y).tolist() == [30] * 10
    np.testing.assert_array_equal(x, load_dataset("shapes", seed=2, **opts).x)
    assert not np.array_equal(x, load_dataset("shapes", seed=3, **opts).x)
    # colour is per image, not per class: every class shows many different background colours
    corners = x[:, :, 0, 0].astype(int)
    assert all(len({tuple(c) for c in corners[y == k]}) > 20 for k in range(10))
    # the grey figure is still there: same labels and same layout as the grey images
    grey = load_dataset("shapes", seed=2, n_samples=300, size=32)
    np.testing.assert_array_equal(grey.y, y)
    spread = x.astype(float).std(axis=(2, 3)).max(axis=1)
    assert (spread > 10).all()  # no image is a flat colour
    with pytest.raises(DataError, match="channels must be 1 .grey. or 3 .colour., got 2"):
        load_dataset("shapes", channels=2)
