"""Broken configs and options: one clear message each, the right exit code, no traceback."""

import pytest

from .conftest import REPO, SMALL, run

CASES = [
    ("unknown key", SMALL.replace("batch_size", "batchsize"),
     [], ":8:3: data.batchsize: unknown key 'batchsize'; did you mean 'batch_size'?"),
    ("bad value", SMALL.replace("lr: 0.05", "lr: -1"),
     [], "optimizer.lr: Input should be greater than 0 (got -1)"),
    ("unknown layer", SMALL.replace("- relu", "- rleu"),
     [], "model.layers[1]: unknown layer 'rleu'; did you mean 'relu'?"),
    ("yaml syntax", SMALL.replace("seed: 3", "seed: [3"),
     [], "YAML syntax error"),
    ("shape mismatch", SMALL.replace("    - flatten\n", ""),
     [], "model.layers[4] (linear) expects flat features"),
    ("override", SMALL, ["--set", "train.epochs=0"],
     "--set train.epochs=0: train.epochs: Input should be greater than 0"),
    ("bad override", SMALL, ["--set", "train.epochs"], "expected KEY=VALUE"),
    ("classes", SMALL.replace("- linear: 10", "- linear: 7"),
     [], "has 10 classes; make the last layer `- linear: 10`"),
    ("dropout range", SMALL.replace("dropout: 0.2", "dropout: 1.0"),
     [], "dropout.p: Input should be less than 1"),
]  # fmt: skip


@pytest.mark.parametrize("name,text,extra,message", CASES, ids=[c[0] for c in CASES])
def test_broken_config(tmp_path, name, text, extra, message):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = run("train", path, "--run-dir", tmp_path / "run", *extra)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "metrics.csv").exists()


def test_missing_config_file(tmp_path):
    result = run("train", tmp_path / "nope.yaml")
    assert result.returncode == 2 and "config file not found" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = run("--debug", "train", tmp_path / "nope.yaml")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_config_show_and_schema():
    shown = run("config", "show", "configs/quickstart.yaml", "--set", "optimizer.lr=0.2")
    assert shown.returncode == 0 and "lr: 0.2" in shown.stdout
    schema = run("config", "schema")
    assert schema.returncode == 0
    committed = (run.__globals__["REPO"] / "configs" / "gradcli.schema.json").read_text()
    assert schema.stdout == committed, (
        "regenerate: gradcli config schema > configs/gradcli.schema.json"
    )


def test_every_example_config_is_valid():
    for path in sorted((REPO / "configs").glob("*.yaml")):
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema=gradcli.schema.json"), path
        result = run("config", "show", path)
        assert result.returncode == 0, (path, result.stderr)
