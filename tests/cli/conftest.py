"""Helpers for driving the real `gradcli` command in a subprocess."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def shared_datasets(env=os.environ) -> pathlib.Path:
    """The real datasets for tests: $GRADCLI_DATA_DIR when it holds mnist/, else ../shared."""
    given = env.get("GRADCLI_DATA_DIR")
    if given and (pathlib.Path(given) / "mnist").is_dir():
        return pathlib.Path(given)
    return REPO.parent / "shared" / "datasets"


SHARED = shared_datasets()

SMALL = """
name: small
seed: 3
data:
  dataset: shapes
  options: {n_samples: 1200}
  transforms: [scale]
  batch_size: 32
  val_split: 0.2
model:
  input_shape: [1, 28, 28]
  layers:
    - conv2d: {out_channels: 4, kernel_size: 3, padding: 1}
    - relu
    - maxpool2d: 2
    - flatten
    - dropout: 0.2
    - linear: 10
optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
scheduler: {type: onecycle, max_lr: 0.1}
train:
  epochs: 3
  log_every_steps: 5
  checkpoint: {every_steps: 4, best_metric: val_accuracy}
"""


def run(*args, cwd=REPO, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def small_config(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def round_trip(config, out):
    """Train `config` into `out` for its epochs, evaluate its best checkpoint on the validation
    split, resume it for one more epoch: each must succeed. Returns eval's JSON."""
    trained = run("train", config, "--run-dir", out, "-q")
    assert trained.returncode == 0, trained.stderr
    evaluated = run("eval", out / "checkpoints" / "best.safetensors", "--split", "val", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    epochs = json.loads((out / "summary.json").read_text())["epochs"]
    resumed = run("train", "--resume", out, "--set", f"train.epochs={epochs + 1}", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "summary.json").read_text())["epochs"] == epochs + 1
    return json.loads(evaluated.stdout)
