"""What each logger (output.loggers) adds to a training run, on a small conv net.

    python -m benchmarks.loggers_overhead --rounds 7 --log-every 1

Each round trains the same short run (3 epochs of 200 steps) once per contender (csv alone,
+tensorboard, +mlflow, all three) in an order that rotates from round to round (the machine's
speed drifts; see timing.py). Two measures, as median and min-max over rounds:

- the loggers' own time, from their event methods timed in the run: microseconds per logged
  step (on_log), milliseconds per epoch end (flushes, MLflow's batch, histograms), seconds
  at the start (the MLflow run, its params) and the end (uploads, status);
- ms per training step from the first step row of metrics.csv to the last, and its ratio to
  csv alone within the round: the whole cost, but as noisy as the machine.

MLflow writes to a SQLite store in a temporary folder (the default local store's kind).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

from gradcli.backend import keep_freed_memory
from gradcli.config.load import Source, load_data
from gradcli.train import session
from gradcli.train.loggers import MLflowLogger, TensorBoardLogger

CONFIG = """
name: bench
seed: 3
data: {dataset: shapes, options: {n_samples: 8000}, transforms: [scale], batch_size: 32,
       val_split: 0.2}
model:
  input_shape: [1, 28, 28]
  layers: [{conv2d: {out_channels: 4, kernel_size: 3, padding: 1}}, relu, {maxpool2d: 2},
           flatten, {linear: 10}]
optimizer: {type: sgd, lr: 0.05, momentum: 0.9}
train: {epochs: 3, checkpoint: {every_epochs: 1, best_metric: val_loss}}
"""
CONTENDERS = {
    "csv": "[csv]",
    "tensorboard": "[csv, tensorboard]",
    "mlflow": "[csv, mlflow]",
    "all": "[csv, tensorboard, mlflow]",
}
EVENTS = ("on_train_start", "on_log", "on_epoch_end", "on_train_end", "close")


def _timed(cb, spent: dict) -> None:
    """Time a callback's events into `spent` (instance attributes shadow its methods)."""
    for event in EVENTS:
        method = getattr(cb, event)

        def timed(*args, _method=method, _event=event):
            started = time.perf_counter()
            _method(*args)
            spent[_event] += time.perf_counter() - started

        setattr(cb, event, timed)


def one_run(folder: Path, loggers: str, log_every: int) -> dict:
    overrides = [f"output.loggers={loggers}", f"train.log_every_steps={log_every}"]
    config = load_data(yaml.safe_load(CONFIG), Source("bench", {}), overrides)
    run = session.start(config, run_dir=folder)
    spent: dict = defaultdict(float)
    for cb in run.trainer.callbacks:
        if isinstance(cb, TensorBoardLogger | MLflowLogger):
            _timed(cb, spent)
    run.fit()
    rows = list(csv.DictReader(open(folder / "metrics.csv")))
    steps = [r for r in rows if r["kind"] == "step"]
    epochs = sum(r["kind"] == "epoch" for r in rows)
    first, last = steps[0], steps[-1]
    span = int(last["step"]) - int(first["step"])
    return {
        "ms/step": 1000 * (float(last["elapsed_s"]) - float(first["elapsed_s"])) / span,
        "us/log": 1e6 * spent["on_log"] / len(steps),
        "ms/epoch": 1000 * spent["on_epoch_end"] / epochs,
        "start s": spent["on_train_start"],
        "end s": spent["on_train_end"] + spent["close"],
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--log-every", type=int, default=1)
    args = parser.parse_args(argv)
    keep_freed_memory()
    tmp = Path(tempfile.mkdtemp(prefix="gradcli-loggers-"))
    os.environ["MLFLOW_TRACKING_URI"] = uri = f"sqlite:///{tmp / 'mlflow.db'}"
    from mlflow.tracking import MlflowClient  # else MLflow would keep artifacts in ./mlruns

    MlflowClient(uri).create_experiment("bench", (tmp / "artifacts").as_uri())
    names = list(CONTENDERS)
    one_run(tmp / "warmup", CONTENDERS["all"], args.log_every)  # imports, the MLflow database
    results = {n: defaultdict(list) for n in names}
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            measured = one_run(tmp / f"{name}-{r}", CONTENDERS[name], args.log_every)
            for key, value in measured.items():
                results[name][key].append(value)
    for name in names:
        pairs = zip(results[name]["ms/step"], results["csv"]["ms/step"])
        results[name]["x step"] = [a / b for a, b in pairs]
    print(f"log_every_steps={args.log_every}, {args.rounds} rounds: median (min-max)")
    for name in names:
        cells = [f"{key} {statistics.median(v):.3g} ({min(v):.3g}-{max(v):.3g})"
                 for key, v in results[name].items()]  # fmt: skip
        print(f"{name:12s} " + "  ".join(cells))


if __name__ == "__main__":
    main()
