"""Without a validation split the training metric of the same kind stands in for a val_
metric: best by val_accuracy was judged by the training loss, and reported as
'best val_accuracy 0.33' (a loss, under an accuracy's name)."""

import csv

from test_trainer import config

from gradcli.train import session


def test_best_by_val_accuracy_without_val_split_uses_train_accuracy(tmp_path):
    cfg = config(**{
        "data.val_split": 0, "train.epochs": 4, "optimizer.lr": 0.5,
        "train.checkpoint": "{best_metric: val_accuracy}",
    })  # fmt: skip
    summary = session.start(cfg, run_dir=tmp_path).fit()
    with open(tmp_path / "metrics.csv") as f:
        epochs = [r for r in csv.DictReader(f) if r["kind"] == "epoch"]
    best = max(epochs, key=lambda r: float(r["train_accuracy"]))
    assert summary["best"]["metric"] == "train_accuracy"
    assert summary["best"]["epoch"] == int(best["epoch"])
    assert summary["best"]["value"] == float(best["train_accuracy"])
