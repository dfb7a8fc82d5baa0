"""`gradcli train/eval/inspect-graph --device cuda` end to end, as a user runs them: a short
training on the GPU, evaluation and resumption on either device, a GPU checkpoint read on a
machine without CuPy. On a CPU these run on the CuPy stand-in (tests/cupy_standin)."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gpu

CONFIG = pathlib.Path(__file__).parents[2] / "configs" / "quickstart.yaml"
# 320 samples, 10% held out: 9 steps of 32 per epoch
SMALL = ["-s", "data.options.n_samples=320", "-s", "data.batch_size=32", "-q"]


def gradcli(env, *args, ok=True):
    done = subprocess.run(
        [sys.executable, "-m", "gradcli", *map(str, args)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def summary(run):
    return json.loads((run / "summary.json").read_text())


@pytest.fixture(scope="module")
def gpu_run(tmp_path_factory):
    """One short training on the GPU, through the CLI; tests work on copies of its folder."""
    from cupy_standin.plugin import subprocess_env

    run = tmp_path_factory.mktemp("gpu") / "run"
    gradcli(subprocess_env(), "train", CONFIG, "--device", "cuda", "--run-dir", run, "-s", "train.epochs=1", *SMALL)  # fmt: skip  # noqa: E501
    return run


def _copy(run, tmp_path):
    return shutil.copytree(run, tmp_path / "run")


def test_train_eval_resume_and_inspect_on_cuda(gpu_run, tmp_path, gpu_env):
    run = _copy(gpu_run, tmp_path)
    first = summary(run)
    assert first["device"] == "cuda:0" and first["steps"] == 9 and "cupy" in first["versions"]

    # the GPU checkpoint evaluates to the same numbers on the GPU and on the CPU
    results = {}
    for device in ("cuda", "cpu"):
        done = gradcli(gpu_env, "eval", run, "--device", device, "--split", "val", "--json")
        results[device] = json.loads(done.stdout)
    assert results["cuda"]["loss"] == pytest.approx(results["cpu"]["loss"], abs=1e-4)
    assert results["cuda"]["accuracy"] == results["cpu"]["accuracy"]
    assert results["cpu"]["accuracy"] == pytest.approx(first["final"]["val_accuracy"], abs=1e-9)

    # resumed on the CPU (cuda -> cpu), then on the GPU again (cpu -> cuda)
    gradcli(gpu_env, "train", "--resume", run, "--device", "cpu", "-s", "train.epochs=2", "-q")
    assert summary(run)["device"] == "cpu" and summary(run)["steps"] == 18
    gradcli(gpu_env, "train", "--resume", run, "--device", "cuda", "-s", "train.epochs=3", "-q")
    last = summary(run)
    assert last["device"] == "cuda:0" and last["steps"] == 27 and last["final"]["epoch"] == 3

    # inspect-graph walks one training step of the run's model on the GPU
    out = tmp_path / "graph.json"
    gradcli(gpu_env, "inspect-graph", run, "-s", "device=cuda", "-f", "json", "-o", out)
    assert "AccumulateGrad" in out.read_text()


def test_gpu_checkpoint_on_a_machine_without_cupy(gpu_run, tmp_path, cpu_only_env):
    run = _copy(gpu_run, tmp_path)
    done = gradcli(cpu_only_env, "eval", run, "--split", "val", "--json")
    accuracy = summary(run)["final"]["val_accuracy"]
    assert json.loads(done.stdout)["accuracy"] == pytest.approx(accuracy)
    gradcli(cpu_only_env, "train", "--resume", run, "-s", "train.epochs=2", "-q")
    assert summary(run)["device"] == "cpu" and summary(run)["steps"] == 18
    # and asking for the GPU there is one clear line, not a traceback
    done = gradcli(cpu_only_env, "eval", run, "--device", "cuda", ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "CUDA device requested but it cannot be used" in done.stderr + done.stdout


def test_training_on_the_second_gpu(tmp_path):
    """cuda:1 computes on GPU 1 (CuPy runs kernels on the current device: the stand-in
    refuses arrays of another device, as CuPy does without peer access)."""
    import gradcli as lib
    from gradcli.train import session
    from gradcli.train.evaluation import evaluate_checkpoint

    if lib.cuda.device_count() < 2:
        pytest.skip("needs two GPUs")
    overrides = ["data.options.n_samples=320", "data.batch_size=32", "train.epochs=1"]
    run = session.start(CONFIG, overrides, run_dir=tmp_path / "run", device="cuda:1")
    final = run.fit()["final"]
    assert all(p.device == lib.device("cuda:1") for p in run.trainer.model.parameters())
    path = tmp_path / "run" / "checkpoints" / "last.safetensors"
    on_gpu1 = evaluate_checkpoint(path, "val", device="cuda:1")
    assert on_gpu1["accuracy"] == pytest.approx(final["val_accuracy"], abs=1e-9)
