import numpy as np
import pytest

from gradcli.data import DataError, load_dataset
from gradcli.data.registry import _first_bad_row


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


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("a,b,label\n", "only a header row, no data rows"),
        ("a,b,label\n1,2,0\n3,4,1,9\n5,6,1\n", ":3: 4 fields, but the first row has 3"),
        ("a,b,label\n1,2,0\n3,4\n", ":3: 2 fields, but the first row has 3"),
        ("1,2,0\n3,4,1,9\n", ":2: 4 fields, but the first row has 3"),
    ],
    ids=["empty", "header-only", "extra-field", "missing-field", "extra-field-no-header"],
)
def test_malformed_csv_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        load_dataset("csv", path=str(path))
    msg = str(err.value)
    assert msg.startswith(str(path)) and message in msg and "\n" not in msg


def test_quoted_delimiters_are_not_extra_fields(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('a,b,label\n1,2,"cat, big"\n3,4,dog\n')
    x, y, info = load_dataset("csv", path=str(path))
    assert x.shape == (2, 2) and info.class_names == ("cat, big", "dog")


def test_damaged_npz_files_are_one_line_naming_the_file(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, x=np.arange(4000.0).reshape(1000, 4), y=np.zeros(1000, int))
    data = good.read_bytes()
    cases = {
        "truncated.npz": data[: len(data) // 2],
        "garbage.npz": bytes(range(256)) * 4,
        # a flipped byte inside x's data: the zip index is intact, the member's CRC is not
        "flipped.npz": data[:2000] + bytes([data[2000] ^ 0xFF]) + data[2001:],
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "folder.npz").mkdir()
    expected = {
        "truncated.npz": "not an .npz file",
        "garbage.npz": "not an .npz file",
        "flipped.npz": "damaged .npz file",
        "folder.npz": "is a folder, not a file",
    }
    for name, message in expected.items():
        with pytest.raises(DataError) as err:
            load_dataset("npz", path=str(tmp_path / name))
        msg = str(err.value)
        assert msg.startswith(str(tmp_path / name)) and message in msg, name


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_blamed_on_the_data_with_file_and_row(tmp_path, bad):
    x = np.ones((6, 3), np.float32)
    x[4, 1] = x[5, 0] = bad
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=np.arange(6) % 2)
    with pytest.raises(DataError) as err:
        load_dataset("npz", path=str(path))
    msg = str(err.value)
    assert msg.startswith(f"{path} (train split): the inputs hold NaN or infinite values")
    assert "in 2 row(s), the first at row 4" in msg and "the data is bad, not the model" in msg


def test_non_finite_csv_targets_are_caught_too(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,t\n1,0.5\n2,nan\n")
    with pytest.raises(DataError, match=r"the targets hold NaN .* first at row 1"):
        load_dataset("csv", path=str(path))


def test_huge_finite_float64_values_are_not_mistaken_for_inf():
    x = np.full((4, 2), 1e308)  # finite, but their float64 sum overflows
    assert _first_bad_row(x) is None
    x[2, 1] = np.nan
    assert _first_bad_row(x) == (2, 1)


def test_values_beyond_float32_are_reported_as_infinite(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.array([[1.0], [1e300]]), y=np.array([0, 1]))
    with pytest.raises(DataError, match="the first at row 1"):
        load_dataset("npz", path=str(path))
