"""Where dataset files are looked for: given root, then GRADCLI_DATA_DIR, then a per-user folder."""

import pytest

from gradcli.data import ENV_VAR, DataError, load_dataset
from gradcli.data.paths import resolve_root

from .writers import write_mnist


@pytest.fixture
def user_data(tmp_path, monkeypatch):
    """A fake home for platformdirs; no GRADCLI_DATA_DIR."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "gradcli" / "datasets"


def test_default_root_is_one_per_user_folder_whatever_the_working_directory(
    tmp_path, monkeypatch, user_data
):
    write_mnist(user_data / "mnist", n_train=7)
    for cwd in (tmp_path / "a", tmp_path / "b" / "c"):
        cwd.mkdir(parents=True)
        monkeypatch.chdir(cwd)
        assert load_dataset("mnist").x.shape[0] == 7
    assert resolve_root() == (user_data, "default")


def test_precedence_root_then_env_then_default(tmp_path, monkeypatch, user_data):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert resolve_root() == (tmp_path / "env", "env")
    assert resolve_root(tmp_path / "given") == (tmp_path / "given", "root")
    monkeypatch.setenv(ENV_VAR, "")  # set but empty counts as unset
    assert resolve_root() == (user_data, "default")


def test_missing_files_point_at_the_old_cwd_folder_when_it_holds_the_dataset(
    tmp_path, monkeypatch, user_data
):
    monkeypatch.chdir(tmp_path)
    write_mnist(tmp_path / "datasets" / "mnist")
    with pytest.raises(DataError) as err:
        load_dataset("mnist")
    msg = str(err.value)
    assert f"{tmp_path / 'datasets' / 'mnist'} is in the old default place" in msg
    assert f"set {ENV_VAR}={tmp_path / 'datasets'} or move it into {user_data}" in msg


def test_missing_files_say_the_root_came_from_the_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(DataError, match=rf"looked in {tmp_path}/mnist, from \${ENV_VAR}\)"):
        load_dataset("mnist")


def test_a_root_that_is_another_datasets_folder_does_not_stand_in_for_it(tmp_path):
    from gradcli.data.paths import candidate_dirs

    mnist = tmp_path / "mnist"
    assert candidate_dirs("fashion-mnist", mnist) == [mnist / "fashion-mnist"]
    assert candidate_dirs("mnist", mnist) == [mnist / "mnist", mnist]
    assert candidate_dirs("mnist", tmp_path / "my-files")[-1] == tmp_path / "my-files"
