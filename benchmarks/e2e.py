"""Section 4: `gradcli train` end to end against the bare training step, in one process.

Each round runs the Trainer (as `gradcli train --quiet` does: data loading, metrics, progress
callback, scheduler, accuracy) for `steps` steps on configs/mnist_lenet.yaml in a temporary run
folder, logging at steps N/2 and N, and reads its steady rate from metrics.csv: samples over the
second half divided by the elapsed time between the two rows (the first half carries one-off
costs: a fresh model, the loader's first epoch order). Then it times the same steps of the
same model, loss and optimizer, from the same starting weights each round. Rounds alternate
which goes first.
"""

from __future__ import annotations

import csv
import json
import statistics
import tempfile
import time
from pathlib import Path

import gradcli
from benchmarks.mnist import CONFIG, data_overrides
from benchmarks.nets import GradcliStep, random_batch
from benchmarks.timing import summary
from gradcli.cli.progress import Quiet
from gradcli.config.build import build_loss, build_model, build_optimizer
from gradcli.config.load import load_config
from gradcli.train import session


def _bare(cfg) -> GradcliStep:
    """The training step alone: the config's model, loss and optimizer on a fixed batch."""
    gradcli.manual_seed(cfg.seed)
    model = build_model(cfg)
    opt = build_optimizer(cfg.optimizer, model.parameters())
    x, y = random_batch(cfg.data.batch_size)
    return GradcliStep(model, x, y, opt=opt, loss_fn=build_loss(cfg.loss))


def _bare_run(bare: GradcliStep, steps: int) -> float:
    """Samples/s of the second half of `steps` bare steps from the starting weights (each
    Trainer starts from its own), the half the trainer's rate is read over too."""
    bare.reset()
    bare(steps - steps // 2)
    t0 = time.perf_counter()
    bare(steps // 2)
    return steps // 2 * bare.x.shape[0] / (time.perf_counter() - t0)


def _trainer_run(cfg, run_dir: Path) -> dict:
    t0 = time.perf_counter()
    run = session.start(cfg, run_dir=run_dir, device="cpu", display=[Quiet()])
    setup = time.perf_counter() - t0
    summary_ = run.fit()
    with open(run_dir / "metrics.csv", newline="") as f:
        steps = [row for row in csv.DictReader(f) if row["kind"] == "step"]
    saved = json.loads((run_dir / "summary.json").read_text())
    half, last = steps[-2], steps[-1]  # logged at steps N/2 and N
    samples = (int(last["step"]) - int(half["step"])) * cfg.data.batch_size
    return {
        "samples_per_s": samples / (float(last["elapsed_s"]) - float(half["elapsed_s"])),
        "whole_run_samples_per_s": float(last["samples_per_s"]),
        "summary_samples_per_s": float(saved["samples_per_s"]),
        "setup_s": setup,
        "wall_s": float(summary_["wall_time_s"]),
    }


def run(rounds: int, steps: int, progress) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        overrides, source = data_overrides(Path(tmp))
        steps += steps % 2
        overrides += [f"train.steps={steps}", f"train.log_every_steps={steps // 2}"]
        cfg = load_config(CONFIG, overrides)
        bare = _bare(cfg)
        bare(3)  # warm up: momentum buffers, first-call paths
        e2e, plain = [], []
        for r in range(rounds):
            progress(f"end to end: round {r + 1}/{rounds} ({steps} steps each)")
            if r % 2:
                plain.append(_bare_run(bare, steps))
            e2e.append(_trainer_run(cfg, Path(tmp) / f"run-{r}"))
            if not r % 2:
                plain.append(_bare_run(bare, steps))
    ratios = [e["samples_per_s"] / b for e, b in zip(e2e, plain)]
    return {
        "config": str(CONFIG.relative_to(CONFIG.parents[1])),
        "data": source,
        "batch": cfg.data.batch_size,
        "steps": steps,
        "trainer_samples_per_s": statistics.median(e["samples_per_s"] for e in e2e),
        "trainer_whole_run_samples_per_s": statistics.median(
            e["whole_run_samples_per_s"] for e in e2e
        ),
        "trainer_summary_samples_per_s": statistics.median(e["summary_samples_per_s"] for e in e2e),
        "bare_samples_per_s": statistics.median(plain),
        "ratio": summary(ratios),
        "rounds": e2e,
        "bare_rounds": plain,
    }
