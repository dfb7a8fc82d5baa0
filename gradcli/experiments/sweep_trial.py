"""One trial of a sweep: an ordinary run, with a callback that reports its validation metric to
the study each epoch and stops it, as early stopping would, when the pruner says it is worse
than the trials before it at the same epoch.

The lead process runs trials here in-process (--jobs 1), or starts J workers that each train
the trials whose ids it writes to their stdin:

    python -m gradcli.experiments.sweep_trial SWEEP_FOLDER
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from gradcli.errors import GradcliError
from gradcli.experiments.sweep_store import Sweep, host_attrs, load, optuna
from gradcli.train import session
from gradcli.train.callbacks import Checkpoints
from gradcli.train.state import Callback, TrainingInterrupted

STORAGE_ENV = "GRADCLI_SWEEP_STORAGE"  # a --storage URL for child processes (not in argv)


class Pruning(Callback):
    """Reports the watched metric of every validated epoch to the trial, and stops the run
    when the pruner says so. summary.json records the trial, and whether it was pruned."""

    def __init__(self, trial, metric: str, folder: Path):
        self.trial, self.metric, self.folder = trial, metric, folder
        self.pruned_at = None  # (epoch, value) where the pruner stopped the run

    def _report(self, trainer, row) -> tuple[int, float] | None:
        watched = trainer.watched(self.metric, row)
        if watched is None:
            return None
        self.trial.report(watched[1], step=row["epoch"])
        return row["epoch"], watched[1]

    def on_train_start(self, trainer):
        for row in trainer.state.history:  # a continued run: its epochs before the stop
            self._report(trainer, row)

    def on_epoch_end(self, trainer, row):
        reported = self._report(trainer, row)
        # decided before the checkpoint that saves the decision, as early stopping does
        if reported is not None and self.trial.should_prune():
            trainer.state.stopped_early, self.pruned_at = True, reported

    def on_train_end(self, trainer, summary):
        pruned = None
        if self.pruned_at is not None:
            pruned = {"epoch": self.pruned_at[0], "value": self.pruned_at[1]}
        summary["sweep"] = {"folder": str(self.folder), "trial": self.trial.number,
                            "params": dict(self.trial.params), "metric": self.metric,
                            "pruned": pruned}  # fmt: skip


def _start(sweep: Sweep, trial, display):
    """The trial's run: the stopped run it continues, else a new one in trials/NNNN."""
    folder = sweep.folder / "trials" / f"{trial.number:04d}"
    command = shlex.join(["gradcli", "sweep", "--resume", str(sweep.folder)])
    how = dict(device=sweep.spec.device, data_root=sweep.spec.data_root, display=list(display),
               command=command)  # fmt: skip
    earlier = trial.user_attrs.get("resume_from")
    if earlier:
        try:
            return session.resume(earlier, **how)
        except GradcliError:  # stopped before its first checkpoint: start again
            pass
    return session.start(sweep.config_path, sweep.overrides(trial.params), run_dir=folder, **how)


def run_trial(sweep: Sweep, trial, display=()) -> None:
    """Train one trial and tell the study how it ended. Ctrl-C requeues it and re-raises."""
    states = optuna().trial.TrialState
    host_attrs(trial)
    try:
        run = _start(sweep, trial, display)
    except GradcliError as e:
        fail_trial(sweep, trial, e)
        return
    except KeyboardInterrupt:
        sweep.requeue(trial.number, "interrupted")
        raise
    trial.set_user_attr("run_dir", str(run.folder))
    pruning = Pruning(trial, sweep.spec.metric, sweep.folder)
    callbacks = run.trainer.callbacks
    at = next((i for i, cb in enumerate(callbacks) if isinstance(cb, Checkpoints)), 0)
    callbacks.insert(at, pruning)
    try:
        run.fit()
    except (TrainingInterrupted, KeyboardInterrupt):
        sweep.requeue(trial.number, "interrupted")
        raise
    except GradcliError as e:
        fail_trial(sweep, trial, e)
        return
    trainer = run.trainer
    history = trainer.state.history
    values = [v for v in (trainer.watched(sweep.spec.metric, r) for r in history) if v]
    trial.set_user_attr("epochs", trainer.state.epoch)
    if pruning.pruned_at is not None:
        sweep.study.tell(trial, state=states.PRUNED)
    elif not values:
        fail_trial(sweep, trial, GradcliError(f"no epoch reported {sweep.spec.metric}"))
    else:
        pick = max if sweep.spec.direction == "maximize" else min  # the best epoch
        sweep.study.tell(trial, pick(v[1] for v in values))


def fail_trial(sweep: Sweep, trial, error: Exception) -> None:
    trial.set_user_attr("error", " ".join(str(error).split())[:500])
    sweep.study.tell(trial, state=optuna().trial.TrialState.FAIL)


def worker_main(argv: list[str]) -> int:
    """A worker process (--jobs J): train each trial whose id arrives on stdin, until stdin
    closes. Ctrl-C stops the running trial after its checkpoint (it requeues itself)."""
    import os

    from gradcli import threads

    threads.configure()  # $GRADCLI_THREADS: the lead split the cores between its J workers
    folder = Path(argv[0])
    sweep = load(folder, os.environ.get(STORAGE_ENV) or None)
    try:
        for line in sys.stdin:
            trial = optuna().Trial(sweep.study, int(line))
            try:
                run_trial(sweep, trial)
            except (TrainingInterrupted, KeyboardInterrupt):
                raise
            except Exception as e:  # noqa: BLE001 - a bug: the trial says it, the next one runs
                fail_trial(sweep, trial, e)
                print(f"trial {trial.number}: {type(e).__name__}: {e}", file=sys.stderr)
    except (TrainingInterrupted, KeyboardInterrupt):
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
