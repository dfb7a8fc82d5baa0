import numpy as np
import pytest

from gradcli.data import DataError, load_dataset


def test_npz_train_and_test_keys(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(
        path,
        x=np.ones((6, 3)),
        y=np.array([0, 1, 2, 0, 1, 2]),
        x_test=np.zeros((2, 3)),
        y_test=np.array([2, 1]),
    )
    x, y, info = load_dataset("npz", path=str(path))
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert info.task == "classification" and info.num_classes == 3 and info.input_shape == (3,)
    xt, yt, _ = load_dataset("npz", path=str(path), split="test")
    assert xt.shape == (2, 3) and yt.tolist() == [2, 1]


def test_npz_separate_test_file_and_root(tmp_path):
    np.savez(tmp_path / "train.npz", feats=np.ones((4, 2)), target=np.linspace(0, 1, 4))
    np.savez(tmp_path / "test.npz", feats=np.ones((3, 2)), target=np.linspace(0, 1, 3))
    opts = dict(path="train.npz", test_path="test.npz", x="feats", y="target")
    x, y, info = load_dataset("npz", root=tmp_path, **opts)
    assert info.task == "regression" and y.shape == (4, 1) and y.dtype == np.float32
    assert load_dataset("npz", root=tmp_path, split="test", **opts).y.shape == (3, 1)


def test_npz_errors(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.ones((2, 2)), y=np.zeros(2, int))
    with pytest.raises(DataError, match="no array named x_test, y_test; it holds x, y"):
        load_dataset("npz", path=str(path), split="test")
    np.savez(path, x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2, int))
    with pytest.raises(DataError, match="cannot read as .npz without pickle"):
        load_dataset("npz", path=str(path))
    with pytest.raises(DataError, match="missing option 'path'"):
        load_dataset("npz")


def test_csv_header_and_string_labels(tmp_path):
    (tmp_path / "iris.csv").write_text(
        "a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n", encoding="utf-8"
    )
    (tmp_path / "iris_test.csv").write_text("a,b,species\n7,8,virginica\n", encoding="utf-8")
    x, y, info = load_dataset("csv", path=str(tmp_path / "iris.csv"), label="species")
    assert x.tolist() == [[1, 2], [3, 4], [5, 6]] and x.dtype == np.float32
    assert y.tolist() == [0, 1, 0] and info.class_names == ("setosa", "virginica")
    xt, yt, _ = load_dataset(
        "csv",
        path=str(tmp_path / "iris.csv"),
        test_path=str(tmp_path / "iris_test.csv"),
        label="species",
        split="test",
    )
    assert yt.tolist() == [1]


def test_csv_without_header_regression_and_feature_selection(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("1,0.5,9,2.25\n2,1.5,9,4.75\n", encoding="utf-8")
    x, y, info = load_dataset("csv", path=str(path), features=[0, 1])
    assert info.task == "regression" and y.tolist() == [[2.25], [4.75]]
    assert x.shape == (2, 2)
    x, y, info = load_dataset("csv", path=str(path), label=2, task="classification")
    assert info.num_classes == 10 and x.shape == (2, 3)


def test_csv_bad_value_names_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\nx,3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.csv: .*'x'"):
        load_dataset("csv", path=str(path))
    with pytest.raises(DataError, match="no column 'c'; columns are a, b"):
        load_dataset("csv", path=str(path), label="c")
