"""Tiny configs and helpers shared by the sweep tests."""

import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]

TINY = """
name: tiny
seed: 0
data:
  dataset: spirals
  options: {{n_samples: {samples}, num_classes: 3}}
  batch_size: 32
  val_split: 0.2
model:
  input_shape: [2]
  layers:
    - linear: 16
    - tanh
    - linear: 3
optimizer: {{type: adam, lr: 0.01}}
train:
  epochs: {epochs}
output: {{runs_dir: {runs}}}
"""


def tiny_config(tmp_path, epochs=2, samples=300, extra="") -> pathlib.Path:
    path = tmp_path / "tiny.yaml"
    runs = tmp_path / "runs"
    path.write_text(TINY.format(epochs=epochs, samples=samples, runs=runs) + extra)
    return path


def gradcli(*args, **kwargs) -> subprocess.Popen:
    """`gradcli ARGS` in a process of its own (not waited for)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="200")
    return subprocess.Popen([sys.executable, "-m", "gradcli", *map(str, args)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **kwargs)  # fmt: skip


def sweep_folders(tmp_path) -> list[pathlib.Path]:
    return sorted((tmp_path / "runs" / "tiny" / "sweeps").glob("*"))
