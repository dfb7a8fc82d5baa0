import numpy as np

from gradcli.data import DataLoader, build_datasets


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
    splits = build_datasets("regression", val_fraction=0.0, test=False)
    assert splits.val is None and splits.test is None and len(splits.train) == 64
