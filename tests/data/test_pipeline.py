import numpy as np
import pytest

from gradcli.data import DataError, DataLoader, build_datasets

from .writers import write_mnist


def test_build_datasets_splits_and_fits_on_train_only():
    splits = build_datasets(
        "shapes",
        options={"n_samples": 500, "n_test": 30, "size": 12},
        transforms=["scale", "normalize", "flatten", "one_hot"],
        val_fraction=0.2,
        seed=0,
    )
    assert len(splits.train) == 400 and len(splits.val) == 100 and len(splits.test) == 30
    assert splits.info.input_shape == (144,) and splits.info.target_shape == (10,)
    # what predict and export take: a sample as the files hold it, before flatten
    assert splits.info.raw_input_shape == (1, 12, 12)
    assert splits.info.to_dict()["raw_input_shape"] == [1, 12, 12]
    x_all, y_all = splits.train.dataset.arrays
    train_x = x_all[splits.train.indices]
    assert abs(float(train_x.mean())) < 1e-4 and abs(float(train_x.std()) - 1) < 1e-3
    assert abs(float(x_all[splits.val.indices].mean())) > 1e-4  # val stats were not used
    # Stratified: every class keeps 10 val images out of 50.
    assert (y_all[splits.val.indices].sum(0) == 10).all()
    mean = splits.transforms.spec()[1]["mean"]
    assert isinstance(mean, list) and len(mean) == 1
    xb, yb = next(DataLoader(splits.train, batch_size=32, shuffle=True, seed=0).iter_arrays())
    assert xb.shape == (32, 144) and xb.dtype == np.float32 and yb.dtype == np.float32


def test_build_datasets_regression_without_val_or_test():
    splits = build_datasets("regression", val_fraction=0.0, splits=["train", "val"])
    assert splits.val is None and splits.test is None and len(splits.train) == 64


def test_test_split_alone_reads_only_the_test_files(tmp_path):
    expected = write_mnist(tmp_path / "mnist", n_test=6)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / "mnist" / name).unlink()
    fitted = [{"type": "normalize", "mean": [100.0], "std": [50.0]}, "flatten"]
    splits = build_datasets("mnist", tmp_path, transforms=fitted, splits=["test"])
    assert splits.train is None and splits.val is None and len(splits.test) == 6
    x, y = splits.test.arrays
    np.testing.assert_allclose(x[0], (expected["test"][0][0].reshape(-1) - 100.0) / 50.0)
    assert splits.info.input_shape == (784,) and splits.info.num_classes == 10


def test_nothing_present_names_every_missing_file_of_every_split(tmp_path):
    with pytest.raises(DataError) as err:
        build_datasets("mnist", tmp_path, val_fraction=0.1)
    msg = str(err.value)
    missing = msg[msg.index("missing file(s) ") : msg.index(" (looked in")]
    assert missing == (
        "missing file(s) train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"
    )


def test_train_and_val_without_test_do_not_need_the_test_files(tmp_path):
    write_mnist(tmp_path / "mnist", n_train=20)
    (tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").unlink()
    splits = build_datasets("mnist", tmp_path, val_fraction=0.25, splits=["train", "val"])
    assert len(splits.train) == 15 and len(splits.val) == 5 and splits.test is None
    assert build_datasets("mnist", tmp_path, splits=["val"], val_fraction=0.25).train is None


def test_unknown_split_is_refused():
    with pytest.raises(DataError, match="splits must be some of train, val, test"):
        build_datasets("spirals", splits=["validation"])
