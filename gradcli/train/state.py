"""What a run carries between steps and across a resume, and the events its callbacks hear."""

from __future__ import annotations

import dataclasses
import signal
from dataclasses import dataclass, field
from pathlib import Path

from gradcli.errors import GradcliError


class TrainingInterrupted(GradcliError):
    """Ctrl-C, SIGTERM or SIGHUP: the current step finished and a checkpoint was written."""

    collective = True  # with several ranks, they all stop at the same step

    def __init__(self, signum: int, epoch: int, step: int, checkpoint: Path | None):
        saved = f"; checkpoint written to {checkpoint}" if checkpoint else ""
        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name} in epoch {epoch} at step {step}{saved}")
        self.signum, self.checkpoint = signum, checkpoint

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for Ctrl-C, 143 for SIGTERM


class NonFiniteError(GradcliError):
    """The loss, a gradient or the weights stopped being finite."""


@dataclass
class RunState:
    """Where training is, and the running sums a resumed run continues.

    The position in the data is `step` alone: every epoch has the same number of batches, so
    the batch within the epoch is derived (`batch_in_epoch`). `epoch` counts epochs whose end
    (validation, schedule, epoch row, checkpoint) is done; after the last step of an epoch and
    before its end, `batch_in_epoch` equals the number of batches, and a resumed run does the
    end first instead of training an extra epoch.
    """

    epoch: int = 0  # epochs whose end-of-epoch work is done
    step: int = 0  # optimizer steps done
    epoch_loss: float = 0.0
    epoch_correct: int = 0
    epoch_seen: int = 0
    interval_loss: float = 0.0
    interval_steps: int = 0
    stopped_early: bool = False
    elapsed: float = 0.0
    samples: int = 0  # training samples seen over the whole run
    history: list = field(default_factory=list)

    def batch_in_epoch(self, batches: int) -> int:
        return self.step - self.epoch * batches

    @classmethod
    def from_dict(cls, saved: dict) -> RunState:
        """Checkpoints of earlier versions hold more keys (`batch`, best-metric state): the
        position is derived from `step`, and callbacks restore their own state."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in known})


class Window:
    """Loss and accuracy sums kept on the device between reads, so a GPU step never waits."""

    def __init__(self):
        self.loss = self.weighted = self.correct = None
        self.steps = self.samples = 0

    def add(self, loss, correct, n: int) -> None:
        self.loss = loss if self.loss is None else self.loss + loss
        self.weighted = loss * n if self.weighted is None else self.weighted + loss * n
        if correct is not None:
            self.correct = correct if self.correct is None else self.correct + correct
        self.steps += 1
        self.samples += n

    def read(self) -> tuple[float, float, int, int, int]:
        out = (
            float(self.loss), float(self.weighted),
            int(self.correct) if self.correct is not None else 0, self.steps, self.samples,
        )  # fmt: skip
        self.__init__()
        return out


@dataclass
class StepInfo:
    epoch: int
    step: int
    batch: int
    batches: int
    loss: float
    accuracy: float | None
    lr: float
    samples_per_s: float


class Callback:
    """A listener of the training loop (display, metrics file, checkpoints, ...).

    Every method is optional. Callbacks run in list order; a callback whose decisions must
    survive a resume returns them from `state_dict` (saved in every checkpoint under its
    `name`) and takes them back in `load_state_dict`.
    """

    name: str | None = None  # the key of its state in checkpoints; None: it keeps no state
    order: int = 0  # run outputs hear events by `order`, then in registration order

    def on_train_start(self, trainer): ...
    def on_epoch_start(self, trainer, epoch: int, batches: int): ...
    def on_step_end(self, trainer): ...  # after every optimizer step
    def on_step(self, trainer, info: StepInfo): ...  # at every read-back (each step on the CPU)
    def on_log(self, trainer, row: dict): ...  # every train.log_every_steps steps
    def on_validation_end(self, trainer, metrics: dict): ...
    def on_epoch_end(self, trainer, row: dict): ...
    def on_interrupt(self, trainer, signum: int): ...
    def on_train_end(self, trainer, summary: dict): ...
    def on_train_failed(self, trainer, error: Exception): ...  # then the error goes on up
    def close(self): ...  # the run ended, finished or not: release files and the terminal

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None: ...
