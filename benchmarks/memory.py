"""Section 3: peak memory of a LeNet training step and of an MNIST epoch (tracemalloc).

NumPy reports its array allocations to tracemalloc, so the traced peak covers activations,
im2col columns, gradients and graph bookkeeping alike.
"""

from __future__ import annotations

import gc
import math
import tempfile
import time
import tracemalloc

import gradcli
from benchmarks.mnist import CONFIG, data_overrides
from benchmarks.nets import GradcliStep, gradcli_model, numpy_state, random_batch
from benchmarks.numpy_ref import NumpyLeNet
from gradcli.config.build import build_loss, build_model, build_optimizer
from gradcli.config.load import load_config
from gradcli.data import DataLoader, build_datasets

F32 = 4  # bytes


def lenet_buffers(batch: int) -> dict[str, int]:
    """Bytes of every layer output of the LeNet step, and of its im2col buffers, at `batch`."""
    n = batch
    shapes = {
        "conv1 out": (n, 6, 28, 28), "relu1 out": (n, 6, 28, 28), "pool1 out": (n, 6, 14, 14),
        "conv2 out": (n, 16, 10, 10), "relu2 out": (n, 16, 10, 10), "pool2 out": (n, 16, 5, 5),
        "fc1 out": (n, 120), "relu3 out": (n, 120), "fc2 out": (n, 84), "relu4 out": (n, 84),
        "fc3 out": (n, 10),
        "im2col: conv1 padded input": (n, 1, 32, 32), "im2col: conv1 columns": (n, 25, 784),
        "im2col: conv2 columns": (n, 150, 100),
    }  # fmt: skip
    return {k: F32 * math.prod(s) for k, s in shapes.items()}


def step_peak(step, warm: int = 1) -> int:
    """Peak bytes allocated during one steady-state `step()` above what was live before it."""
    step(warm)
    tracemalloc.start()
    try:
        step(1)  # traced, so the next step's frees of this step's arrays are seen
        gc.collect()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        step(1)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _epoch(batch: int, max_batches: int | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        overrides, source = data_overrides(tmp)
        cfg = load_config(CONFIG, overrides)
        d = cfg.data
        gc.collect()
        tracemalloc.start()
        try:
            t0 = time.perf_counter()
            data = build_datasets(
                d.dataset, d.root, d.options, d.transforms, d.val_split, cfg.seed,
                splits=("train", "val"),
            )  # fmt: skip
            loaded, load_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            gradcli.manual_seed(cfg.seed)
            model = build_model(cfg)
            loss_fn = build_loss(cfg.loss)
            opt = build_optimizer(cfg.optimizer, model.parameters())
            loader = DataLoader(data.train, batch, shuffle=True, seed=cfg.seed)
            steps = samples = 0
            for x, y in loader:
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()
                steps += 1
                samples += x.shape[0]
                if max_batches is not None and steps >= max_batches:
                    break
            epoch_peak = tracemalloc.get_traced_memory()[1]
            seconds = time.perf_counter() - t0
        finally:
            tracemalloc.stop()
    return {
        "data": source,
        "batch": batch,
        "batches": steps,
        "batches_in_epoch": len(loader),
        "whole_epoch": steps == len(loader),
        "samples": samples,
        "dataset_bytes": loaded,
        "load_peak_bytes": load_peak,
        "epoch_peak_bytes": epoch_peak,
        "training_peak_above_dataset_bytes": epoch_peak - loaded,
        "seconds": seconds,
    }


def run(batch: int, epoch_batches: int | None, progress) -> dict:
    progress(f"memory: LeNet step at batch {batch}")
    buffers = lenet_buffers(batch)
    x, y = random_batch(batch)
    gradcli.manual_seed(0)
    model = gradcli_model("lenet")
    gradcli_peak = step_peak(GradcliStep(model, x, y))
    ref = NumpyLeNet(batch, params=numpy_state(model))

    def ref_step(n):
        for _ in range(n):
            ref.step(x, y)

    numpy_peak = step_peak(ref_step)
    what = "whole epoch" if epoch_batches is None else f"first {epoch_batches} batches"
    progress(f"memory: MNIST epoch at batch {batch} ({what})")
    total = sum(buffers.values())
    return {
        "batch": batch,
        "gradcli_step_peak_bytes": gradcli_peak,
        "activations_im2col_bytes": total,
        "activations_im2col_parts": buffers,
        "peak_over_buffers": gradcli_peak / total,
        "numpy_ref_step_peak_bytes": numpy_peak,
        "numpy_ref_preallocated_bytes": ref.buffer_bytes(),
        "epoch": _epoch(batch, epoch_batches),
    }
