"""`gradcli datasets list|download` through the real entry point."""

import pathlib
import subprocess
import sys

import pytest

SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared" / "datasets"


def gradcli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, env=env
    )


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


def test_unknown_dataset_is_one_clear_line():
    out = gradcli("datasets", "download", "no-such-set")
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "unknown downloadable dataset 'no-such-set'" in out.stderr
    assert "Traceback" not in out.stderr
