"""Data-parallel training with `device: cuda` on 2 ranks: the gradient buckets all-reduced by
NCCL on the GPUs (cuda:<local_rank>), against one process on one GPU. On a CPU, the CuPy
stand-in's NCCL does the collectives through MPI on the arrays' memory; skipped without the
mpi extra or with fewer than 2 GPUs."""

import sys
from pathlib import Path

import numpy as np
import pytest

import gradcli
from gradcli.train import checkpoint as ckpt_io

pytestmark = pytest.mark.gpu
MPIEXEC = Path(sys.executable).parent / "mpiexec"
CONFIG = """\
name: nccl
seed: 0
dtype: float64
device: cuda
data:
  dataset: shapes
  options: {n_samples: 320}
  transforms: [scale]
  batch_size: 32
  val_split: 0.2
model:
  input_shape: [1, 28, 28]
  layers:
    - conv2d: {out_channels: 4, kernel_size: 3}
    - batchnorm2d
    - relu
    - maxpool2d: 2
    - flatten
    - linear: 10
optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
train: {epochs: 1}
distributed: {backend: nccl, sync_batchnorm: true}
"""


def weights(run: Path) -> dict:
    ck = ckpt_io.load(run / "checkpoints" / "last.safetensors")
    return {k: np.asarray(v) for k, v in ck.model_state().items()}


def test_two_ranks_on_nccl_follow_one_gpu(tmp_path, gpu_env):
    import subprocess

    pytest.importorskip("mpi4py", reason="the mpi extra is not installed")
    if not MPIEXEC.is_file():
        pytest.skip("no mpiexec beside this Python: pip install 'gradcli[mpi]'")
    if gradcli.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")
    cfg = tmp_path / "nccl.yaml"
    cfg.write_text(CONFIG)
    runs = {}
    for ranks in (1, 2):
        run = tmp_path / f"run{ranks}"
        command = [str(MPIEXEC), "-n", str(ranks), sys.executable, "-m", "gradcli", "train",
                   str(cfg), "--run-dir", str(run), "-q"]  # fmt: skip
        done = subprocess.run(command, env=gpu_env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        runs[ranks] = weights(run)
    for key, one in runs[1].items():
        scale = max(np.abs(one).max(), 1e-30)
        assert np.abs(runs[2][key] - one).max() / scale < 1e-10, key
