"""Loggers chosen by `output.loggers`: each is a run output (a callback, see `callbacks.py`).

    output:
      loggers: [csv, tensorboard, mlflow]   # csv: metrics.csv, which every run writes

A backend's package is imported only when a config asks for it; importing this package
registers the loggers as run outputs (after metrics.csv, checkpoints and curves, so a logger
that uploads them finds them written).
"""

from __future__ import annotations

from gradcli.train.loggers.mlflow_logger import MLflowLogger
from gradcli.train.loggers.tensorboard_logger import TensorBoardLogger

_BACKENDS = {"tensorboard": TensorBoardLogger, "mlflow": MLflowLogger}


def check_loggers(config) -> None:
    """Raise the one-line ConfigError of a configured logger whose package is missing; called
    before data is loaded or a run folder is made."""
    for name in config.output.loggers:
        if name in _BACKENDS:
            _BACKENDS[name].require(config)
