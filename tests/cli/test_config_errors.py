"""Broken configs and options: one clear message each, the right exit code, no traceback."""

import os

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


BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
)
HOSTILE = [
    ("latin-1", SMALL.replace("small", "sm\xe4ll").encode("latin-1"), "not a UTF-8 text file"),
    ("binary", b"\x00\x01\x02" * 100, "not a YAML text file"),
    ("deep", b"[" * 5000, "nested more than 64 levels deep"),
    ("billion laughs", BOMB.encode(), "is it a YAML bomb?"),
    ("duplicate key", SMALL.replace("seed: 3", "seed: 3\nseed: 4").encode(),
     ":4:1: duplicate key 'seed' (also on line 3); keep one"),
    ("epochs null", SMALL.replace("epochs: 3", "epochs: null").encode(),
     "train: give train.epochs or train.steps"),
    ("long name", SMALL.replace("name: small", "name: " + "a" * 300).encode(),
     "name: String should have at most 100 characters"),
    ("inf", SMALL.replace("lr: 0.05", "lr: .inf").encode(), "inf and nan are not allowed"),
    ("no parameters", SMALL.replace("    - conv2d: {out_channels: 4, kernel_size: 3, padding: 1}\n",
                                    "").replace("    - linear: 10\n", "").encode(),
     ":12:3: model.layers has no trainable parameters; add a layer that learns"),
    ("class weights", (SMALL + "loss: {type: cross_entropy, weight: [1, 2]}\n").encode(),
     "loss.weight has 2 values but dataset 'shapes' has 10 classes; give one weight per class"),
    ("mse on labels", (SMALL + "loss: mse\n").encode(),
     "loss 'mse' compares the model's output [10] with targets of the same shape, but dataset "
     "'shapes' has class labels"),
    ("huge model", SMALL.replace("- linear: 10", "- linear: 10000000").encode(),
     "model.layers[5] (linear) brings the model to 7,850,000,040 parameters"),
]  # fmt: skip


@pytest.mark.parametrize("name,data,message", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_config_is_one_line(tmp_path, name, data, message):
    path = tmp_path / "c.yaml"
    path.write_bytes(data)
    result = run("train", path, "--run-dir", tmp_path / "run", timeout=120)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr  # "1 config error:" + 1


def test_fifo_config_does_not_hang(tmp_path):
    fifo = tmp_path / "c.yaml"
    os.mkfifo(fifo)
    result = run("train", fifo, timeout=60)
    assert result.returncode == 2 and "not a regular file" in result.stderr
