"""Fuzz the config layer through the CLI, in-process: random bytes, truncations, mutated keys
and values, deep nesting. Every malformed config must end in one message (exit 1 or 2), with no
traceback, no hang and no files left behind."""

import contextlib
import io
import os
import re
import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.cli.app import main

VALID = """\
name: fuzz
seed: 1
data: {dataset: blobs, options: {n_samples: 60, n_test: 20}, batch_size: 30, val_split: 0.5}
model:
  input_shape: [2]
  layers: [{linear: 4}, relu, {dropout: 0.1}, {linear: 3}]
loss: {type: cross_entropy, label_smoothing: 0.1}
optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
scheduler: {type: sequential, schedulers: [linear, cosine], milestones: [1]}
train: {epochs: 1, checkpoint: {every_epochs: 0, best_metric: null}}
"""
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
HANG_S = 60  # a hang detector, not a timing assert: one config in well under a second


def run_cli(text: bytes, command: str) -> tuple[int, str, list[str]]:
    """Exit code, stderr and files left in a fresh folder holding only the config."""
    os.environ.pop("GRADCLI_DEBUG", None)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "c.yaml"
        cfg.write_bytes(text)
        argv = ["train", str(cfg), "--run-dir", str(Path(tmp) / "run"), "-q"]
        if command == "inspect-graph":
            argv = ["inspect-graph", str(cfg), "--format", "tree"]
        err, out = io.StringIO(), io.StringIO()
        signal.alarm(HANG_S)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                main(argv)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        finally:
            signal.alarm(0)
        left = sorted(p.name for p in Path(tmp).iterdir() if p.name != "c.yaml")
    assert "Traceback" not in err.getvalue() + out.getvalue()
    return code, err.getvalue(), left


def check_failure(code: int, err: str, left: list[str]) -> None:
    assert code in (1, 2), err
    lines = err.rstrip("\n").splitlines()
    assert lines and lines[0].startswith("error: "), err
    many = re.match(r"error: (\d+) config errors?:$", lines[0])
    if many:  # the one multi-line form: a count, then one line per error
        assert len(lines) == 1 + int(many.group(1)), err
    elif "YAML syntax error" in lines[0]:  # the line at fault and a caret under the column
        assert len(lines) == 3, err
    else:
        assert len(lines) == 1, err
    assert left == [], f"a failed run left {left} behind"


def check(text: bytes, command: str = "train") -> None:
    code, err, left = run_cli(text, command)
    if code != 0:  # a mutation or truncation may still be a valid config: it then just runs
        check_failure(code, err, left)


def test_the_valid_config_trains_and_inspects():
    code, err, left = run_cli(VALID.encode(), "train")
    assert code == 0 and left == ["run"], err
    assert run_cli(VALID.encode(), "inspect-graph")[0] == 0


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["train", "inspect-graph"]))
def test_random_bytes(data, command):
    check(data, command)


@FUZZ
@given(st.integers(0, len(VALID.encode()) - 1), st.sampled_from(["train", "inspect-graph"]))
def test_truncations(offset, command):
    check(VALID.encode()[:offset], command)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


PATHS = [p for p in _paths(yaml.safe_load(VALID)) if p]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(st.sampled_from(PATHS), VALUES, st.booleans(), st.sampled_from(["train", "inspect-graph"]))
def test_mutated_keys_and_values(path, value, rename, command):
    data = yaml.safe_load(VALID)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if rename and isinstance(parent, dict):
        parent[str(value)[:20]] = parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    check(yaml.safe_dump(data).encode(), command)


@FUZZ
@given(st.sampled_from(PATHS), st.binary(min_size=1, max_size=4))
def test_mutated_bytes(path, junk):
    text = VALID.encode()
    at = abs(hash(path)) % len(text)
    check(text[:at] + junk + text[at + len(junk) :])


@settings(max_examples=10, deadline=None, database=None)
@given(st.integers(1, 20000), st.sampled_from(["[", "{a: ", "- ", "[{a: "]), st.sampled_from(PATHS))
def test_deep_nesting(depth, opener, path):
    nested = opener * depth
    where = ".".join(str(p) for p in path)
    check(f"{VALID}{where}: {nested}\n".encode())
    check(nested.encode())


def test_the_messages_of_typical_mutations():
    """A sample of the fuzzed cases, spelled out: what a user sees."""
    broken = VALID.replace("lr: 0.1", "lr: [0.1]")
    code, err, left = run_cli(broken.encode(), "train")
    assert code == 2 and "optimizer.lr: Input should be a valid number" in err and left == []
    code, err, _ = run_cli(VALID.replace("{linear: 3}", "{linear: 7}").encode(), "inspect-graph")
    assert code == 0  # inspect-graph needs no dataset: the class count is not checked there


@pytest.mark.parametrize("command", ["train", "inspect-graph"])
def test_model_errors_leave_nothing(command):
    broken = VALID.replace("{linear: 4}", "{conv2d: {out_channels: 2, kernel_size: 1}}")
    code, err, left = run_cli(broken.encode(), command)
    check_failure(code, err, left)
    assert "model.layers[0] (conv2d) expects (channels, height, width)" in err
