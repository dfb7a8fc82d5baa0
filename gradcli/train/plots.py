"""curves.png: training loss per step (raw and smoothed), validation loss, accuracy per epoch.

matplotlib is imported by `draw_curves` only: it costs a few hundred milliseconds, and every
gradcli process (`--help`, shell completion, eval) would pay it at start otherwise.
"""

from __future__ import annotations

import io
from pathlib import Path

from gradcli.train.atomic import atomic_write
from gradcli.train.metrics import read_rows


def _points(rows, x_key, key):
    """(x, value) pairs of the rows that hold a number under `key`."""
    points = []
    for r in rows:
        try:
            points.append((int(r[x_key]), float(r[key])))
        except (KeyError, TypeError, ValueError):
            continue  # empty cell (no validation that epoch, regression's accuracy) or torn row
    return points


def _smooth(values):
    """Centred moving average (no lag, unlike an EMA), narrowing at the ends."""
    half = max(1, len(values) // 30)
    return [
        sum(values[max(0, i - half) : i + half + 1]) / len(values[max(0, i - half) : i + half + 1])
        for i in range(len(values))
    ]


def _loss_panel(ax, steps, per_epoch, val) -> None:
    if steps:
        xs, ys = zip(*steps)
        ax.plot(xs, ys, color="tab:blue", alpha=0.3, label="train (logged)")
        ax.plot(xs, _smooth(ys), color="tab:blue", label="train (smoothed)")
    elif per_epoch:  # fewer steps than log_every_steps: only the epoch means exist
        ax.plot(*zip(*per_epoch), "o-", color="tab:blue", label="train")
    if val:
        ax.plot(*zip(*val), "o-", color="tab:orange", label="validation")
    ax.set(xlabel="step", ylabel="loss", title="Loss")
    positive = [y for _, y in steps + per_epoch + val if y > 0]
    if positive and max(positive) / min(positive) > 100:
        ax.set_yscale("log")


def _accuracy_panel(ax, accuracy: dict) -> None:
    from matplotlib.ticker import MaxNLocator

    for label, points in accuracy.items():
        ax.plot(*zip(*points), "o-", label=label)
    ax.set(xlabel="epoch", ylabel="accuracy", title="Accuracy per epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25


def draw_curves(metrics_csv: Path, out_png: Path) -> None:
    """Write curves.png (atomically); a metrics file without rows draws nothing."""
    fig = curves_figure(read_rows(metrics_csv))
    if fig is None:
        return
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    atomic_write(out_png, png.getvalue())


def curves_figure(rows: list[dict]):
    """A matplotlib Figure with the panels that have data (a regression run has no accuracy
    panel), or None when there is nothing to draw."""
    epochs = [r for r in rows if r.get("kind") == "epoch"]
    loss = (
        _points([r for r in rows if r.get("kind") == "step"], "step", "train_loss"),
        _points(epochs, "step", "train_loss"),
        _points(epochs, "step", "val_loss"),
    )
    accuracy = {}
    for key, label in (("train_accuracy", "train"), ("val_accuracy", "validation")):
        points = _points(epochs, "epoch", key)
        if points:
            accuracy[label] = points
    panels = [(_loss_panel, loss)] if any(loss) else []
    if accuracy:
        panels.append((_accuracy_panel, (accuracy,)))
    if not panels:
        return None
    from matplotlib.figure import Figure  # no pyplot: no global figure state, no GUI backend

    fig = Figure(figsize=(5.5 * len(panels), 4))
    for ax, (draw, data) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        draw(ax, *data)
        ax.legend()  # every line drawn has a label, and a panel is drawn only with lines
    fig.tight_layout()
    return fig
