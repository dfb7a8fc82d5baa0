"""What a run carries between steps and across a resume, and the hooks a display uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gradcli.errors import GradcliError


class TrainingInterrupted(GradcliError):
    """Ctrl-C: the current step finished and a checkpoint was written."""

    def __init__(self, checkpoint: Path):
        super().__init__(f"interrupted; checkpoint written to {checkpoint}")
        self.checkpoint = checkpoint


class NonFiniteError(GradcliError):
    """The loss or a gradient stopped being finite."""


@dataclass
class RunState:
    """Everything besides weights, optimizer and RNGs that a resumed run needs to continue."""

    epoch: int = 0  # completed epochs
    step: int = 0  # completed optimizer steps
    batch: int = 0  # batches done in the current epoch
    epoch_loss: float = 0.0
    epoch_correct: int = 0
    epoch_seen: int = 0
    interval_loss: float = 0.0
    interval_steps: int = 0
    best: float | None = None
    best_epoch: int | None = None
    bad_epochs: int = 0
    es_best: float | None = None
    stopped_early: bool = False
    elapsed: float = 0.0
    history: list = field(default_factory=list)


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
    """Hooks for display; every method is optional."""

    def on_train_start(self, trainer): ...
    def on_epoch_start(self, trainer, epoch: int, batches: int): ...
    def on_step(self, trainer, info: StepInfo): ...
    def on_epoch_end(self, trainer, row: dict): ...
    def on_train_end(self, trainer, summary: dict): ...
    def close(self): ...  # the run ended, finished or not: release the terminal
