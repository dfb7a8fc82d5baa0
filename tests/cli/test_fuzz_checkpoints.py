"""Fuzz: damaged checkpoints through `eval`, `inspect-graph` and `train --resume`, in process.

One small run is trained per module; each example damages its last checkpoint (flipped bytes,
a truncation, a wrong size field, random bytes, a mutated header entry, mutated or deleted
metadata, deep nesting) and runs the three commands on it. A refusal must be exit 1 or 2 with
exactly one line on stderr, a gradcli error (not the catch-all's "--debug" hint for an
unexpected exception), no traceback, and no new file anywhere. A mutation can also leave a
usable checkpoint (a changed weight, say): exit 0 is then right, and only "no traceback" holds.
The examples are derandomized so the suite is repeatable; explore with more examples and
`--hypothesis-seed=random` when changing checkpoint code.
"""

import contextlib
import io
import json
import os
import re
import shutil
import struct
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.cli.app import main

TINY = """
name: tiny
seed: 1
data:
  dataset: shapes
  options: {{n_samples: 96, n_test: 64, size: 8}}
  batch_size: 32
  val_split: 0.25
model:
  input_shape: [1, 8, 8]
  layers:
    - conv2d: {{out_channels: 2, kernel_size: 3, padding: 1}}
    - batchnorm2d
    - relu
    - flatten
    - linear: 8
    - batchnorm1d
    - linear: 10
optimizer: {{type: adam, lr: 0.01}}
scheduler: {{type: onecycle, max_lr: 0.05}}
train:
  epochs: 1
output: {{runs_dir: {runs}}}
"""
# values that a damaged or hostile file holds; no moderate numbers, which could make a valid
# config of a long run (training it would be right, and slow)
ODD = st.sampled_from([None, True, -1, 0, 2**63, -(2**70), 1e308, float("nan"), float("inf"),
                       "", "x" * 300, "\n[bold]", [], [1, "a"], {}, {"type": None}])  # fmt: skip
DEPTH = st.integers(min_value=1_000, max_value=100_000)


def _main(argv):
    """(exit code, stdout, stderr) of `gradcli argv` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-checkpoints")
    config = root / "tiny.yaml"
    config.write_text(TINY.format(runs=json.dumps(str(root / "runs"))))
    code, _, err = _main(["train", str(config), "--run-dir", str(root / "run"), "-q"])
    assert code == 0, err
    (root / "run" / "curves.png").unlink(missing_ok=True)  # copied per example: keep it small
    return root / "run"


def _split(raw: bytes):
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def _join(header, body: bytes) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def _nested(depth: int) -> str:
    return '{"a":' + "[" * depth + "]" * depth + "}"


def _mutate(raw: bytes, data) -> bytes:
    kind = data.draw(st.sampled_from(
        ["flip", "truncate", "size", "bytes", "entry", "meta", "meta_deep", "nest"]
    ), label="kind")  # fmt: skip
    if kind == "flip":
        flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)),
                                   min_size=1, max_size=8))  # fmt: skip
        out = bytearray(raw)
        for at, value in flips:
            out[at] = value
        return bytes(out)
    if kind == "truncate":
        return raw[: data.draw(st.integers(0, len(raw) - 1))]
    if kind == "size":
        return struct.pack("<Q", data.draw(st.integers(0, 2**64 - 1))) + raw[8:]
    if kind == "bytes":
        return data.draw(st.binary(max_size=512))
    header, body = _split(raw)
    meta = json.loads(header["__metadata__"]["gradcli"])
    if kind == "entry":
        name = data.draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
        field = data.draw(st.sampled_from([None, "dtype", "shape", "data_offsets"]))
        if field is None:
            header[name] = data.draw(ODD)
        elif data.draw(st.booleans()):
            del header[name][field]
        else:
            header[name][field] = data.draw(ODD)
        return _join(header, body)
    if kind == "nest":
        if data.draw(st.booleans()):
            return _join(_nested(data.draw(DEPTH)).encode(), body)
        header["__metadata__"]["gradcli"] = _nested(data.draw(DEPTH))
        return _join(header, body)
    parent, key = meta, data.draw(st.sampled_from(sorted(meta)))
    # meta_deep walks down into config, state, loader, optimizer ... before it strikes
    while kind == "meta_deep" and _inside(parent[key]) and data.draw(st.booleans()):
        parent, key = parent[key], data.draw(st.sampled_from(_inside(parent[key])))
    if data.draw(st.booleans()):
        del parent[key]
    else:
        parent[key] = data.draw(ODD)
    header["__metadata__"]["gradcli"] = json.dumps(meta)
    return _join(header, body)


def _inside(node) -> list:
    """The keys (or indices) of a JSON object (or array)."""
    if isinstance(node, dict):
        return sorted(node)
    return list(range(len(node))) if isinstance(node, list) else []


def _one_message(err: str, ck: Path) -> bool:
    """One line; or, for a config error, the count of problems and one line for each, each
    naming the file (the config's own way of listing them)."""
    first, *rest = err.strip().splitlines() or [""]
    listed = re.fullmatch(r"error: (\d+) config errors?:", first)
    if not rest:
        return first.startswith("error: ")
    return bool(listed) and int(listed[1]) == len(rest) and all(str(ck) in line for line in rest)


def _files(root: Path) -> set:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_the_undamaged_checkpoint_works(good_run, tmp_path):
    """The baseline (a model with BatchNorm): eval, inspect-graph and resume all succeed."""
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    ck = str(run / "checkpoints" / "last.safetensors")
    for argv in (["eval", ck], ["inspect-graph", ck], ["train", "--resume", ck, "-q"]):
        code, _, err = _main(argv)
        assert code == 0, (argv, err)


@settings(max_examples=60, deadline=timedelta(seconds=20), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(data=st.data())
def test_damaged_checkpoints_are_one_line_errors(good_run, data):
    raw = (good_run / "checkpoints" / "last.safetensors").read_bytes()
    bad = _mutate(raw, data)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run = work / "run"
        shutil.copytree(good_run, run)
        # in its run folder, or loose (resume would then start a new run folder: it must not)
        loose = data.draw(st.booleans(), label="loose")
        ck = work / "loose.safetensors" if loose else run / "checkpoints" / "last.safetensors"
        ck.write_bytes(bad)
        before = _files(work)
        cwd = os.getcwd()
        os.chdir(work)  # anything written relative to the working folder shows up below
        try:
            resume = ["train", "--resume", str(ck), "-q", "--set", "train.epochs=1"]
            for argv in (["eval", str(ck)], ["inspect-graph", str(ck)], resume):
                code, out, err = _main(argv)
                assert "Traceback" not in out + err, (argv, err)
                if code == 0:
                    continue  # the damage left a usable checkpoint
                assert code in (1, 2), (argv, code, err)
                assert "--debug" not in err, ("not a typed gradcli error", argv, err)
                assert _one_message(err, ck), (argv, err)
                assert _files(work) == before, (argv, err, _files(work) - before)
        finally:
            os.chdir(cwd)
