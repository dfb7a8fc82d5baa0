"""`gradcli predict` on .npy/.npz arrays and CSV rows: a classifier of 2-D points (spirals), a
regression (the two-layer network), a model trained on a CSV with named columns; the error rules
of `eval` for the checkpoint, the arguments and bad files."""

import csv
import json

import numpy as np
import pytest

from gradcli.data import load_dataset
from tests.deploy.predict_helpers import error_lines, model_outputs, predictions, run, train

SPIRALS = """
name: spirals
data:
  dataset: spirals
  options: {n_samples: 300, n_test: 30}
  batch_size: 50
  val_split: 0
model:
  input_shape: [2]
  layers: [{linear: 32}, tanh, {linear: 3}]
optimizer: {type: adam, lr: 0.02}
train: {epochs: 3}
"""

REGRESSION = """
name: two-layer
data:
  dataset: regression
  options: {n_samples: 64, in_features: 1000, out_features: 10}
  batch_size: 64
  val_split: 0
model:
  input_shape: [1000]
  layers:
    - linear: {out_features: 100, bias: false, init: normal}
    - relu
    - linear: {out_features: 10, bias: false, init: normal}
loss: {type: mse, reduction: sum}
optimizer: {type: sgd, lr: 1.0e-6}
train: {steps: 3}
"""

TABLE = """
name: from-csv
data:
  dataset: csv
  options: {{path: {path}, label: kind, features: [width, height, depth]}}
  transforms: [normalize]
  batch_size: 16
  val_split: 0
model:
  input_shape: [3]
  layers: [{{linear: 2}}]
optimizer: {{type: sgd, lr: 0.1}}
train: {{epochs: 1}}
"""


@pytest.fixture(scope="module")
def spirals(tmp_path_factory):
    run_dir = train(SPIRALS, tmp_path_factory.mktemp("spirals"))
    x, _, _ = load_dataset("spirals", split="test", n_samples=300, n_test=30)
    return run_dir, x


def test_npy_npz_and_csv_points_get_the_models_classes(spirals, tmp_path):
    run_dir, x = spirals
    classes = model_outputs(run_dir, x).argmax(axis=1)
    np.save(tmp_path / "stack.npy", x[:10])
    np.save(tmp_path / "one.npy", x[10])
    np.savez(tmp_path / "named.npz", x=x[11:20], other=np.zeros(3))
    with open(tmp_path / "rows.csv", "w", newline="") as f:
        csv.writer(f).writerows([["a", "b"], *x[20:].tolist()])
    result = run("predict", run_dir, *(tmp_path / n for n in ("stack.npy", "one.npy", "named.npz",
                 "rows.csv")), "--json", "--top-k", "3")  # fmt: skip
    assert result.returncode == 0, result.stderr
    got = predictions(result)
    names = [f"{tmp_path}/stack.npy[{i}]" for i in range(10)] + [f"{tmp_path}/one.npy"]
    names += [f"{tmp_path}/named.npz[{i}]" for i in range(9)]
    names += [f"{tmp_path}/rows.csv:{line}" for line in range(2, 12)]  # line 1: the header
    assert list(got) == names
    assert [got[n]["index"] for n in names] == classes.tolist()
    assert all(len(p["top_k"]) == 3 for p in got.values())
    assert all(p["class"] == f"class_{p['index']}" for p in got.values())


def test_bad_rows_and_files_fail_alone(spirals, tmp_path):
    run_dir, x = spirals
    (tmp_path / "mixed.csv").write_text("0.1,0.2\nabc,0.3\n0.4,0.5\n0.6\n")
    (tmp_path / "wide.csv").write_text("1,2,3,4\n5,6,7,8\n")
    np.save(tmp_path / "wrong.npy", np.zeros((4, 5), np.float32))
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "picture.png").write_bytes(b"")
    result = run("predict", run_dir, *(tmp_path / n for n in ("mixed.csv", "wide.csv",
                 "wrong.npy", "broken.npy", "picture.png", "absent.csv")), "--json")  # fmt: skip
    assert result.returncode == 1
    assert list(predictions(result)) == [f"{tmp_path}/mixed.csv:1", f"{tmp_path}/mixed.csv:3"]
    errors = error_lines(result)
    expected = [
        "absent.csv: no such file or folder",
        "mixed.csv:2: 'abc' is not a number",
        "mixed.csv:4: 1 fields, but the first row has 2",
        "wide.csv: rows have 4 columns but the model takes 2 values per sample",
        "wrong.npy: an array of shape [4, 5] does not fit the model's samples of shape [2]",
        "broken.npy: not a readable NumPy file",
        "picture.png: this model takes rows of 2 values (spirals data), not images",
    ]
    assert len(errors) == len(expected)
    for line, text in zip(errors, expected):
        assert text in line, (line, text)


def test_regression_values_match_the_model(tmp_path):
    run_dir = train(REGRESSION, tmp_path / "reg")
    x, _, _ = load_dataset("regression", n_samples=64, in_features=1000, out_features=10)
    np.save(tmp_path / "x.npy", x[:5])
    result = run("predict", run_dir, tmp_path / "x.npy", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["task"] == "regression" and data["class_names"] is None
    values = np.array([p["values"] for p in data["predictions"]])
    np.testing.assert_allclose(values, model_outputs(run_dir, x[:5]), rtol=1e-6)
    out = tmp_path / "values.csv"
    written = run("predict", run_dir, tmp_path / "x.npy", "--csv", out)
    assert written.returncode == 0, written.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["input"] + [f"value_{i}" for i in range(10)]
    np.testing.assert_allclose(np.array(rows[1:])[:, 1:].astype(float), values, rtol=1e-6)
    table = run("predict", run_dir, tmp_path / "x.npy")
    assert table.returncode == 0 and "values (10)" in table.stdout, table.stderr


def test_csv_trained_model_reads_its_columns_by_name(tmp_path):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(40, 3)).round(3)
    kinds = np.where(feats[:, 0] > 0, "big", "small")
    data = tmp_path / "items.csv"
    with open(data, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "width", "kind", "height", "depth"])
        writer.writerows([[i, a, k, b, c] for i, ((a, b, c), k) in enumerate(zip(feats, kinds))])
    run_dir = train(TABLE.format(path=data), tmp_path / "t")
    result = run("predict", run_dir, data, "--json")  # the training file itself, label and all
    assert result.returncode == 0, result.stderr
    got = [p["index"] for p in predictions(result).values()]
    assert got == model_outputs(run_dir, feats.astype(np.float32)).argmax(axis=1).tolist()
    (tmp_path / "short.csv").write_text("width,height\n1,2\n")
    missing = run("predict", run_dir, tmp_path / "short.csv")
    assert missing.returncode == 1
    assert error_lines(missing) == [
        f"error: {tmp_path}/short.csv: no column(s) depth; the model was trained on columns "
        "width, height, depth"
    ]


def test_eval_error_rules(spirals, tmp_path):
    run_dir, x = spirals
    np.save(tmp_path / "x.npy", x[:2])
    (tmp_path / "empty").mkdir()
    (tmp_path / "fake.safetensors").write_bytes(b"not a checkpoint")
    cases = [
        (("predict", tmp_path / "nothing", tmp_path / "x.npy"), 1, "nothing"),
        (("predict", tmp_path / "fake.safetensors", tmp_path / "x.npy"), 1, "fake.safetensors"),
        (("predict", run_dir), 2, "(see `gradcli predict --help`)"),
        (("predict", run_dir, tmp_path / "x.npy", "--json", "--csv", tmp_path / "o.csv"), 2,
         "give --json or --csv, not both"),
        (("predict", run_dir, tmp_path / "x.npy", "--top-k", "0"), 2, "--top-k"),
        (("predict", run_dir, tmp_path / "empty"), 1, "no image, .npy, .npz or .csv files"),
        (("predict", run_dir, tmp_path / "x.npy", "--csv", tmp_path / "no" / "o.csv"), 1,
         "cannot write it"),
    ]  # fmt: skip
    for args, code, text in cases:
        result = run(*args)
        assert result.returncode == code, (args, result.stderr)
        lines = error_lines(result)
        assert len(lines) == 1 and text in lines[0], (args, result.stderr)


def test_many_inputs_print_as_plain_columns(spirals, tmp_path):
    run_dir, _ = spirals
    x = np.random.default_rng(0).uniform(-1, 1, (250, 2)).astype(np.float32)
    np.save(tmp_path / "many.npy", x)
    result = run("predict", run_dir, tmp_path / "many.npy")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["input", "class", "probability"] and len(lines) == 251
    classes = model_outputs(run_dir, x).argmax(axis=1)
    for i in (0, 249):
        name, cls, prob = lines[1 + i].split()
        assert name == f"{tmp_path}/many.npy[{i}]" and cls == f"class_{classes[i]}"
        assert 1 / 3 <= float(prob) <= 1
