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
    assert target.model is None and target.path is None
    assert target.config.name == "quickstart"


def test_run_folder_and_checkpoint_file(run_dir):
    from_dir = load_target(run_dir)
    assert from_dir.path == run_dir / "checkpoints" / "last.safetensors"
    from_file = load_target(from_dir.path)
    assert from_file.path == from_dir.path
    state = from_dir.model.state_dict()
    assert set(state) == {f"{i}.{p}" for i in (0, 3, 7, 9) for p in ("weight", "bias")}
    trained = state["0.weight"].numpy()
    assert trained.shape == (16, 1, 3, 3) and np.isfinite(trained).all()
    s = summarize(from_dir.config, batch_size=5)
    assert s.totals.params == 105_866 and s.rows[-1].output_shape == (5, 10)
    graph = graph_of(from_dir, batch_size=5)
    assert sorted(n.param for n in graph.params) == sorted(state)


def test_a_checkpoint_model_is_built_once_and_left_as_loaded(run_dir, monkeypatch):
    """load_target builds and loads the model once; graph_of traces that model (a copy of it),
    neither building another nor changing the target's weights or gradients."""
    from gradcli.config import build

    built = []
    trace = build.trace_layers
    monkeypatch.setattr(build, "trace_layers", lambda config: built.append(1) or trace(config))
    target = load_target(run_dir)
    weights = {k: v.numpy().copy() for k, v in target.model.state_dict().items()}
    graph = graph_of(target, batch_size=3)
    graph_of(target, batch_size=4)
    assert built == [1]
    assert graph.nodes[0].name == "CrossEntropyLossBackward0"
    for name, value in target.model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), weights[name])
    assert all(p.grad is None for p in target.model.parameters())


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
