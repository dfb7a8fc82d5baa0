"""A graph model (blocks, residuals, branches, skip connections) survives train -> eval ->
resume -> inspect-graph; ResNet-20 trains on CIFAR-shaped data with a falling loss."""

import csv

import yaml

from .conftest import round_trip, run

LAYERS = [
    {"conv2d": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
    "batchnorm2d", "relu", {"save": "stem"}, {"unit": {"repeat": 2}}, {"add": "stem"},
    {"unit": {"channels": 8, "stride": 2}},
    {"branches": {"merge": "concat", "paths": [[{"conv2d": {"out_channels": 2, "kernel_size": 1}}],
                                               [{"maxpool2d": {"kernel_size": 3, "stride": 1,
                                                               "padding": 1}}]]}},
    {"residual": {"body": [{"conv2d": {"out_channels": 10, "kernel_size": 1}}], "after": "relu"}},
    {"save": "unused"}, "global_avgpool", "identity", {"linear": 10},
]  # fmt: skip
CONFIG = {
    "name": "graph", "seed": 2,
    "data": {"dataset": "shapes", "options": {"n_samples": 400, "size": 16},
             "transforms": ["scale"], "batch_size": 32, "val_split": 0.2},
    "model": {"input_shape": [1, 16, 16], "layers": LAYERS, "blocks": {"unit": {
        "params": {"channels": 4, "stride": 1},
        "residual": [{"conv2d": {"out_channels": "$channels", "kernel_size": 3,
                                 "stride": "$stride", "padding": 1, "bias": False}},
                     "batchnorm2d", "relu"],
        "after": "relu"}}},
    "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
    "train": {"epochs": 1, "checkpoint": {"best_metric": "val_accuracy"}},
}  # fmt: skip


def test_graph_model_round_trips(tmp_path):
    config = tmp_path / "graph.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "run"
    assert round_trip(config, out)["samples"] == 80
    for fmt in ("json", "tree", "table"):
        inspected = run("inspect-graph", out, "--format", fmt)
        assert inspected.returncode == 0, inspected.stderr
    table = run("inspect-graph", config, "--format", "table").stdout
    assert "unit x2 (Residual)" in table and "branches (Branches)" in table


def test_resnet20_trains_on_cifar_shaped_data(tmp_path):
    out = tmp_path / "run"
    trained = run(
        "train", "configs/cifar10_resnet20.yaml", "--run-dir", out, "-q",
        "--set", "data.dataset=shapes", "--set", "data.options.channels=3",
        "--set", "data.options.size=32", "--set", "data.options.n_samples=64",
        "--set", "data.options.n_test=10", "--set", "data.val_split=0",
        "--set", "data.batch_size=32", "--set", "train.checkpoint.best_metric=train_loss",
        "--set", "train.epochs=10", "--set", "optimizer.lr=0.02",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    with open(out / "metrics.csv") as f:
        losses = [float(r["train_loss"]) for r in csv.DictReader(f) if r["kind"] == "epoch"]
    assert len(losses) == 10 and losses[-1] < losses[0] - 0.3, losses
