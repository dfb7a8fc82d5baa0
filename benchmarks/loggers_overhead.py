"""What each logger (output.loggers) adds to a training step, on a small conv net.

    python -m benchmarks.loggers_overhead --rounds 5 --log-every 1

Each round trains the same short run once per contender (csv alone, +tensorboard, +mlflow,
all three) in an order that rotates from round to round (the machine's speed drifts; see
timing.py). Per contender: ms per step from the first step row of metrics.csv to the last
(the logging, epoch ends and their flushes and batches included; start-up and the uploads at
the end not), and the whole fit() (the MLflow run's creation and uploads included). Ratios
to csv alone are taken within a round; prints their median and min-max. MLflow writes to a
SQLite store in a temporary folder (the default local store's kind).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from gradcli.backend import keep_freed_memory
from gradcli.config.load import Source, load_data
from gradcli.train import session

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
train: {epochs: 3, checkpoint: {every_epochs: 1, best_metric: null}}
"""
CONTENDERS = {
    "csv": "[csv]",
    "tensorboard": "[csv, tensorboard]",
    "mlflow": "[csv, mlflow]",
    "all": "[csv, tensorboard, mlflow]",
}


def one_run(folder: Path, loggers: str, log_every: int) -> tuple[float, float]:
    """(ms per step from the first step row to the last, seconds of the whole fit)."""
    overrides = [f"output.loggers={loggers}", f"train.log_every_steps={log_every}"]
    config = load_data(yaml.safe_load(CONFIG), Source("bench", {}), overrides)
    run = session.start(config, run_dir=folder)
    started = time.perf_counter()
    run.fit()
    wall = time.perf_counter() - started
    rows = [r for r in csv.DictReader(open(folder / "metrics.csv")) if r["kind"] == "step"]
    first, last = rows[0], rows[-1]
    steps = int(last["step"]) - int(first["step"])
    return 1000 * (float(last["elapsed_s"]) - float(first["elapsed_s"])) / steps, wall


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--log-every", type=int, default=1)
    args = parser.parse_args(argv)
    keep_freed_memory()
    tmp = Path(tempfile.mkdtemp(prefix="gradcli-loggers-"))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp / 'mlflow.db'}"
    names = list(CONTENDERS)
    one_run(tmp / "warmup", CONTENDERS["all"], args.log_every)  # imports, the MLflow database
    step = {n: [] for n in names}
    wall = {n: [] for n in names}
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            ms, seconds = one_run(tmp / f"{name}-{r}", CONTENDERS[name], args.log_every)
            step[name].append(ms)
            wall[name].append(seconds)
    print(f"log_every_steps={args.log_every}, {args.rounds} rounds (median, min-max)")
    for name in names:
        ratios = [a / b for a, b in zip(step[name], step["csv"])]
        walls = [a / b for a, b in zip(wall[name], wall["csv"])]
        print(
            f"{name:12s} {statistics.median(step[name]):6.2f} ms/step  "
            f"x{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})   "
            f"fit {statistics.median(wall[name]):5.2f} s  x{statistics.median(walls):.3f} "
            f"({min(walls):.3f}-{max(walls):.3f})"
        )


if __name__ == "__main__":
    main()
