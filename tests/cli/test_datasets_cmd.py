"""`gradcli datasets list|download` through the real entry point."""

import os
import subprocess
import sys

import pytest

from .conftest import SHARED, shared_datasets


def gradcli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, env=env
    )


def test_shared_datasets_honours_gradcli_data_dir_first(tmp_path):
    (tmp_path / "mnist").mkdir()
    assert shared_datasets({"GRADCLI_DATA_DIR": str(tmp_path)}) == tmp_path
    fallback = shared_datasets({})
    assert fallback.parts[-2:] == ("shared", "datasets")
    assert shared_datasets({"GRADCLI_DATA_DIR": str(tmp_path / "none")}) == fallback


def test_list_says_which_data_root_is_used_and_why(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GRADCLI_DATA_DIR"}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    out = gradcli("datasets", "list", env=env)
    assert out.returncode == 0, out.stderr
    assert f"data root: {tmp_path / 'xdg' / 'gradcli' / 'datasets'} (the per-user default" in (
        out.stdout
    )
    out = gradcli("datasets", "list", env={**env, "GRADCLI_DATA_DIR": str(tmp_path / "e")})
    assert f"data root: {tmp_path / 'e'} (from $GRADCLI_DATA_DIR)" in out.stdout
    for flag in ("--root", "--data"):  # one option, both spellings
        out = gradcli("datasets", "list", flag, str(tmp_path / "r"), env=env)
        assert f"data root: {tmp_path / 'r'} (from the command line)" in out.stdout
        assert "mnist/" in out.stdout and "missing" in out.stdout


def test_version_and_help():
    out = gradcli("--version")
    assert out.returncode == 0 and out.stdout.startswith("gradcli ")
    out = gradcli("datasets", "--help")
    assert out.returncode == 0 and "download" in out.stdout and "list" in out.stdout


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="shared MNIST files are absent")
def test_list_shows_verified_datasets():
    out = gradcli("datasets", "list", "--root", str(SHARED))
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "mnist" in line]
    assert any("fashion-mnist" in line and "ready, verified" in line for line in lines)


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="shared MNIST files are absent")
def test_download_keeps_files_that_already_verify(tmp_path):
    (tmp_path / "mnist").mkdir()
    for f in (SHARED / "mnist").glob("*.gz"):
        (tmp_path / "mnist" / f.name).symlink_to(f)
    out = gradcli("datasets", "download", "mnist", "--root", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "is ready in" in out.stdout and "downloading" not in out.stdout


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="shared MNIST files are absent")
def test_a_root_with_brackets_prints_as_itself(tmp_path):
    root = tmp_path / "data[x] [bold]"
    (root / "mnist").mkdir(parents=True)
    for f in (SHARED / "mnist").glob("*.gz"):
        (root / "mnist" / f.name).symlink_to(f)
    out = gradcli("datasets", "download", "mnist", "--root", str(root))
    assert out.returncode == 0, out.stderr
    assert f"is ready in {root / 'mnist'}\n" in out.stdout


def test_unknown_dataset_is_one_clear_line():
    out = gradcli("datasets", "download", "no-such-set")
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "unknown downloadable dataset 'no-such-set'" in out.stderr
    assert "Traceback" not in out.stderr
