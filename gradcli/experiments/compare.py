"""`gradcli runs compare`: several runs' curves in one PNG, and the config keys that differ.

    result = compare_runs(["runs/a/20261201-101500", "runs/b/20261201-103000"], "compare.png")
    result.differing    # {"optimizer.lr": {"a": 0.1, "b": 0.05}}

matplotlib is imported by `comparison_figure` only (see gradcli.train.plots), with the Agg
canvas: no display is needed, and nothing else pays its start-up time.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradcli.experiments.run_files import read_metrics
from gradcli.experiments.runs import RunRecord, RunsError, read_run
from gradcli.train.atomic import atomic_write

PANEL_IN = (5.5, 4.5)  # inches per panel (width, height)
DPI = 100
_PANELS = (("loss", "train_loss", "val_loss"), ("accuracy", "train_accuracy", "val_accuracy"))


@dataclass
class Comparison:
    labels: list[str]  # one per run, in the order given, unique
    differing: dict[str, dict[str, Any]]  # dotted key -> {label: value}, labels lacking it left out
    png: Path | None  # None when no run has a finished epoch to draw
    notices: list[str] = field(default_factory=list)


def compare_runs(folders, out_png: str | Path) -> Comparison:
    """Read the runs, write their curves to `out_png` and find the config keys that differ."""
    out_png = Path(out_png)
    if not out_png.parent.is_dir():
        raise RunsError(f"cannot write {out_png}: its folder does not exist; create it first")
    records = [read_run(folder) for folder in folders]  # all checked before anything is drawn
    labels = run_labels(records)
    notices = [f"{label}: {n}" for label, r in zip(labels, records) for n in r.notices]
    curves = []
    for label, r in zip(labels, records):
        epochs = [row for row in read_metrics(r.folder) if row["kind"] == "epoch"]
        if epochs:
            curves.append((label, epochs))
        else:
            notices.append(f"{label}: no epoch finished, nothing to draw")
    png = None
    if curves:
        png = atomic_write(out_png, png_bytes(comparison_figure(curves)))
    differing = differing_keys({label: r.config for label, r in zip(labels, records)})
    return Comparison(labels, differing, png, notices)


def run_labels(records: list[RunRecord]) -> list[str]:
    """Each run's name; runs that share one add their folder, then their whole path."""
    names = Counter(r.name for r in records)
    labels = [r.name if names[r.name] == 1 else f"{r.name} ({r.folder.name})" for r in records]
    counts = Counter(labels)
    return [str(r.folder) if counts[label] > 1 else label for label, r in zip(labels, records)]


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys as `--set` takes them, list items by index; a list of
    plain values (a shape) is one value:

    >>> flatten({"optimizer": {"lr": 0.1}, "model": {"layers": [{"linear": 16}, "relu"]}})
    {'optimizer.lr': 0.1, 'model.layers.0.linear': 16, 'model.layers.1': 'relu'}
    """
    if isinstance(data, dict) and data:
        items = data.items()
    elif isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        items = enumerate(data)
    else:
        return {prefix: data}  # a value, a list of values, or an empty mapping
    out: dict[str, Any] = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def differing_keys(configs: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """The dotted keys whose values are not the same in every config (a key some configs lack
    differs too), in the order they first appear."""
    flat = {label: flatten(config) if config else {} for label, config in configs.items()}
    keys = list(dict.fromkeys(k for f in flat.values() for k in f))
    missing = object()
    out = {}
    for key in keys:
        values = [f.get(key, missing) for f in flat.values()]
        if any(v is missing or not _same(v, values[0]) for v in values):
            out[key] = {label: f[key] for label, f in flat.items() if key in f}
    return out


def _same(a, b) -> bool:
    # 1 and 1.0 and True compare equal in Python, but a config that says `true` differs
    return type(a) is type(b) and a == b


def comparison_figure(curves: list[tuple[str, list[dict]]]):
    """A matplotlib Figure (Agg canvas): a loss panel and, when any run has accuracies, an
    accuracy panel, against epoch; a colour per run (the legend names them), solid for
    validation, dashed for train."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    panels = [p for p in _PANELS if any(_points(rows, k) for _, rows in curves for k in p[1:])]
    fig = Figure(figsize=(PANEL_IN[0] * len(panels), PANEL_IN[1]), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    colours = _colours(len(curves))
    for ax, (what, train_key, val_key) in zip(axes, panels):
        for (_, rows), colour in zip(curves, colours):
            for key, style in ((train_key, "--"), (val_key, "-")):
                points = _points(rows, key)
                if points:
                    ax.plot(*zip(*points), style, color=colour, marker="o", markersize=3)
        ax.set(xlabel="epoch", ylabel=what, title=f"{what.capitalize()} per epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        if what == "loss" and _spans_decades(ax):
            ax.set_yscale("log")
    handles = [Line2D([], [], color=c, label=label) for (label, _), c in zip(curves, colours)]
    handles += [Line2D([], [], color="grey", linestyle=s, label=k)
                for s, k in (("-", "validation"), ("--", "train"))]  # fmt: skip
    axes[0].legend(handles=handles, fontsize="small")
    fig.tight_layout()
    return fig


def png_bytes(fig) -> bytes:
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI)
    return png.getvalue()


def _points(rows: list[dict], key: str) -> list[tuple[int, float]]:
    return [(r["epoch"], r[key]) for r in rows if r.get(key) is not None]


def _spans_decades(ax) -> bool:
    ys = [y for line in ax.get_lines() for y in line.get_ydata() if y > 0]
    return bool(ys) and max(ys) / min(ys) > 100


def _colours(n: int) -> list:
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    return [colormaps["turbo"](i / max(n - 1, 1)) for i in range(n)]
