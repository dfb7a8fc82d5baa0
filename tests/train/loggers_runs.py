"""Cheap runs for the logger tests: a finished one, and one that crashes and is resumed."""

import csv

from test_trainer import config

from gradcli.train import session
from gradcli.train.state import Callback

# 300 training samples in batches of 50: 6 steps an epoch, 18 in all, a row every 2 steps
LOGGED = {"train.epochs": 3, "train.grad_clip": "{max_norm: 1.0}"}
# checkpoints only every 6 steps (no epoch checkpoints): the one a crash at step 9 leaves is
# at step 6, after epoch 1's last step and before its end, which the resumed run does again
CRASHY = {**LOGGED, "train.checkpoint": "{every_epochs: 0, every_steps: 6}"}


class Crash(Callback):
    """A crash (not a signal: nothing is saved) after step `at`."""

    def __init__(self, at: int):
        self.at = at

    def on_step_end(self, trainer):
        if trainer.state.step == self.at:
            raise RuntimeError("crash")


def train(run_dir, **overrides):
    session.start(config(**overrides), run_dir=run_dir).fit()


def crash_and_resume(run_dir, **overrides) -> None:
    """Train, crash at step 9, resume in place to the end."""
    crash(run_dir, **overrides)
    session.resume(run_dir).fit()


def crash(run_dir, **overrides) -> None:
    run = session.start(config(**{**CRASHY, **overrides}), run_dir=run_dir)
    run.trainer.callbacks.append(Crash(9))
    try:
        run.fit()
    except RuntimeError as e:
        assert str(e) == "crash"
    else:
        raise AssertionError("the run did not crash")


def csv_series(run_dir) -> dict[str, list[tuple[int, float]]]:
    """metrics.csv as `kind/column: [(step, value)]`, the loggers' names for its columns."""
    out: dict[str, list] = {}
    for row in csv.DictReader(open(run_dir / "metrics.csv", encoding="utf-8")):
        for key, value in row.items():
            if key not in ("kind", "epoch", "step", "elapsed_s") and value != "":
                out.setdefault(f"{row['kind']}/{key}", []).append((int(row["step"]), float(value)))
    return out
