"""Reading run folders back: what `gradcli runs` lists, and what comparisons and sweeps build on.

    record = read_run("runs/quickstart/20261201-101500")
    record.status, record.best_metric, record.best_value   # 'finished', 'val_loss', 0.31

Any folder holding config.yaml and metrics.csv is a run (every gradcli version wrote both) and
reads without error: a missing piece is None, a damaged file is a notice on the record.

The status is told from what the folder holds, in this order:

- running: a process holds its lock (`.gradcli.owner` is there and `.gradcli.lock` is taken);
- finished: summary.json, written when a run ends, covers the last step in metrics.csv (one
  behind it is from before a resume that did not finish);
- failed, "killed": `.gradcli.owner` was left by a process that no longer holds the lock;
- failed: metrics.csv goes on past the last checkpoint's step;
- finished, "no summary.json": the planned epochs or steps are done, or it stopped early;
- interrupted: the last checkpoint is at the last step (a stop by a signal writes one there);
- failed: a run of this version (it has the `.gradcli-run` marker) with no last checkpoint;
- None: nothing tells (an older run's folder copied without its checkpoints and summary).

Runs since issue 17 write summary.json when they stop as well, with a `status` key
(`finished`, `interrupted`, or `failed` with an `error` line), taken at its word. For earlier
runs, a failure in the steps after a checkpoint that were not yet logged reads as interrupted.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from gradcli.errors import GradcliError
from gradcli.experiments.run_files import checkpoint_meta, config_file, json_file, metrics_file

# the lock protocol of gradcli.train.run.RunLock: the owner file exists exactly while the lock
# is held, so a folder without it is not probed (probing takes the lock for a moment)
from gradcli.train.run import _LOCK, _OWNER, MARKER

STATUSES = ("running", "finished", "interrupted", "failed")
_STAMP = re.compile(r"(\d{8}-\d{6})(-\d+)?")  # new_run_dir's folder names


class RunsError(GradcliError):
    """A folder given as a run, or as the folder of runs, is not one."""


@dataclass
class RunRecord:
    """One run folder as read back. Numbers are None where the folder does not hold them."""

    folder: Path
    name: str
    started: float | None = None  # seconds since the epoch
    status: str | None = None  # one of STATUSES; None when the folder cannot tell
    detail: str = ""  # how the status was told, or what ended the run
    epochs: int | None = None  # epochs completed
    planned_epochs: int | None = None
    steps: int | None = None
    planned_steps: int | None = None
    best_metric: str | None = None
    best_value: float | None = None
    best_epoch: int | None = None
    wall_s: float | None = None
    device: str | None = None
    final: dict = field(default_factory=dict)  # the last epoch's row of metrics.csv
    notices: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict, repr=False)  # config.yaml as written

    def to_dict(self) -> dict:
        """JSON-ready: the folder as a string, the start time also in ISO 8601, no config."""
        out = {k: v for k, v in self.__dict__.items() if k != "config"}
        out["folder"] = str(self.folder)
        out["started_iso"] = iso_time(self.started)
        return out


def iso_time(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t))


def is_run(folder: Path) -> bool:
    folder = Path(folder)
    legacy = (folder / "config.yaml").is_file() and (folder / "metrics.csv").is_file()
    return legacy or (folder / MARKER).is_file()


def find_runs(root: str | Path, max_depth: int = 5) -> list[Path]:
    """Run folders at or below `root` (runs/<name>/<stamp>/, --run-dir folders, sweep trials),
    not looking inside a run nor into hidden folders, and not following links (one run
    reached through two paths would list twice)."""
    root = Path(root)
    if is_run(root):
        return [root]
    found: list[Path] = []
    todo = [(root, 0)]
    while todo:
        folder, depth = todo.pop()
        try:
            children = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        except OSError:
            continue  # unreadable: the rest still lists
        for child in children:
            if child.is_symlink() or not child.is_dir():
                continue
            if is_run(child):
                found.append(child)
            elif depth + 1 < max_depth:
                todo.append((child, depth + 1))
    return found


def list_runs(root: str | Path, name: str | None = None) -> list[RunRecord]:
    """The runs under `root`, newest first; `name` keeps those whose name contains it (or
    matches it as a pattern with * and ?)."""
    root = Path(root)
    if not root.is_dir():
        raise RunsError(
            f"{root} is not a folder; give the folder runs are written to (output.runs_dir, "
            "by default runs)"
        )
    records = [read_run(p) for p in find_runs(root)]
    if name:
        records = [r for r in records if _name_matches(r.name, name)]
    return sorted(records, key=lambda r: r.started or 0.0, reverse=True)


def _name_matches(name: str, wanted: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(name, wanted) if any(c in wanted for c in "*?[") else wanted in name


def read_run(folder: str | Path) -> RunRecord:
    """Everything `gradcli runs` shows about one run folder. Never raises for a damaged file;
    RunsError for a folder that is not a run."""
    folder = Path(folder)
    if not is_run(folder):
        raise RunsError(
            f"{folder} is not a run folder (no config.yaml and metrics.csv); "
            "give a folder that `gradcli runs` lists"
        )
    notices: list[str] = []
    marker = json_file(folder / MARKER, notices)
    summary = json_file(folder / "summary.json", notices)
    config = config_file(folder / "config.yaml", notices)
    rows = metrics_file(folder / "metrics.csv", notices)
    checkpoint = checkpoint_meta(folder / "checkpoints" / "last.safetensors", notices)
    epoch_rows = [r for r in rows if r.get("kind") == "epoch"]
    # a run resumed in place with more epochs keeps its first config.yaml: its checkpoint's
    # config is the one it trains by
    train = _dict(_dict(checkpoint.get("config")).get("train")) or _dict(config.get("train"))
    record = RunRecord(
        folder=folder,
        name=_first_str(config.get("name"), marker.get("name"), summary.get("name")) or folder.name,
        started=_started(folder, marker),
        epochs=max((r["epoch"] for r in epoch_rows), default=None),
        planned_epochs=_int(train.get("epochs")) if train.get("steps") is None else None,
        steps=max((r["step"] for r in rows), default=None),
        planned_steps=_int(train.get("steps")),
        wall_s=max((r["elapsed_s"] for r in rows if r.get("elapsed_s") is not None), default=None),
        device=_first_str(summary.get("device"), config.get("device")),
        final=epoch_rows[-1] if epoch_rows else {},
        notices=notices,
        config=config,
    )
    _best(record, epoch_rows, _dict(train.get("checkpoint")))
    record.status, record.detail = _status(folder, record, marker, summary, checkpoint)
    if record.status == "finished" and summary:  # its summary covers the whole run
        record.epochs = _int(summary.get("epochs"), record.epochs)
        record.steps = _int(summary.get("steps"), record.steps)
        record.wall_s = _float(summary.get("wall_time_s"), record.wall_s)
    return record


# ---- status --------------------------------------------------------------------------------


def _status(folder, record: RunRecord, marker: dict, summary: dict, checkpoint: dict):
    """(status, detail): see the module's docstring."""
    holder = _lock_holder(folder)
    if holder:
        return "running", f"trained by {holder}"
    last, stale = record.steps, ""
    said, steps = summary.get("status"), _int(summary.get("steps"))
    if steps is not None and (last is None or steps >= last):  # it covers the whole run
        if said == "failed":
            return said, _first_str(summary.get("error")) or ""
        if said == "interrupted":
            ck = _int(_dict(checkpoint.get("state")).get("step"))
            return said, "" if ck is None else f"resumable from step {ck}"
        pruned = _dict(_dict(summary.get("sweep")).get("pruned"))
        if pruned:
            return "finished", f"pruned by its sweep at epoch {pruned.get('epoch', '?')}"
        return "finished", "stopped early" if summary.get("stopped_early") is True else ""
    if steps is not None:
        stale = f"summary.json is from step {steps}, before a resume; "
    if holder == "":
        return "failed", stale + "killed: its process ended without releasing the run folder"
    state = _dict(checkpoint.get("state"))
    ck = _int(state.get("step"))
    if ck is not None and last is not None and ck < last:
        return "failed", stale + f"trained to step {last}, past its last checkpoint (step {ck})"
    if state.get("stopped_early") is True or _planned_done(record, ck):
        return "finished", stale + "no summary.json"
    if ck is not None:
        return "interrupted", stale + f"resumable from step {ck}"
    if marker and not (folder / "checkpoints" / "last.safetensors").exists():
        # this version writes a checkpoint whenever a signal stops a run
        return "failed", stale + "no checkpoint was written"
    return None, stale + "no summary.json or readable checkpoint to tell its status by"


def _planned_done(record: RunRecord, checkpoint_step: int | None) -> bool:
    done_steps = max(record.steps or 0, checkpoint_step or 0)
    if record.planned_steps is not None:
        return done_steps >= record.planned_steps
    return None not in (record.epochs, record.planned_epochs) and (
        record.epochs >= record.planned_epochs
    )


def _lock_holder(folder: Path) -> str | None:
    """Who trains into `folder` now; None when nobody, "" when an owner file was left behind
    by a process that no longer holds the lock."""
    owner_file = folder / _OWNER
    if not owner_file.is_file():
        return None
    lock = FileLock(str(folder / _LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        owner = json_file(owner_file, [])
        pid, host = owner.get("pid"), owner.get("host")
        return f"process {pid} on {host}" if pid and host else "another process"
    except OSError:
        return None  # a read-only copy: nothing can train into it
    lock.release()
    return ""


# ---- small readers -------------------------------------------------------------------------


def _best(record: RunRecord, epoch_rows: list[dict], policy: dict) -> None:
    """The best epoch by the metric the run judged epochs by (checkpoint.best_metric, else
    val_loss; the train_ metric of the same kind stands in where nothing was validated)."""
    metric = _first_str(policy.get("best_metric")) or "val_loss"
    if not any(_finite(r.get(metric)) for r in epoch_rows):
        metric = metric.replace("val_", "train_", 1)
    scored = [(r[metric], r["epoch"]) for r in epoch_rows if _finite(r.get(metric))]
    if not scored:
        return
    mode = policy.get("mode") or ("max" if "accuracy" in metric else "min")
    value, epoch = (max if mode == "max" else min)(scored, key=lambda s: s[0])
    record.best_metric, record.best_value, record.best_epoch = metric, value, epoch


def _started(folder: Path, marker: dict) -> float | None:
    created = _float(marker.get("created"))
    if created is not None:
        return created
    stamp = _STAMP.fullmatch(folder.name)
    if stamp:
        try:
            return time.mktime(time.strptime(stamp.group(1), "%Y%m%d-%H%M%S"))
        except (ValueError, OverflowError):
            pass
    try:  # written once, when the run started
        return (folder / "config.yaml").stat().st_mtime
    except OSError:
        return None


def _dict(x) -> dict:
    return x if isinstance(x, dict) else {}


def _first_str(*values) -> str | None:
    return next((v for v in values if isinstance(v, str) and v), None)


def _int(x, default=None) -> int | None:
    return x if isinstance(x, int) and not isinstance(x, bool) else default


def _float(x, default=None) -> float | None:
    return float(x) if _finite(x) else default


def _finite(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
