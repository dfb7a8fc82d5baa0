"""`gradcli runs compare`: the curves of real runs in one PNG, and exactly the config keys that
differ between them."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from PIL import Image

from gradcli.config.load import Source, load_data
from gradcli.experiments.compare import (
    compare_runs,
    comparison_figure,
    differing_keys,
    flatten,
)
from gradcli.experiments.run_files import read_metrics
from gradcli.experiments.runs import RunsError
from gradcli.train import session
from gradcli.train.state import NonFiniteError

BASE = {
    "name": "base",
    "seed": 1,
    "data": {"dataset": "blobs", "options": {"n_samples": 400}, "batch_size": 50,
             "val_split": 0.25},
    "model": {"input_shape": [2], "layers": [{"linear": 16}, "relu", {"linear": 3}]},
    "optimizer": {"type": "sgd", "lr": 0.1},
    "train": {"epochs": 3, "log_every_steps": 2},
}  # fmt: skip


def train(root, **overrides):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["output"] = {"runs_dir": str(root)}
    config = load_data(data, Source("test", {}), [f"{k}={v}" for k, v in overrides.items()])
    run = session.start(config)
    run.fit()
    return run.folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    made = {
        "base": train(root),
        "wide": train(root, name="wide", **{"optimizer.lr": 0.05, "model.layers.0.linear": 32}),
        "again": train(root),  # the same name as `base`
    }
    with pytest.raises(NonFiniteError):  # fails in its first epoch: nothing to draw
        train(root, name="nan", **{"optimizer.lr": 1e38})
    (made["nan"],) = (root / "nan").iterdir()
    return made


def test_the_png_is_written_at_its_size(runs, tmp_path):
    out = tmp_path / "compare.png"
    result = compare_runs([runs["base"], runs["wide"], runs["nan"]], out)
    assert result.png == out
    with Image.open(out) as image:
        assert (image.format, image.size) == ("PNG", (1100, 450))  # 2 panels of 5.5 x 4.5 in
        image.verify()
    assert result.notices == ["nan: no epoch finished, nothing to draw"]


def test_the_keys_that_differ_and_only_they(runs, tmp_path):
    result = compare_runs([runs["base"], runs["wide"]], tmp_path / "c.png")
    assert result.labels == ["base", "wide"]
    assert result.differing == {
        "name": {"base": "base", "wide": "wide"},
        "model.layers.0.linear.out_features": {"base": 16, "wide": 32},
        "optimizer.lr": {"base": 0.1, "wide": 0.05},
    }
    same = compare_runs([runs["base"], runs["again"]], tmp_path / "d.png")
    assert same.differing == {}
    assert same.labels == [f"base ({runs['base'].name})", f"base ({runs['again'].name})"]


def test_the_figure_has_a_colour_and_a_legend_entry_per_run(runs):
    curves = [(k, [r for r in read_metrics(runs[k]) if r["kind"] == "epoch"])
              for k in ("base", "wide")]  # fmt: skip
    fig = comparison_figure(curves)
    loss, accuracy = fig.axes
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch", "epoch"]
    assert (loss.get_ylabel(), accuracy.get_ylabel()) == ("loss", "accuracy")
    legend = [t.get_text() for t in loss.get_legend().get_texts()]
    assert legend == ["base", "wide", "validation", "train"]
    for ax in fig.axes:  # train and validation of a run: one colour; runs: different colours
        colours = [line.get_color() for line in ax.get_lines()]
        assert len(colours) == 4 and colours[0] == colours[1] != colours[2] == colours[3]
        assert [list(line.get_xdata()) for line in ax.get_lines()] == [[1, 2, 3]] * 4
    val = [r["val_loss"] for r in curves[0][1]]
    assert list(loss.get_lines()[1].get_ydata()) == val


def test_a_run_without_accuracy_draws_the_loss_panel_alone():
    rows = [{"kind": "epoch", "epoch": e, "step": 4 * e, "train_loss": 1.0 / e,
             "val_loss": 1.5 / e, "train_accuracy": None, "val_accuracy": None}
            for e in (1, 2)]  # fmt: skip
    fig = comparison_figure([("regression", rows)])
    assert len(fig.axes) == 1 and tuple(fig.get_size_inches()) == (5.5, 4.5)


def test_flatten_and_differing_keys():
    config = {"model": {"input_shape": [1, 28, 28], "layers": [{"linear": 16}, "relu"]},
              "scheduler": None, "output": {}}  # fmt: skip
    assert flatten(config) == {
        "model.input_shape": [1, 28, 28],  # a list of values is one value
        "model.layers.0.linear": 16,
        "model.layers.1": "relu",
        "scheduler": None,
        "output": {},
    }
    configs = {
        "a": {"lr": 0.1, "flag": True, "only_a": 1, "shape": [1, 2], "same": "x"},
        "b": {"lr": 0.1, "flag": 1, "shape": [1, 3], "same": "x"},
    }
    assert differing_keys(configs) == {
        "flag": {"a": True, "b": 1},  # equal in Python, not in a config
        "only_a": {"a": 1},
        "shape": {"a": [1, 2], "b": [1, 3]},
    }


def test_a_folder_that_is_not_a_run_is_refused(runs, tmp_path):
    with pytest.raises(RunsError, match="is not a run folder"):
        compare_runs([runs["base"], tmp_path], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
    with pytest.raises(RunsError, match="its folder does not exist"):
        compare_runs([runs["base"]], tmp_path / "no" / "x.png")


def gradcli(*args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "gradcli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)  # fmt: skip


def test_cli_compare(runs, tmp_path):
    out = tmp_path / "curves.png"
    done = gradcli("runs", "compare", runs["base"], runs["wide"], "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["png"] == str(out) and out.is_file()
    assert list(result["differing"]) == ["name", "model.layers.0.linear.out_features",
                                         "optimizer.lr"]  # fmt: skip
    shown = gradcli("runs", "compare", runs["base"], runs["wide"], cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert (tmp_path / "compare.png").is_file()
    rows = [line.split() for line in shown.stdout.splitlines()]
    assert ["optimizer.lr", "0.1", "0.05"] in rows and ["name", "base", "wide"] in rows
    assert not any(row and row[0] in ("seed", "optimizer.type") for row in rows)
    refused = gradcli("runs", "compare", runs["base"], tmp_path / "nowhere")
    assert refused.returncode == 1 and "is not a run folder" in refused.stderr
