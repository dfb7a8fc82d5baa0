"""Data-parallel training on 2 MPI ranks against 1 process, resume across world sizes, faults.

Every test starts real ranks with the mpiexec that `gradcli[mpi]` installs (MPICH), on the
synthetic `shapes` data, and skips where mpi4py or mpiexec is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from gradcli.train import checkpoint as ckpt_io

pytest.importorskip("mpi4py", reason="the mpi extra (mpi4py, MPICH) is not installed")
MPIEXEC = Path(sys.executable).parent / "mpiexec"
if not MPIEXEC.is_file():
    pytest.skip(
        "no mpiexec beside this Python: pip install 'gradcli[mpi]'", allow_module_level=True
    )

HERE = Path(__file__).parent
CONFIG = """\
name: dp
seed: 0
dtype: {dtype}
data:
  dataset: shapes
  options: {{n_samples: 600}}
  transforms: [scale]
  batch_size: 33          # 15 steps an epoch, the last of 18 rows: uneven slices
  val_split: 0.2
model:
  input_shape: [1, 28, 28]
  layers:
    - conv2d: {{out_channels: 4, kernel_size: 3}}
    {norm}
    - relu
    - maxpool2d: 2
    - flatten
    - linear: 10
optimizer: {{type: sgd, lr: 0.05, momentum: 0.9}}
scheduler: {{type: cosine}}
train:
  epochs: 2
  checkpoint: {{every_steps: 1}}
distributed: {{sync_batchnorm: {sync}}}
"""


def write_config(tmp_path, dtype="float64", norm=False, sync=False) -> Path:
    path = tmp_path / f"dp-{dtype}-{norm}-{sync}.yaml"
    text = CONFIG.format(dtype=dtype, norm="- batchnorm2d" if norm else "", sync=str(sync).lower())
    path.write_text(text)
    return path


def gradcli(ranks: int, *args, fault: str = "", timeout: float = 120, **popen):
    """Run `gradcli ARGS` on `ranks` MPI processes (through tests/distributed/inject.py)."""
    env = {**os.environ, "GRADCLI_TEST_FAULT": fault, "PYTHONPATH": str(HERE.parent.parent)}
    command = [str(MPIEXEC), "-n", str(ranks), sys.executable, str(HERE / "inject.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)


def weights(path: Path) -> dict:
    ck = ckpt_io.load(path)
    return {k: np.asarray(v) for k, v in ck.model_state().items()}


def max_rel_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float(np.abs(a[k] - b[k]).max() / max(np.abs(a[k]).max(), 1e-30)) for k in a)


@pytest.fixture(scope="module")
def one_rank(tmp_path_factory):
    """The uninterrupted 1-process run every test compares with."""
    tmp = tmp_path_factory.mktemp("one")
    run = gradcli(1, "train", str(write_config(tmp)), "--run-dir", str(tmp / "run"))
    assert run.returncode == 0, run.stderr
    return tmp / "run"


def test_two_ranks_follow_the_one_rank_trajectory(one_rank, tmp_path):
    run = gradcli(2, "train", str(write_config(tmp_path)), "--run-dir", str(tmp_path / "run"))
    assert run.returncode == 0, run.stdout + run.stderr
    last = "checkpoints/last.safetensors"
    assert max_rel_diff(weights(one_rank / last), weights(tmp_path / "run" / last)) < 1e-10
    # validation is sharded over the ranks and reduced: the same numbers as one process
    one = (one_rank / "metrics.csv").read_text().splitlines()
    two = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    val = [line.split(",")[5:7] for line in one if line.startswith("epoch")]
    assert val == [line.split(",")[5:7] for line in two if line.startswith("epoch")]
    assert run.stdout.count("run folder:") == 1  # rank 0 alone talks


def test_float32_two_ranks_stay_within_rounding(tmp_path):
    """float32: only the order of the sums differs (a slice's mean, then the weighted sum of
    two), about 1e-7 relative a step; 30 steps of SGD with momentum keep it far below 1e-4."""
    cfg = write_config(tmp_path, dtype="float32")
    runs = {}
    for ranks in (1, 2):
        out = tmp_path / f"run{ranks}"
        run = gradcli(ranks, "train", str(cfg), "--run-dir", str(out))
        assert run.returncode == 0, run.stdout + run.stderr
        runs[ranks] = weights(out / "checkpoints/last.safetensors")
    assert 0 < max_rel_diff(runs[1], runs[2]) < 1e-4


def test_sync_batchnorm_is_the_one_process_batchnorm(tmp_path):
    out = {}
    for ranks, sync in ((1, False), (2, True), (2, False)):
        cfg = write_config(tmp_path, norm=True, sync=sync)
        folder = tmp_path / f"run{ranks}{sync}"
        run = gradcli(ranks, "train", str(cfg), "--run-dir", str(folder), "--set", "train.epochs=1")
        assert run.returncode == 0, run.stdout + run.stderr
        out[ranks, sync] = weights(folder / "checkpoints/last.safetensors")
    assert max_rel_diff(out[1, False], out[2, True]) < 1e-10
    # per-rank statistics (the default) are a different computation: the test can tell
    assert max_rel_diff(out[1, False], out[2, False]) > 1e-6


@pytest.mark.parametrize("first, then", [(2, 1), (1, 2)])
def test_resume_after_kill_9_with_another_world_size(one_rank, tmp_path, first, then):
    cfg, folder = write_config(tmp_path), tmp_path / "run"
    token = f"GRADCLI_TEST_JOB={tmp_path.name}"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent.parent), **dict([token.split("=")])}
    command = [str(MPIEXEC), "-n", str(first), sys.executable, str(HERE / "inject.py"),
               "train", str(cfg), "--run-dir", str(folder)]  # fmt: skip
    job = subprocess.Popen(command, env=env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    last = folder / "checkpoints/last.safetensors"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # mid first epoch: after step 6 of 15
        if last.exists() and ckpt_io.load(last).meta["state"]["step"] >= 6:
            break
        time.sleep(0.05)
    while _kill_all(token):  # the launcher and every rank, at once, as a node failure would
        pass
    job.wait()
    state = ckpt_io.load(last).meta["state"]
    assert 6 <= state["step"] < 30
    run = gradcli(then, "train", "--resume", str(folder))
    assert run.returncode == 0, run.stdout + run.stderr
    # (at step 15 the first epoch's steps are done but maybe not its end: still epoch 1)
    assert f"resumed from epoch {state['epoch'] + 1} step {state['step']}" in run.stdout
    end = "checkpoints/last.safetensors"
    assert max_rel_diff(weights(one_rank / end), weights(folder / end)) < 1e-10


def test_other_ranks_write_nothing(tmp_path):
    folder = tmp_path / "run"
    run = gradcli(2, "train", str(write_config(tmp_path)), "--run-dir", str(folder),
                  "--set", "train.epochs=1", fault="nowrite:1")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dp-float64-False-False.yaml", "run"]


def test_a_rank_that_raises_ends_the_job_with_its_name(tmp_path):
    folder = tmp_path / "run"
    started = time.monotonic()
    run = gradcli(2, "train", str(write_config(tmp_path)), "--run-dir", str(folder),
                  fault="raise:1:5", timeout=60)  # fmt: skip
    assert run.returncode != 0
    assert time.monotonic() - started < 60
    assert "rank 1: RuntimeError: injected failure" in run.stderr
    # rank 0 may be writing step 4's checkpoint when the job is stopped: that write is atomic
    # (a temporary file it leaves is removed by the next resume)
    assert ckpt_io.load(folder / "checkpoints/last.safetensors").meta["state"]["step"] in (3, 4)


def procs_job(tmp_path):
    """`gradcli train --procs 2` of a long run, once its first checkpoint is written; (the job,
    that checkpoint)."""
    folder = tmp_path / "run"
    cfg = write_config(tmp_path)
    command = [sys.executable, "-m", "gradcli", "train", str(cfg), "--procs", "2",
               "--run-dir", str(folder), "--set", "train.epochs=20"]  # fmt: skip
    job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = folder / "checkpoints/last.safetensors"
    deadline = time.monotonic() + 90
    while not last.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return job, last


def test_a_rank_killed_mid_run_stops_the_job_and_is_named(tmp_path):
    job, last = procs_job(tmp_path)
    victim = _rank_pid(1)
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    out, err = job.communicate(timeout=60)
    assert time.monotonic() - killed < 30
    assert job.returncode != 0
    assert f"rank 1 (pid {victim}) of 2 was killed" in err
    assert _rank_pid(0) is None and _rank_pid(1) is None  # nothing left running
    ckpt_io.load(last)  # the last checkpoint is whole


def test_sigterm_on_one_rank_stops_all_with_one_checkpoint(tmp_path):
    job, last = procs_job(tmp_path)
    os.kill(_rank_pid(1), signal.SIGTERM)
    out, err = job.communicate(timeout=60)
    assert job.returncode == 143, out + err
    assert out.count("resume with: gradcli train --resume") == 1
    assert "interrupted by SIGTERM" in out
    step = ckpt_io.load(last).meta["state"]["step"]
    assert f"at step {step};" in out


def test_ranks_with_different_configs_refuse_to_start(tmp_path):
    cfg = str(write_config(tmp_path))
    env = {**os.environ, "PYTHONPATH": str(HERE.parent.parent)}
    rank = [sys.executable, str(HERE / "inject.py"), "train", cfg, "--run-dir", str(tmp_path / "r")]
    command = [str(MPIEXEC), "-n", "1", *rank, ":", "-n", "1", *rank, "--set", "optimizer.lr=0.1"]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 2
    assert run.stderr.count("error:") == 1
    assert "rank 1 of 2 has a different config or gradcli version than rank 0" in run.stderr
    assert not (tmp_path / "r").exists()


def test_a_failure_on_one_rank_at_start_is_said_once(tmp_path):
    cfg = str(write_config(tmp_path))
    run = gradcli(2, "train", cfg, "--set", "data.batch_size=1")
    assert run.returncode == 2
    assert run.stderr.count("error:") == 1
    assert "must be at least the number of processes (2)" in run.stderr


def _rank_pid(rank: int) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"PMI_RANK={rank}".encode() in env and b"gradcli" in cmdline:
            return int(entry.name)
    return None


def _kill_all(marker: str) -> int:
    """SIGKILL every process whose environment holds `marker`; how many there were."""
    killed = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except OSError:
            continue
    return killed
