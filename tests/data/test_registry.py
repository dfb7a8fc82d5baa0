import numpy as np
import pytest

from gradcli.data import (
    DATASETS,
    ENV_VAR,
    DataError,
    DatasetInfo,
    LoadedData,
    build_datasets,
    dataset_options,
    load_dataset,
)

from .writers import write_mnist


def test_unknown_dataset_and_option():
    with pytest.raises(DataError, match="unknown dataset 'imagenet'; choose one of mnist, "):
        load_dataset("imagenet")
    with pytest.raises(
        DataError, match="^dataset 'spirals': unknown option 'colour'; choose one of seed, "
    ):
        load_dataset("spirals", colour="red")


def test_misspelt_dataset_option_suggests_the_option():
    with pytest.raises(DataError, match="did you mean 'noise'") as err:
        load_dataset("spirals", nosie=0.1, colour="red")
    msg = str(err.value)
    assert msg.startswith("dataset 'spirals': unknown option 'nosie'") and msg.count("\n") == 0
    assert msg.endswith("; also unknown: colour")


def test_dataset_options_lists_defaults():
    opts = dataset_options("regression")
    assert opts["in_features"] == 1000 and opts["out_features"] == 10 and "root" not in opts


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "Fashion_MNIST"])
def test_idx_dataset_from_explicit_root(tmp_path, name):
    folder = "mnist" if name == "mnist" else "fashion-mnist"
    expected = write_mnist(tmp_path / folder, gz=name != "mnist")
    x, y, info = load_dataset(name, root=tmp_path, split="test")
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0], expected["test"][0])
    assert info.num_classes == 10 and info.name == folder
    assert (info.class_names[0] == "T-shirt/top") == (folder == "fashion-mnist")


def test_root_may_point_at_the_dataset_folder(tmp_path):
    write_mnist(tmp_path / "digits")
    assert load_dataset("mnist", root=tmp_path / "digits").x.shape[0] == 12


def test_env_var_used_when_no_root(tmp_path, monkeypatch):
    write_mnist(tmp_path / "mnist", n_train=7)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert load_dataset("mnist").x.shape[0] == 7
    other = tmp_path / "elsewhere"
    write_mnist(other / "mnist", n_train=3)
    assert load_dataset("mnist", root=other).x.shape[0] == 3  # explicit root wins


def test_missing_files_error_says_what_where_and_how(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "xdg" / "gradcli" / "datasets" / "mnist"
    with pytest.raises(DataError) as err:
        load_dataset("mnist", split="test")
    msg = str(err.value)
    assert msg.startswith("mnist: missing file(s) t10k-images-idx3-ubyte.gz, t10k-labels-idx1")
    assert f"looked in {folder}, from the default)" in msg
    assert "`gradcli datasets download mnist`" in msg
    assert f"set {ENV_VAR} (or data.root) to a folder that contains mnist/" in msg
    assert f"copy the files by hand into {folder}" in msg
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz" in msg
    assert "train-images" not in msg  # only the files this split needs
    assert "\n" not in msg


def test_partial_folder_reports_only_the_missing_file(tmp_path):
    write_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing file\(s\) train-labels-idx1-ubyte.gz \("):
        load_dataset("mnist", root=tmp_path)
    assert load_dataset("mnist", root=tmp_path, split="test").x.shape[0] == 5


def test_a_dataset_registered_elsewhere_loads_by_name_with_its_options():
    def load_ramp(root=None, split="train", n: int = 4):
        x = np.arange(n, dtype=np.float32)[:, None]
        return LoadedData(x, np.arange(n) % 2, DatasetInfo("ramp", "classification", (1,), (), 2))

    with DATASETS.temporarily("ramp", load_ramp):
        assert load_dataset("Ramp", n=6).x.shape == (6, 1)
        assert dataset_options("ramp") == {"n": 4}
        assert len(build_datasets("ramp", splits=["train"]).train) == 4
    with pytest.raises(DataError, match="unknown dataset 'ramp'"):
        load_dataset("ramp")


def test_misspelt_dataset_suggests_the_name():
    with pytest.raises(DataError, match="unknown dataset 'spirels'") as err:
        load_dataset("spirels")
    assert "did you mean 'spirals'" in str(err.value)


def test_a_dataset_registered_with_capitals_loads_under_any_case():
    def load_ramp(root=None, split="train"):
        x = np.zeros((3, 1), np.float32)
        return LoadedData(x, np.arange(3) % 2, DatasetInfo("ramp", "classification", (1,), (), 2))

    with DATASETS.temporarily("MyRamp", load_ramp, aliases=["Ramp-Alias"]):
        for name in ("MyRamp", "myramp", "MYRAMP", "ramp-alias"):
            assert load_dataset(name).x.shape == (3, 1)
        with pytest.raises(ValueError, match="already registered"):
            DATASETS.register("myramp", load_ramp)
    assert "myramp" not in DATASETS
