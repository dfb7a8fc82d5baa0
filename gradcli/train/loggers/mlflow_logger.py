"""MLflow: one MLflow run per run folder, in the experiment named after the config.

The tracking store is MLflow's own choice when one is set (MLFLOW_TRACKING_URI, or
mlflow.set_tracking_uri in Python), else `mlruns/` next to runs_dir: `mlruns/mlflow.db`
(SQLite) with artifacts in `mlruns/artifacts/`. Params are the flattened config; metrics are
metrics.csv's rows (`step/<column>`, `epoch/<column>`), sent in batches every few seconds and
at each epoch end; a finished run uploads its best checkpoint, curves.png, summary.json and
config.yaml. A run resumed in its folder continues the same MLflow run (its id travels in the
checkpoints).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path

from filelock import FileLock

from gradcli.errors import ConfigError
from gradcli.train.callbacks import OUTPUTS
from gradcli.train.loggers.common import LoggerError, require, scalars
from gradcli.train.metrics import read_rows
from gradcli.train.state import Callback

_SEND_S = 5.0  # metrics wait at most this long between batches (one request each)
_ARTIFACTS = ("curves.png", "summary.json", "config.yaml")


@OUTPUTS.register("mlflow")
class MLflowLogger(Callback):
    name = "mlflow"
    order = 101  # the run ends after summary.json is written (order 100), which it uploads

    def __init__(self, config, run_dir: Path, uri: str, local: Path | None):
        self.config, self.run_dir, self.uri, self.local = config, run_dir, uri, local
        self.client = self.run_id = None
        self.saved: dict = {}  # the MLflow run a checkpoint was logging to
        self.pending: list = []  # metrics not sent yet
        self.sent = 0.0
        self.logged: dict[str, int] = {}  # metric -> last step the MLflow run already holds
        self.interrupted = self.ended = False

    @classmethod
    def require(cls, config):
        mlflow = require(config, "mlflow", "mlflow", "mlflow")
        if not mlflow.is_tracking_uri_set():
            missing = [m for m in ("sqlalchemy", "alembic") if importlib.util.find_spec(m) is None]
            if missing:
                raise ConfigError(
                    f"{config.where('output', 'loggers')}: output.loggers: mlflow's local store "
                    f"(mlruns/mlflow.db) needs {' and '.join(missing)}: pip install "
                    f"{' '.join(missing)}, or set MLFLOW_TRACKING_URI to a tracking server"
                )
        return mlflow

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        if "mlflow" not in config.output.loggers:
            return None
        mlflow = cls.require(config)
        if mlflow.is_tracking_uri_set():
            return cls(config, run_dir, mlflow.get_tracking_uri(), None)
        local = Path(config.output.runs_dir).resolve().parent / "mlruns"
        return cls(config, run_dir, f"sqlite:///{local / 'mlflow.db'}", local)

    # ---- the MLflow run ------------------------------------------------------------------------

    def on_train_start(self, trainer):
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        try:
            if self.local is None:
                self.client = MlflowClient(self.uri)
            else:  # the first client makes the database: one process at a time (a sweep's)
                self.local.mkdir(parents=True, exist_ok=True)
                with FileLock(str(self.local / ".gradcli.lock")):
                    self.client = MlflowClient(self.uri)
            run = self._continued()
            if run is not None:
                self.run_id = run.info.run_id
                self.client.update_run(self.run_id, status="RUNNING")
                self.logged = self._last_steps(run)
            else:
                self.run_id = self._create().info.run_id
                csv = self.run_dir / "metrics.csv"  # a run resumed with mlflow newly on
                for row in read_rows(csv) if csv.is_file() else ():
                    self._add(row)
        except (MlflowException, OSError) as e:
            raise LoggerError(f"mlflow: cannot start a run in {self.uri}: {_first(e)}") from None

    def _continued(self):
        """The MLflow run a checkpoint of this folder logged to, when the store still has it;
        resumed into another folder, a run starts its own (tagged with the one it continues)."""
        from mlflow.exceptions import MlflowException

        run_id = self.saved.get("run_id")
        if not run_id or self.saved.get("run_name") != self.run_dir.name:
            return None
        try:
            return self.client.get_run(run_id)
        except MlflowException:
            return None

    def _create(self):
        from mlflow.entities import Param

        tags = {"gradcli.run_dir": str(self.run_dir.resolve())}
        if self.saved.get("run_id"):
            tags["gradcli.resumed_from"] = str(self.saved["run_id"])
        run = self.client.create_run(self._experiment(), run_name=self.run_dir.name, tags=tags)
        params = [Param(k, v) for k, v in flat_params(self.config.model_dump(mode="json"))]
        for i in range(0, len(params), 100):  # MLflow takes at most 100 params a request
            self.client.log_batch(run.info.run_id, params=params[i : i + 100])
        return run

    def _experiment(self) -> str:
        from mlflow.exceptions import MlflowException

        name = self.config.name
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        where = (self.local / "artifacts").as_uri() if self.local is not None else None
        try:
            return self.client.create_experiment(name, artifact_location=where)
        except MlflowException:  # made meanwhile by another process (a parallel sweep)
            found = self.client.get_experiment_by_name(name)
            if found is None:
                raise
            return found.experiment_id

    def _last_steps(self, run) -> dict[str, int]:
        """What a killed run logged past the checkpoint it resumes from is replayed identically:
        those steps are skipped rather than logged twice."""
        return {
            key: max(m.step for m in self.client.get_metric_history(self.run_id, key))
            for key in run.data.metrics
        }

    # ---- events --------------------------------------------------------------------------------

    def on_log(self, trainer, row):
        self._add(row)
        if time.monotonic() - self.sent >= _SEND_S:
            self._send()

    def on_epoch_end(self, trainer, row):
        self._add(row)
        self._send()

    def on_interrupt(self, trainer, signum):
        self.interrupted = True

    def on_train_end(self, trainer, summary):
        from mlflow.exceptions import MlflowException

        test = {k: v for k, v in (summary.get("test") or {}).items()
                if k not in ("epoch", "samples") and isinstance(v, float)}  # fmt: skip
        self._add({"kind": "test", "step": trainer.state.step, **test})
        self._send()
        self._upload()
        try:
            self.client.set_terminated(self.run_id, "FINISHED")
        except MlflowException as e:
            raise LoggerError(f"mlflow: cannot end the run in {self.uri}: {_first(e)}") from None
        self.ended = True

    def close(self):
        """An unfinished run: send what is left and mark it KILLED (stopped by a signal) or
        FAILED. It never raises: the run folder's lock and display are released after it."""
        if self.run_id is None or self.ended:
            return
        self.ended = True
        stopped = self.interrupted or isinstance(sys.exc_info()[1], KeyboardInterrupt)
        try:
            self._send()
            self.client.set_terminated(self.run_id, "KILLED" if stopped else "FAILED")
        except Exception:  # noqa: BLE001, S110 - metrics.csv holds the metrics; the store is down
            pass

    def state_dict(self):
        return {"run_id": self.run_id, "run_name": self.run_dir.name}

    def load_state_dict(self, state):
        run_id, name = state.get("run_id"), state.get("run_name")
        if isinstance(run_id, str) and isinstance(name, str):
            self.saved = {"run_id": run_id, "run_name": name}

    # ---- sending -------------------------------------------------------------------------------

    def _add(self, row: dict) -> None:
        from mlflow.entities import Metric

        step, now = int(row["step"]), int(time.time() * 1000)
        self.pending += [Metric(k, v, now, step) for k, v in scalars(row).items()
                         if step > self.logged.get(k, -1)]  # fmt: skip

    def _send(self) -> None:
        from mlflow.exceptions import MlflowException

        self.sent, pending, self.pending = time.monotonic(), self.pending, []
        try:
            for i in range(0, len(pending), 1000):  # MLflow takes at most 1000 a request
                self.client.log_batch(self.run_id, metrics=pending[i : i + 1000])
        except MlflowException as e:
            raise LoggerError(f"mlflow: cannot log to {self.uri}: {_first(e)}") from None

    def _upload(self) -> None:
        from mlflow.exceptions import MlflowException

        folder = self.run_dir / "checkpoints"
        best = next((p for p in (folder / "best.safetensors", folder / "last.safetensors")
                     if p.is_file()), None)  # fmt: skip
        try:
            if best is not None:
                self.client.log_artifact(self.run_id, str(best), "checkpoints")
            for name in _ARTIFACTS:
                if (self.run_dir / name).is_file():
                    self.client.log_artifact(self.run_id, str(self.run_dir / name))
        except (MlflowException, OSError) as e:
            raise LoggerError(f"mlflow: cannot upload to {self.uri}: {_first(e)}") from None


def flat_params(config: dict) -> list[tuple[str, str]]:
    """(dotted key, value) of a config, cut to MLflow's limits: `optimizer.lr`,
    `model.layers.0.linear`; a list of plain values is one value."""
    from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_PARAM_VAL_LENGTH

    out: dict[str, str] = {}

    def walk(value, key):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else str(k))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            for i, v in enumerate(value):
                walk(v, f"{key}.{i}")
        else:
            text = value if isinstance(value, str) else json.dumps(value)
            # MLflow keys: letters, digits, _ - . and space (a / would make a path of it)
            out[re.sub(r"[^\w\-. ]", "_", key)[:MAX_ENTITY_KEY_LENGTH]] = text

    walk(config, "")
    return [(k, v[:MAX_PARAM_VAL_LENGTH]) for k, v in out.items()]


def _first(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
