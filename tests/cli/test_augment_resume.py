"""`data.augment` through the real command: a run interrupted mid-epoch and resumed draws the
same crops and flips as an uninterrupted one, and `gradcli eval` sees unaugmented data."""

import json
import os
import signal

import pytest

from .conftest import run
from .test_train_cmd import _train_until_first_checkpoint, assert_same_run

AUGMENTED = """
name: augmented
seed: 7
data:
  dataset: shapes
  options: {n_samples: 500, size: 16, channels: 3}
  transforms: [scale, normalize]
  augment: [{random_crop: {padding: 2}}, {hflip: 0.5}]
  batch_size: 25
  val_split: 0.2
model:
  input_shape: [3, 16, 16]
  layers:
    - conv2d: {out_channels: 4, kernel_size: 3, padding: 1}
    - relu
    - maxpool2d: 2
    - flatten
    - linear: 10
optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
train:
  epochs: 2
  log_every_steps: 3
  checkpoint: {every_steps: 5}
"""


@pytest.fixture
def augmented(tmp_path):
    path = tmp_path / "augmented.yaml"
    path.write_text(AUGMENTED)
    return path


def test_interrupted_augmented_run_resumes_bit_identically(tmp_path, augmented):
    # 16 steps an epoch and a checkpoint every 5: the first one is written mid-epoch
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert run("train", augmented, "--run-dir", full).returncode == 0
    proc = _train_until_first_checkpoint(augmented, cut)
    os.kill(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    resumed = run("train", "--resume", cut)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(full, cut)


def test_eval_sees_the_data_unaugmented(tmp_path, augmented):
    out = tmp_path / "run"
    assert run("train", augmented, "--run-dir", out, "--set", "train.epochs=1").returncode == 0
    # hflip with p=1 flips every image: if eval augmented, its results would change
    results = [
        json.loads(run("eval", out, "--json", "--split", "train", *extra).stdout)
        for extra in ((), ("--set", "data.augment=[{hflip: 1.0}]"), ("--set", "data.augment=[]"))
    ]
    assert results[0]["loss"] == results[1]["loss"] == results[2]["loss"]
    assert results[0]["accuracy"] == results[2]["accuracy"]
