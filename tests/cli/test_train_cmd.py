"""`gradcli train` and `gradcli eval` end to end, through the real command."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import safetensors.numpy

from .conftest import REPO, SHARED, run


def _weights(run_dir):
    tensors = safetensors.numpy.load_file(run_dir / "checkpoints" / "last.safetensors")
    return {k: v for k, v in tensors.items() if k.startswith(("model.", "optim."))}


def assert_same_run(full, cut):
    """The resumed run `cut` ended bit-identical to the uninterrupted `full`."""
    a, b = _weights(full), _weights(cut)
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[k], b[k]) for k in a), "resumed weights differ"
    assert _losses(full) == _losses(cut), "metrics.csv losses differ"


def _losses(run_dir):
    with open(run_dir / "metrics.csv") as f:
        return [(r["kind"], r["step"], r["train_loss"], r["val_loss"]) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short quickstart run shared by the output-file and eval tests."""
    out = tmp_path_factory.mktemp("runs") / "q"
    result = run(
        "train", "configs/quickstart.yaml", "--run-dir", out,
        "--set", "data.options.n_samples=800", "--set", "train.epochs=2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out, result


def test_train_writes_every_output(trained):
    out, result = trained
    assert "quickstart" in result.stdout and "parameters" in result.stdout
    assert "epoch 2/2" in result.stdout and "\x1b[" not in result.stdout  # plain, no escapes
    config = (out / "config.yaml").read_text()
    assert "n_samples: 800" in config and "epochs: 2" in config
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    epochs = [r for r in rows if r["kind"] == "epoch"]
    assert len(epochs) == 2 and all(r["val_accuracy"] for r in epochs)
    assert any(r["kind"] == "step" for r in rows)
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {p.name for p in (out / "checkpoints").iterdir()} == {
        "last.safetensors", "best.safetensors",
    }  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs"] == 2 and summary["final"]["val_accuracy"] > 0
    assert {"gradcli", "numpy", "python"} <= set(summary["versions"])


def test_eval_text_and_json(trained):
    out, _ = trained
    text = run("eval", out / "checkpoints" / "best.safetensors", "--split", "val")
    assert text.returncode == 0, text.stderr
    assert "accuracy" in text.stdout and "Confusion" in text.stdout and "circle" in text.stdout
    js = run("eval", out, "--json", "--split", "val")
    result = json.loads(js.stdout)
    assert result["split"] == "val" and result["samples"] == 80
    assert len(result["confusion"]) == 10 and len(result["per_class"]) == 10
    metrics = list(csv.DictReader(open(out / "metrics.csv")))
    assert abs(result["accuracy"] - float(metrics[-1]["val_accuracy"])) < 1e-9


def test_eval_rejects_corrupt_and_foreign_files(tmp_path, trained):
    out, _ = trained
    data = (out / "checkpoints" / "last.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "foreign.safetensors").write_bytes(
        safetensors.numpy.save({"w": np.zeros(2, np.float32)})
    )
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint at all")
    for name, message in (
        ("cut", "is truncated"), ("foreign", "not a gradcli checkpoint"),
        ("junk", "not a checkpoint"), ("missing", "checkpoint not found"),
    ):  # fmt: skip
        result = run("eval", tmp_path / f"{name}.safetensors")
        assert result.returncode == 1, name
        assert message in result.stderr and "Traceback" not in result.stderr


def test_same_seed_gives_identical_losses(tmp_path, small_config):
    for name in ("a", "b"):
        result = run("train", small_config, "--run-dir", tmp_path / name, "--set", "train.epochs=1")
        assert result.returncode == 0, result.stderr
    assert _losses(tmp_path / "a") == _losses(tmp_path / "b")


def _train_until_first_checkpoint(config, run_dir):
    """Start `gradcli train` in a subprocess and return once it has written a checkpoint."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradcli", "train", config, "--run-dir", run_dir],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not (run_dir / "checkpoints" / "last.safetensors").exists():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_run_resumes_bit_identically(tmp_path, small_config, sig):
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert run("train", small_config, "--run-dir", full).returncode == 0
    proc = _train_until_first_checkpoint(small_config, cut)
    os.kill(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "resume with: gradcli train --resume" in stdout
    else:
        assert proc.returncode == -signal.SIGKILL
    resumed = run("train", "--resume", cut)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(full, cut)


def test_non_finite_loss_stops_with_the_step(tmp_path, small_config):
    result = run(
        "train", small_config, "--run-dir", tmp_path / "nan",
        "--set", "optimizer.lr=1e38", "--set", "scheduler=null",
    )  # fmt: skip
    assert result.returncode == 1
    assert "loss is nan at step" in result.stderr and "model.layers[" in result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="shared MNIST files are absent")
def test_mnist_lenet_on_a_few_steps(tmp_path):
    env_root = str(SHARED)
    result = run(
        "train", "configs/mnist_lenet.yaml", "--run-dir", tmp_path / "m",
        "--set", f"data.root={env_root}", "--set", "train.steps=120",
        "--set", "train.checkpoint.every_epochs=1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ev = run("eval", tmp_path / "m", "--json", "--data", env_root)
    assert ev.returncode == 0, ev.stderr
    metrics = json.loads(ev.stdout)
    assert metrics["samples"] == 10_000 and metrics["accuracy"] > 0.8


def test_second_ctrl_c_leaves_at_once_without_corrupting_checkpoints(tmp_path, small_config):
    cut = tmp_path / "cut"
    proc = _train_until_first_checkpoint(small_config, cut)
    os.kill(proc.pid, signal.SIGINT)
    os.kill(proc.pid, signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert not list((cut / "checkpoints").glob(".*.tmp")), "a temporary file was left behind"
    resumed = run("train", "--resume", cut)  # whichever checkpoint is there, it loads
    assert resumed.returncode == 0, resumed.stderr


def test_eval_accepts_overrides(trained):
    out, _ = trained
    result = run("eval", out, "--json", "--split", "val", "--set", "data.eval_batch_size=7")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["samples"] == 80
