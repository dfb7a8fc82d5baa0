"""curves.png: training loss per step (raw and smoothed), validation loss and accuracy."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: never needs a display
import matplotlib.pyplot as plt  # noqa: E402

from gradcli.train.metrics import read_rows  # noqa: E402


def _floats(rows, key):
    return [(int(r["step"]), float(r[key])) for r in rows if r.get(key) not in ("", None)]


def _smooth(values):
    """Centred moving average (no lag, unlike an EMA), narrowing at the ends."""
    half = max(1, len(values) // 30)
    return [
        sum(values[max(0, i - half) : i + half + 1]) / len(values[max(0, i - half) : i + half + 1])
        for i in range(len(values))
    ]


def draw_curves(metrics_csv: Path, out_png: Path) -> None:
    rows = read_rows(metrics_csv)
    steps = _floats([r for r in rows if r["kind"] == "step"], "train_loss")
    epochs = [r for r in rows if r["kind"] == "epoch"]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    if steps:
        xs, ys = zip(*steps)
        ax_loss.plot(xs, ys, color="tab:blue", alpha=0.3, label="train (logged)")
        ax_loss.plot(xs, _smooth(ys), color="tab:blue", label="train (smoothed)")
    val = _floats(epochs, "val_loss")
    if val:
        ax_loss.plot(*zip(*val), "o-", color="tab:orange", label="validation")
    ax_loss.set(xlabel="step", ylabel="loss", title="Loss")
    positive = [y for _, y in steps + val if y > 0]
    if positive and max(positive) / min(positive) > 100:
        ax_loss.set_yscale("log")
    ax_loss.legend()
    for key, label in (("train_accuracy", "train"), ("val_accuracy", "validation")):
        points = _floats(epochs, key)
        if points:
            ax_acc.plot(*zip(*points), "o-", label=label)
    ax_acc.set(xlabel="step", ylabel="accuracy", title="Accuracy per epoch")
    if ax_acc.lines:
        ax_acc.legend()
    else:
        ax_acc.text(0.5, 0.5, "no accuracy (regression)", ha="center", va="center")
    fig.tight_layout()
    tmp = out_png.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, out_png)
