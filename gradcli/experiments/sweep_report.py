"""What a sweep found: a record per trial, the best config as YAML, and a plot of the metric
against each swept parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from gradcli.experiments.sweep_store import Sweep, optuna
from gradcli.train.atomic import atomic_write

BEST_FILE, PLOT_FILE = "best.yaml", "sweep.png"
_ORDER = {"complete": 0, "pruned": 1, "running": 2, "failed": 3, "requeued": 4}


@dataclass
class TrialRecord:
    number: int
    params: dict
    value: float | None  # the best epoch's metric; a pruned trial's last reported one
    state: str  # complete, pruned, running, failed, requeued (stopped and queued again)
    epochs: int | None
    run_dir: str | None
    started: datetime | None
    ended: datetime | None
    error: str | None = None
    retry_of: int | None = None


def _record(t) -> TrialRecord:
    states = optuna().trial.TrialState
    state = {states.COMPLETE: "complete", states.PRUNED: "pruned", states.RUNNING: "running",
             states.FAIL: "failed", states.WAITING: "waiting"}[t.state]  # fmt: skip
    attrs = t.user_attrs
    if state == "failed" and attrs.get("requeued"):
        state = "requeued"
    value = t.value
    if value is None and state == "pruned" and t.intermediate_values:
        value = t.intermediate_values[max(t.intermediate_values)]
    epochs = attrs.get("epochs")
    if epochs is None and t.intermediate_values:
        epochs = max(t.intermediate_values)
    return TrialRecord(
        t.number, dict(t.params), value, state, epochs, attrs.get("run_dir"),
        t.datetime_start, t.datetime_complete, attrs.get("error") or attrs.get("stopped"),
        attrs.get("retry_of"),
    )  # fmt: skip


def record(sweep: Sweep, number: int) -> TrialRecord:
    return _record(sweep.study.get_trials(deepcopy=False)[number])


def records(sweep: Sweep) -> list[TrialRecord]:
    """Every trial begun, best first: finished ones by the metric, then pruned, the rest."""
    found = [_record(t) for t in sweep.study.get_trials(deepcopy=False)]
    sign = -1 if sweep.spec.direction == "maximize" else 1
    return sorted(
        (r for r in found if r.state != "waiting"),
        key=lambda r: (_ORDER[r.state], r.value is None, sign * (r.value or 0.0), r.number),
    )


def best(sweep: Sweep) -> TrialRecord | None:
    done = [r for r in records(sweep) if r.state == "complete" and r.value is not None]
    return done[0] if done else None


def finish(sweep: Sweep) -> tuple[Path | None, Path | None]:
    """Write best.yaml (the best trial's resolved config, ready for `gradcli train`) and
    sweep.png; (None, None) before any trial finished."""
    from gradcli.config.load import load_config

    top = best(sweep)
    if top is None:
        return None, None
    # rebuilt rather than copied: the trial may have run on another machine sharing the study
    config = load_config(sweep.config_path, sweep.overrides(top.params)).model_dump(mode="json")
    config.pop("sweep", None)
    head = (
        f"# The best trial ({top.number}) of the sweep {sweep.folder}: "
        f"{sweep.spec.metric} {top.value:.6g}\n# with {_params(top.params)}.\n"
        f"# Train it with: gradcli train {sweep.folder / BEST_FILE}\n"
    )
    path = sweep.folder / BEST_FILE
    atomic_write(path, (head + yaml.safe_dump(config, sort_keys=False)).encode())
    return path, plot(sweep)


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def plot(sweep: Sweep) -> Path | None:
    """sweep.png: the metric against each swept parameter, finished and pruned trials."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    shown = [r for r in records(sweep) if r.state in ("complete", "pruned") and r.value is not None]
    if not shown:
        return None
    n = len(sweep.params)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), squeeze=False, sharey=True)
    top = best(sweep)
    for ax, p in zip(axes[0], sweep.params):
        numeric = all(isinstance(r.params.get(p.key), (int, float)) and
                      not isinstance(r.params.get(p.key), bool) for r in shown)  # fmt: skip
        labels = [] if numeric else sorted({str(r.params.get(p.key)) for r in shown})
        for state, marker, colour in (("complete", "o", "tab:blue"), ("pruned", "x", "tab:gray")):
            rows = [r for r in shown if r.state == state]
            xs = [r.params.get(p.key) if numeric else labels.index(str(r.params.get(p.key)))
                  for r in rows]  # fmt: skip
            label = "pruned (last epoch)" if state == "pruned" else state
            ax.scatter(xs, [r.value for r in rows], marker=marker, c=colour, label=label)
        if top is not None:
            x = top.params.get(p.key)
            ax.scatter([x if numeric else labels.index(str(x))], [top.value], s=140,
                       facecolors="none", edgecolors="tab:red", label="best")  # fmt: skip
        if not numeric:
            ax.set_xticks(range(len(labels)), labels)
        elif p.log:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks overlap
        ax.set_xlabel(p.key)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(sweep.spec.metric)
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(f"{sweep.spec.study}: {len(shown)} trials", fontsize=10)
    fig.tight_layout()
    path = sweep.folder / PLOT_FILE
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
