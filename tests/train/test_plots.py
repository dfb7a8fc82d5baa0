"""curves.png: only panels with data, an epoch axis for accuracy, no matplotlib warnings, and
no matplotlib import until a figure is drawn."""

import subprocess
import sys
import warnings

import pytest

from gradcli.train.metrics import MetricsLog
from gradcli.train.plots import draw_curves


def write_metrics(path, epochs=3, steps_per_epoch=4, log=True, accuracy=True, val=True):
    log_file = MetricsLog(path)
    step = 0
    for epoch in range(1, epochs + 1):
        for _ in range(steps_per_epoch):
            step += 1
            if log:
                log_file.write(kind="step", epoch=epoch, step=step, train_loss=1.0 / step, lr=0.1)
        row = dict(kind="epoch", epoch=epoch, step=step, train_loss=1.0 / epoch, lr=0.1)
        if val:
            row["val_loss"] = 1.2 / epoch
        if accuracy:
            row["train_accuracy"] = 0.5 + epoch / 10
            if val:
                row["val_accuracy"] = 0.4 + epoch / 10
        log_file.write(**row)
    log_file.close()
    return path


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Draw curves.png from a metrics file; returns the figure that was saved."""
    from matplotlib.figure import Figure

    figures = []
    real_savefig = Figure.savefig

    def capture(self, *args, **kwargs):
        figures.append(self)
        return real_savefig(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", capture)

    def draw(**kwargs):
        csv = write_metrics(tmp_path / "metrics.csv", **kwargs)
        png = tmp_path / "curves.png"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "No artists with labels found..." fails the test
            draw_curves(csv, png)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not list(tmp_path.glob("*.tmp*"))
        (figure,) = figures
        return figure

    return draw


def test_classification_has_loss_per_step_and_accuracy_per_epoch(drawn):
    loss, acc = drawn().axes
    assert loss.get_xlabel() == "step" and acc.get_xlabel() == "epoch"
    assert [line.get_label() for line in acc.get_lines()] == ["train", "validation"]
    assert list(acc.get_lines()[0].get_xdata()) == [1, 2, 3]  # epochs, not steps 4, 8, 12
    assert all(tick == int(tick) for tick in acc.get_xticks())


def test_regression_draws_no_empty_accuracy_panel(drawn):
    (loss,) = drawn(accuracy=False).axes
    assert loss.get_title() == "Loss"
    assert loss.get_legend() is not None


def test_fewer_steps_than_logged_still_draw_the_training_loss_without_warnings(drawn):
    (loss,) = drawn(log=False, accuracy=False, val=False).axes
    assert [line.get_label() for line in loss.get_lines()] == ["train"]


def test_no_rows_draws_nothing(tmp_path):
    csv = MetricsLog(tmp_path / "metrics.csv")
    csv.close()
    draw_curves(tmp_path / "metrics.csv", tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()


def test_matplotlib_is_imported_only_to_draw():
    code = (
        "import sys, gradcli.cli.app, gradcli.train.plots\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
