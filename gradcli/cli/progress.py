"""Live training display: a rich progress bar on a terminal, steady plain lines otherwise."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gradcli.backend import memory_info
from gradcli.train.state import Callback, StepInfo


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f}%"


def _num(v):
    return "-" if v is None else f"{v:.4f}"


def gpu_memory(trainer) -> str:
    """` gpu 1.23 GiB` (memory the pool hands out) when training on a GPU, else ``."""
    info = memory_info(trainer.device) if trainer.device is not None else None
    return f" gpu {info['used'] / 1024**3:.2f} GiB" if info else ""


def epoch_line(row: dict, total_epochs: int) -> str:
    text = f"epoch {row['epoch']}/{total_epochs}  train loss {_num(row['train_loss'])}"
    if row.get("train_accuracy") is not None:
        text += f" acc {_pct(row['train_accuracy'])}"
    if row.get("val_loss") is not None:
        text += f"  val loss {_num(row['val_loss'])}"
    if row.get("val_accuracy") is not None:
        text += f" acc {_pct(row['val_accuracy'])}"
    return text + f"  lr {row['lr']:.3g}  {row['samples_per_s']:.0f} samples/s"


class Header(Callback):
    def __init__(self, console: Console):
        self.console = console

    def on_train_start(self, trainer):
        params = sum(p.numel() for p in trainer.model.parameters())
        c = trainer.config
        self.console.print(
            f"[bold]{c.name}[/bold]  device {trainer.device}  {params:,} parameters  "
            f"{len(trainer.train_loader.dataset):,} training samples  -> {trainer.run_dir}"
        )

    def on_train_end(self, trainer, summary):
        best = summary["best"]
        line = f"done in {summary['wall_time_s']:.1f} s"
        if best["value"] is not None:
            line += (
                f"; best {best['metric'] or 'val_loss'} {best['value']:.4f} (epoch {best['epoch']})"
            )
        if summary["stopped_early"]:
            line += "; stopped early"
        self.console.print(line)


class RichDisplay(Header):
    """A bar per epoch with running loss, accuracy, lr, samples/s and ETA."""

    def __init__(self, console: Console):
        super().__init__(console)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"), TimeRemainingColumn(), console=console,
            transient=True,
        )  # fmt: skip
        self.task = None

    def on_epoch_start(self, trainer, epoch, batches):
        self.progress.start()
        self.task = self.progress.add_task(
            f"epoch {epoch + 1}/{trainer.total_epochs}", total=batches, stats="",
            completed=trainer.state.batch,
        )  # fmt: skip

    def on_step(self, trainer, info: StepInfo):
        stats = f"loss {info.loss:.4f} acc {_pct(info.accuracy)} lr {info.lr:.3g} "
        stats += f"{info.samples_per_s:.0f}/s{gpu_memory(trainer)}"
        self.progress.update(self.task, completed=info.batch, stats=stats)

    def on_epoch_end(self, trainer, row):
        self.progress.remove_task(self.task)
        self.progress.stop()
        self.console.print(epoch_line(row, trainer.total_epochs))

    def on_train_end(self, trainer, summary):
        self.progress.stop()
        super().on_train_end(trainer, summary)

    def close(self):
        self.progress.stop()


class PlainDisplay(Header):
    """No control characters: a line every `interval` seconds and one per epoch."""

    def __init__(self, console: Console, interval: float = 10.0):
        super().__init__(console)
        self.interval = interval
        self.last = time.monotonic()

    def on_step(self, trainer, info: StepInfo):
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self.console.print(
                f"epoch {info.epoch + 1} step {info.step} ({info.batch}/{info.batches})  "
                f"loss {info.loss:.4f} acc {_pct(info.accuracy)} lr {info.lr:.3g}  "
                f"{info.samples_per_s:.0f} samples/s{gpu_memory(trainer)}"
            )

    def on_epoch_end(self, trainer, row):
        self.console.print(epoch_line(row, trainer.total_epochs))


class Quiet(Callback):
    pass
