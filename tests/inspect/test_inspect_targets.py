"""What inspect-graph reads: a config file, or a checkpoint / run folder from a real training."""

import subprocess
import sys

import numpy as np
import pytest
from inspect_helpers import QUICKSTART, ROOT

from gradcli.errors import CheckpointError, ConfigError
from gradcli.inspect import check_format, graph_of, load_target, summarize


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inspect") / "run"
    cmd = [
        sys.executable, "-m", "gradcli", "train", str(QUICKSTART), "--set", "train.steps=2",
        "--set", "data.options.n_samples=300", "--run-dir", str(folder), "--quiet",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return folder


def test_config_target():
    target = load_target(QUICKSTART)
    assert target.state is None and target.path is None
    assert target.config.name == "quickstart"


def test_run_folder_and_checkpoint_file(run_dir):
    from_dir = load_target(run_dir)
    assert from_dir.path == run_dir / "checkpoints" / "last.safetensors"
    from_file = load_target(from_dir.path)
    assert from_file.path == from_dir.path
    assert set(from_dir.state) == {f"{i}.{p}" for i in (0, 3, 7, 9) for p in ("weight", "bias")}
    trained = from_dir.state["0.weight"].numpy()
    assert trained.shape == (16, 1, 3, 3) and np.isfinite(trained).all()
    s = summarize(from_dir.config, batch_size=5)
    assert s.totals.params == 105_866 and s.rows[-1].output_shape == (5, 10)
    graph = graph_of(from_dir, batch_size=5)
    assert sorted(n.param for n in graph.params) == sorted(from_dir.state)


def test_override_that_changes_the_model_is_refused(run_dir):
    with pytest.raises(CheckpointError, match="weights do not fit.*size mismatch for 7.weight"):
        load_target(run_dir, ["model.layers.7.linear=32"])
    target = load_target(run_dir, ["data.batch_size=8"])  # harmless overrides still work
    assert target.config.data.batch_size == 8


def test_bad_targets(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_target(tmp_path / "missing.yaml")
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_target(tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError, match="no checkpoints/last.safetensors"):
        load_target(tmp_path)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="junk.bin"):
        load_target(junk)


def test_check_format():
    assert check_format("svg") == "svg"
    with pytest.raises(ConfigError, match="unknown --format 'png': choose one of table, tree"):
        check_format("png")
