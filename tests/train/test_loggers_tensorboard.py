"""output.loggers: tensorboard, read back with TensorBoard's own event reader."""

import sys

import pytest
from loggers_runs import LOGGED, crash_and_resume, csv_series, train
from test_trainer import config

from gradcli.errors import ConfigError
from gradcli.train import session

pytest.importorskip("tensorboardX", reason="needs the tensorboard extra")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator", reason="needs the tensorboard extra"
)
TB = {"output.loggers": "[csv, tensorboard]"}


def read(run_dir):
    acc = event_accumulator.EventAccumulator(
        str(run_dir / "tensorboard"), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0}
    )
    acc.Reload()
    return acc


def assert_same_as_csv(run_dir, acc):
    expected = csv_series(run_dir)
    assert set(acc.Tags()["scalars"]) == set(expected)
    for tag, points in expected.items():
        events = acc.Scalars(tag)
        assert [e.step for e in events] == [s for s, _ in points], tag
        # TensorBoard keeps float32
        assert [e.value for e in events] == pytest.approx([v for _, v in points], rel=1e-6), tag


def test_scalars_are_metrics_csv_and_the_config_is_text(tmp_path):
    train(tmp_path, **LOGGED, **TB)
    acc = read(tmp_path)
    assert_same_as_csv(tmp_path, acc)
    assert {"step/train_loss", "step/grad_norm", "step/lr", "step/samples_per_s",
            "epoch/val_accuracy", "epoch/train_accuracy"} <= set(acc.Tags()["scalars"])  # fmt: skip
    assert [e.step for e in acc.Scalars("epoch/val_loss")] == [6, 12, 18]
    text = acc.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert text.startswith("```yaml\nname: t\n") and "loggers:\n  - csv\n  - tensorboard" in text
    assert acc.Tags()["histograms"] == []  # off by default


def test_histograms_of_every_weight_each_epoch(tmp_path):
    train(tmp_path, **LOGGED, **TB, **{"output.tensorboard": "{histograms: true}"})
    histograms = read(tmp_path).Histograms
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        events = histograms(f"weights/{name}")
        assert [e.step for e in events] == [6, 12, 18]
    assert events[-1].histogram_value.num == 3  # 2.bias: 3 outputs


def test_a_resumed_run_has_each_point_once(tmp_path):
    crash_and_resume(tmp_path, **TB, **{"output.tensorboard": "{histograms: true}"})
    assert len(list((tmp_path / "tensorboard").iterdir())) == 2  # one event file per process
    acc = read(tmp_path)
    assert_same_as_csv(tmp_path, acc)  # equal steps: none twice, none lost
    assert [e.step for e in acc.Scalars("step/train_loss")] == list(range(2, 19, 2))
    assert [e.step for e in acc.Histograms("weights/0.weight")] == [6, 12, 18]


def test_an_uninterrupted_run_and_a_resumed_one_log_the_same(tmp_path):
    train(tmp_path / "a", **LOGGED, **TB, **{"train.checkpoint": "{every_epochs: 0}"})
    crash_and_resume(tmp_path / "b", **TB)
    a, b = read(tmp_path / "a"), read(tmp_path / "b")
    for tag in ("step/train_loss", "epoch/val_loss", "epoch/train_accuracy"):
        assert [(e.step, e.value) for e in a.Scalars(tag)] == [
            (e.step, e.value) for e in b.Scalars(tag)
        ], tag


def test_missing_extra_is_one_line_before_any_folder(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ConfigError) as e:
        session.start(config(**TB), run_dir=tmp_path / "run")
    assert str(e.value) == (
        "--set output.loggers=[csv, tensorboard]: output.loggers: tensorboard needs the "
        "tensorboard extra: pip install 'gradcli[tensorboard]'"
    )
    assert not (tmp_path / "run").exists()


def test_turned_on_at_a_resume_it_starts_with_the_run_so_far(tmp_path):
    train(tmp_path, **LOGGED)
    session.resume(tmp_path, ["train.epochs=4", "output.loggers=[csv, tensorboard]"]).fit()
    acc = read(tmp_path)
    assert_same_as_csv(tmp_path, acc)
    assert [e.step for e in acc.Scalars("epoch/val_loss")] == [6, 12, 18, 24]
