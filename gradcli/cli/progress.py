"""Live training display: a rich progress bar on a terminal, steady plain lines otherwise.

Both show the epoch's running averages (loss and accuracy over every sample seen so far in the
epoch, not the last logged window) and the whole run's elapsed time and ETA. Plain lines are
for logs and CI: no control characters, and epoch lines that fit in 80 columns.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from gradcli import threads
from gradcli.backend import memory_info
from gradcli.train.state import Callback, StepInfo


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f}%"


def _num(v):
    """A loss: 4 decimals in the usual range, 3 significant digits outside it, so a regression
    loss reads `3.46e+07` or `1.2e-05` rather than `34644200.0000` or `0.0000`."""
    if v is None:
        return "-"
    return f"{v:.4f}" if 0.01 <= abs(v) < 1000 else f"{v:.3g}"


def duration(seconds: float) -> str:
    """`m:ss`, or `h:mm:ss` from an hour on: `duration(3725) == '1:02:05'`."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def gpu_memory(trainer) -> str:
    """` gpu 1.23 GiB` (memory the pool hands out) when training on a GPU, else ``."""
    info = memory_info(trainer.device) if trainer.device is not None else None
    return f" gpu {info['used'] / 1024**3:.2f} GiB" if info else ""


def epoch_line(row: dict, total_epochs: int) -> str:
    """The metrics of a finished epoch; samples/s and times are in metrics.csv and the summary."""
    text = f"epoch {row['epoch']}/{total_epochs}  loss {_num(row['train_loss'])}"
    if row.get("train_accuracy") is not None:
        text += f" acc {_pct(row['train_accuracy'])}"
    if row.get("val_loss") is not None:
        text += f"  val loss {_num(row['val_loss'])}"
    if row.get("val_accuracy") is not None:
        text += f" acc {_pct(row['val_accuracy'])}"
    return text + f"  lr {row['lr']:.3g}"


def running_loss(trainer, info: StepInfo) -> float:
    """The epoch's mean loss so far (weighted by samples), as the accuracy is."""
    st = trainer.state
    return st.epoch_loss / st.epoch_seen if st.epoch_seen else info.loss


class Clock:
    """The whole run's elapsed time (a resumed run counts its earlier part) and its ETA, from
    the pace of the steps done since this process started."""

    def start(self, trainer) -> None:
        self.t0 = time.monotonic()
        self.step0, self.before = trainer.state.step, trainer.state.elapsed

    def text(self, trainer) -> str:
        ran = time.monotonic() - self.t0
        out = duration(self.before + ran)
        done, left = trainer.state.step - self.step0, trainer.total_steps - trainer.state.step
        if done > 0 and left > 0:
            out += f" eta {duration(ran / done * left)}"
        return out


class Header(Callback):
    def __init__(self, console: Console):
        self.console = console
        self.clock = Clock()

    def on_train_start(self, trainer):
        self.clock.start(trainer)
        params = sum(p.numel() for p in trainer.model.parameters())
        c, policy = trainer.config, threads.policy()
        where = str(trainer.device)
        if policy is not None and getattr(trainer.device, "type", "cpu") == "cpu":
            where += f", {policy.describe()}"
        self.console.print(
            f"[bold]{escape(c.name)}[/bold]  device {escape(where)}  "
            f"{params:,} parameters  {len(trainer.train_loader.dataset):,} training samples  "
            f"-> {escape(str(trainer.run_dir))}"
        )

    def on_train_end(self, trainer, summary):
        best = summary.get("best") or {}
        wall = summary["wall_time_s"]
        line = f"done in {wall:.1f} s" if wall < 60 else f"done in {duration(wall)}"
        if best.get("value") is not None:
            line += (
                f"; best {best['metric'] or 'val_loss'} {best['value']:.4f} (epoch {best['epoch']})"
            )
        if summary["stopped_early"]:
            line += "; stopped early"
        self.console.print(line, markup=False)
        test = summary.get("test")
        if test and "error" in test:
            self.console.print(f"test split not evaluated: {test['error']}", markup=False)
        elif test:
            text = f"test split ({test['samples']:,} samples, checkpoint of epoch {test['epoch']}):"
            text += f" loss {_num(test['loss'])}"
            if "accuracy" in test:
                text += f" acc {_pct(test['accuracy'])}"
            self.console.print(text, markup=False)


class RichDisplay(Header):
    """A bar per epoch with the running loss and accuracy, lr, samples/s, elapsed and ETA."""

    def __init__(self, console: Console):
        super().__init__(console)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}", markup=False), console=console, transient=True,
        )  # fmt: skip
        self.task = None

    def on_epoch_start(self, trainer, epoch, batches):
        self.progress.start()
        self.task = self.progress.add_task(
            f"epoch {epoch + 1}/{trainer.total_epochs}", total=batches, stats="",
            completed=trainer.state.batch_in_epoch(batches),
        )  # fmt: skip

    def on_step(self, trainer, info: StepInfo):
        stats = f"loss {_num(running_loss(trainer, info))} acc {_pct(info.accuracy)} "
        stats += f"lr {info.lr:.3g} {info.samples_per_s:.0f}/s{gpu_memory(trainer)}  "
        stats += self.clock.text(trainer)
        self.progress.update(self.task, completed=info.batch, stats=stats)

    def on_epoch_end(self, trainer, row):
        if self.task is not None:  # a resumed run may end an epoch it trained no step of
            self.progress.remove_task(self.task)
            self.task = None
        self.progress.stop()
        self.console.print(epoch_line(row, trainer.total_epochs), markup=False)

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
            self.console.print(step_line(trainer, info, self.clock), markup=False)

    def on_epoch_end(self, trainer, row):
        self.console.print(epoch_line(row, trainer.total_epochs), markup=False)


def step_line(trainer, info: StepInfo, clock: Clock) -> str:
    """Where an epoch is: `epoch 2/6 (32/141)  loss 0.0485 acc 99.27%  3577/s  0:14 eta 0:30`."""
    text = f"epoch {info.epoch + 1}/{trainer.total_epochs} ({info.batch}/{info.batches})  "
    text += f"loss {_num(running_loss(trainer, info))}"
    if info.accuracy is not None:
        text += f" acc {_pct(info.accuracy)}"
    return text + f"  {info.samples_per_s:.0f}/s{gpu_memory(trainer)}  {clock.text(trainer)}"


class Quiet(Callback):
    pass
