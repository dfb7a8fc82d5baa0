"""The training display, driven with a stand-in trainer: running epoch averages, the run's
elapsed time and ETA, plain lines that fit 80 columns, names printed as written."""

import io
from types import SimpleNamespace

import pytest
from rich.console import Console

from gradcli.cli import progress
from gradcli.cli.progress import PlainDisplay, RichDisplay, duration, epoch_line
from gradcli.train.state import RunState, StepInfo


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(progress.time, "monotonic", fake)
    return fake


def make_trainer(name="small", epochs=10, batches=100, **state):
    return SimpleNamespace(
        config=SimpleNamespace(name=name),
        state=RunState(**state),
        total_epochs=epochs,
        total_steps=epochs * batches,
        device=None,
        model=SimpleNamespace(parameters=lambda: []),
        train_loader=SimpleNamespace(dataset=range(3200)),
        run_dir="runs/small/2026-11-30_12-00-00",
    )


def console():
    return Console(file=io.StringIO(), width=200, highlight=False, soft_wrap=True)


def printed(display) -> str:
    # a Progress stopped on a console that is not a terminal adds an empty line; the display
    # uses it on terminals only
    return "\n".join(line for line in display.console.file.getvalue().splitlines() if line)


def test_duration():
    assert [duration(s) for s in (0, 59.9, 61, 3599, 3725, 36000)] == [
        "0:00", "0:59", "1:01", "59:59", "1:02:05", "10:00:00"
    ]  # fmt: skip


def test_losses_keep_their_digits_at_any_scale():
    row = dict(epoch=1, train_loss=34644200.0, val_loss=0.0001234, lr=1e-06)
    assert epoch_line(row, 500) == "epoch 1/500  loss 3.46e+07  val loss 0.000123  lr 1e-06"


def test_longest_realistic_epoch_line_fits_80_columns():
    row = dict(epoch=100, train_loss=0.00123, train_accuracy=0.9999, val_loss=0.0702,
               val_accuracy=1.0, lr=0.000335, samples_per_s=123456.7)  # fmt: skip
    line = epoch_line(row, 100)
    assert line == (
        "epoch 100/100  loss 0.00123 acc 99.99%  val loss 0.0702 acc 100.00%  lr 0.000335"
    )
    assert len(line) <= 80


def test_plain_line_shows_epoch_averages_elapsed_and_eta(clock):
    # a resumed run: 50 s and 100 steps before this process; 300 of 1000 steps done now
    trainer = make_trainer(step=100, elapsed=50.0)
    display = PlainDisplay(console(), interval=0.0)
    display.on_train_start(trainer)
    clock.now += 60.0
    trainer.state.step, trainer.state.epoch = 300, 2
    trainer.state.epoch_loss, trainer.state.epoch_seen = 0.5 * 3200, 3200  # mean 0.5 so far
    # the last logged window's loss (2.0) is not the epoch's
    display.on_step(trainer, StepInfo(2, 300, 100, 100, 2.0, 0.875, 0.05, 12345.6))
    line = printed(display).splitlines()[-1]
    assert line == "epoch 3/10 (100/100)  loss 0.5000 acc 87.50%  12346/s  1:50 eta 3:30"
    assert len(line.replace("3/10 (100/100)", "100/100 (9999/9999)")) <= 80


def test_no_eta_before_the_first_step_or_after_the_last(clock):
    trainer = make_trainer()
    display = PlainDisplay(console())
    display.on_train_start(trainer)
    assert display.clock.text(trainer) == "0:00"
    clock.now += 5
    trainer.state.step = trainer.total_steps
    assert display.clock.text(trainer) == "0:05"


def test_rich_bar_shows_running_averages_and_names_as_written(clock):
    trainer = make_trainer(name="exp[v2]", epochs=2, batches=4)
    trainer.run_dir = "runs/[red]x"
    display = RichDisplay(console())
    display.on_train_start(trainer)
    display.on_epoch_start(trainer, 0, 4)
    clock.now += 2.0
    trainer.state.step, trainer.state.epoch_loss, trainer.state.epoch_seen = 2, 1.5 * 64, 64
    display.on_step(trainer, StepInfo(0, 2, 2, 4, 9.0, 0.5, 0.1, 32.0))
    stats = display.progress.tasks[0].fields["stats"]
    assert stats == "loss 1.5000 acc 50.00% lr 0.1 32/s  0:02 eta 0:06"
    display.on_epoch_end(trainer, dict(epoch=1, train_loss=1.2, train_accuracy=0.5, lr=0.1))
    display.close()
    out = printed(display)
    assert "exp[v2]" in out and "runs/[red]x" in out
    assert "epoch 1/2  loss 1.2000 acc 50.00%  lr 0.1" in out


def test_an_epoch_ended_without_steps_after_a_resume_is_shown(clock):
    trainer = make_trainer(epochs=2, batches=4, step=4)
    display = RichDisplay(console())
    display.on_train_start(trainer)
    display.on_epoch_end(trainer, dict(epoch=1, train_loss=1.2, lr=0.1))
    display.on_train_end(trainer, dict(wall_time_s=75.0, stopped_early=False))
    assert printed(display).splitlines()[-2:] == ["epoch 1/2  loss 1.2000  lr 0.1", "done in 1:15"]
