"""output.loggers in the config: names, defaults, one line per mistake."""

import pytest
from test_trainer import config

from gradcli.errors import ConfigError
from gradcli.train.callbacks import run_outputs


def test_csv_is_the_default_and_metrics_csv_is_written_without_it(tmp_path):
    assert config().output.loggers == ["csv"]
    # metrics.csv is always written: resume cuts it back, curves.png and `gradcli runs` read it
    for listed in ("[csv]", "[]"):
        chosen = config(**{"output.loggers": listed})
        names = [type(cb).__name__ for cb in run_outputs(chosen, tmp_path)]
        assert "MetricsCSV" in names and "TensorBoardLogger" not in names


def test_listed_loggers_are_run_outputs_after_the_others(tmp_path):
    pytest.importorskip("tensorboardX", reason="needs the tensorboard extra")
    pytest.importorskip("mlflow", reason="needs the mlflow extra")
    pytest.importorskip("sqlalchemy", reason="mlflow's local store needs sqlalchemy")
    chosen = config(**{"output.loggers": "[tensorboard, mlflow]"})
    names = [type(cb).__name__ for cb in run_outputs(chosen, tmp_path)]
    assert {"MetricsCSV", "TensorBoardLogger", "MLflowLogger"} <= set(names)
    assert names[-1] == "MLflowLogger"  # after summary.json, which it uploads
    assert list(tmp_path.iterdir()) == []  # made for a run, nothing is written before it starts


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[csv, tensorbord]", "Input should be 'csv', 'tensorboard' or 'mlflow'"),
        ("[csv, mlflow, csv]", "csv is listed twice; list each logger once"),
    ],
)
def test_a_wrong_logger_is_one_line(value, message):
    with pytest.raises(ConfigError, match=message):
        config(**{"output.loggers": value})


def test_tensorboard_options_are_checked():
    with pytest.raises(ConfigError, match="unknown key 'histogram'; did you mean 'histograms'"):
        config(**{"output.tensorboard": "{histogram: true}"})
