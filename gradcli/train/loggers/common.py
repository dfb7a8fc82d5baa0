"""What the loggers share: the scalars of a metrics row, and the error of a missing extra."""

from __future__ import annotations

import importlib

from gradcli.errors import ConfigError, GradcliError

# metrics.csv columns that place a row rather than measure something (elapsed_s: the
# dashboards keep their own wall time)
_PLACE = ("kind", "epoch", "step", "elapsed_s")


class LoggerError(GradcliError):
    """A logger's backend refused to start or to take what the run logged."""


def scalars(row: dict) -> dict[str, float]:
    """`kind/column: value` of a metrics row, as the loop fires it or as metrics.csv holds it
    (text, '' for absent): `step/train_loss`, `epoch/val_accuracy`, ..."""
    kind = row["kind"]
    return {
        f"{kind}/{key}": float(value)
        for key, value in row.items()
        if key not in _PLACE and value is not None and value != ""
    }


def require(config, logger: str, module: str, extra: str):
    """Import a logger's backend, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        where = config.where("output", "loggers")
        raise ConfigError(
            f"{where}: output.loggers: {logger} needs the {extra} extra: "
            f"pip install 'gradcli[{extra}]'"
        ) from None
