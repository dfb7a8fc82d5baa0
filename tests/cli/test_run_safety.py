"""Nothing a user made is lost: signals, locks, loose checkpoints, leftovers, torn files."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import safetensors.numpy

from .conftest import REPO, run
from .test_train_cmd import _train_until_first_checkpoint, assert_same_run


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_like_ctrl_c(tmp_path, small_config, sig):
    cut = tmp_path / "cut"
    proc = _train_until_first_checkpoint(small_config, cut)
    os.kill(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, stderr
    assert f"interrupted by {signal.Signals(sig).name} in epoch" in stdout
    assert "resume with: gradcli train --resume" in stdout
    ck = safetensors.safe_open(cut / "checkpoints" / "last.safetensors", "numpy")
    step = json.loads(ck.metadata()["gradcli"])["state"]["step"]
    assert f"at step {step};" in stdout  # the checkpoint written at the stop, not an older one


def test_second_process_on_a_run_folder_is_refused_with_the_holders_pid(tmp_path, small_config):
    cut = tmp_path / "cut"
    proc = _train_until_first_checkpoint(small_config, cut)
    try:
        second = run("train", "--resume", cut)
    finally:
        proc.kill()
        proc.communicate()
    assert second.returncode == 1
    assert f"is in use by process {proc.pid}" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.stderr


def test_a_loose_checkpoint_resumes_into_a_new_run_folder(tmp_path, small_config):
    full = tmp_path / "full"
    once = ["--set", "train.epochs=1", "--set", "scheduler=null"]
    assert run("train", small_config, "--run-dir", full, *once).returncode == 0
    mine = tmp_path / "mine"
    (mine / "models").mkdir(parents=True)
    (mine / "summary.json").write_text("my own file")
    loose = mine / "models" / "copy.safetensors"
    loose.write_bytes((full / "checkpoints" / "last.safetensors").read_bytes())
    result = run("train", "--resume", loose, "--set", "train.epochs=2", "--set", "scheduler=null",
                 "--set", f"output.runs_dir={tmp_path / 'runs'}")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "is not in a run folder: continuing in" in result.stdout
    assert (mine / "summary.json").read_text() == "my own file"
    assert sorted(p.name for p in mine.rglob("*")) == ["copy.safetensors", "models", "summary.json"]
    (new,) = (tmp_path / "runs" / "small").iterdir()
    assert json.loads((new / "summary.json").read_text())["epochs"] == 2


def test_non_finite_weights_are_never_checkpointed(tmp_path, small_config):
    out = tmp_path / "nan"
    result = run(
        "train", small_config, "--run-dir", out, "--set", "optimizer.lr=1e38",
        "--set", "optimizer.momentum=0", "--set", "scheduler=null",
        "--set", "train.checkpoint.every_steps=1",
    )  # fmt: skip
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for path in (out / "checkpoints").glob("*.safetensors"):
        tensors = safetensors.numpy.load_file(path)
        assert all(np.isfinite(v).all() for v in tensors.values()), path.name
    last = out / "checkpoints" / "last.safetensors"
    assert (f"the last good checkpoint is {last}" in result.stderr) == last.exists()
    if not last.exists():
        assert "no checkpoint was written" in result.stderr


def test_per_epoch_checkpoints_failure_says_none_was_written(tmp_path, small_config):
    result = run("train", small_config, "--run-dir", tmp_path / "nan", "--set", "optimizer.lr=1e38",
                 "--set", "scheduler=null", "--set", "train.checkpoint.every_steps=0")  # fmt: skip
    assert result.returncode == 1
    assert "no checkpoint was written" in result.stderr
    assert "checkpoints" not in result.stderr.replace("no checkpoint was written", "")


@pytest.mark.parametrize(
    "override",
    [
        "data.dataset=nope",  # unknown dataset: found when the data is loaded
        "model.input_shape=[3, 5, 5]",  # does not fit the data: found after loading it
        "model.layers=[{linear: 3}]",  # needs flat input: found when the model is built
    ],
)
def test_bad_input_leaves_no_run_folder(tmp_path, small_config, override):
    runs = tmp_path / "runs"
    result = run("train", small_config, "--set", override, "--set", f"output.runs_dir={runs}")
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr
    assert not runs.exists() or not any(runs.rglob("*")), list(runs.rglob("*"))


def test_runs_dir_that_is_a_file_is_a_one_line_error(tmp_path, small_config):
    (tmp_path / "file").write_text("x")
    for args in (["--set", f"output.runs_dir={tmp_path / 'file'}"],
                 ["--run-dir", tmp_path / "file"]):  # fmt: skip
        result = run("train", small_config, *args)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_resume_cleans_temp_files_and_tolerates_a_torn_metrics_line(tmp_path, small_config):
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert run("train", small_config, "--run-dir", full).returncode == 0
    proc = _train_until_first_checkpoint(small_config, cut)
    proc.kill()
    proc.communicate()
    stale = cut / "checkpoints" / ".last.safetensors.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")
    (cut / ".summary.json.abc123.tmp").write_text("{half")
    with open(cut / "metrics.csv", "a") as f:
        f.write("step,1,99,0.12")  # a power cut in the middle of a row
    resumed = run("train", "--resume", cut)
    assert resumed.returncode == 0, resumed.stderr
    assert not stale.exists() and not (cut / ".summary.json.abc123.tmp").exists()
    assert_same_run(full, cut)


def test_checkpoints_follow_the_umask(tmp_path, small_config):
    out = tmp_path / "o"
    code = "import os, sys; os.umask(0o022); from gradcli.cli.app import main; main(sys.argv[1:])"
    args = ["train", small_config, "--run-dir", out, "--set", "train.epochs=1", "-q"]
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=REPO)
    assert result.returncode == 0
    for path in [out / "summary.json", *(out / "checkpoints").iterdir()]:
        assert path.stat().st_mode & 0o777 == 0o644, path.name
