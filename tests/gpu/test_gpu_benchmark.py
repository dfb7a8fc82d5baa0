"""benchmarks/gpu.py end to end in its smoke mode (on the CuPy stand-in where no GPU is: the
numbers mean nothing there, the script's path through measuring and writing is what is
checked), and its one-line refusal on a machine without a GPU."""

import json
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gpu
REPO = pathlib.Path(__file__).parents[2]


def bench(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu", *map(str, args)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_quick_run_writes_json_and_a_readme_table(tmp_path, gpu_env):
    done = bench(gpu_env, "--quick", "--rounds", "1", "--out", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (report_file,) = tmp_path.glob("gpu-*.json")
    report = json.loads(report_file.read_text())
    assert report["gpu"]["name"] and report["date"] in report_file.name
    assert [(r["network"], r["batch"]) for r in report["steps"]] == [("mlp", 64), ("lenet", 64)]
    for r in report["steps"]:
        assert {"gradcli-cuda", "gradcli-cpu"} <= set(r["samples_per_s"])
        assert r["ratios"]["cuda/cpu"]["median"] > 0
    epoch = report["mnist_epoch"]
    assert "error" not in epoch, epoch
    assert epoch["steps"] == 10 and epoch["device"] == "cuda:0"
    table = report_file.with_suffix(".md").read_text()
    assert "| mlp | 64 |" in table and "| lenet | 64 |" in table and "MNIST LeNet" in table
    if report["gpu"]["standin"]:
        assert "NOT a GPU" in table


def test_without_a_gpu_it_says_so_in_one_line(tmp_path, cpu_only_env):
    done = bench(cpu_only_env, "--quick", "--out", tmp_path)
    assert done.returncode == 2
    assert done.stdout.count("\n") == 1 and "no usable CUDA GPU" in done.stdout
    assert not list(tmp_path.iterdir())
