"""`gradcli predict` throughput on a folder of PNGs against the model alone on the same arrays.

    python -m benchmarks.predict_throughput --checkpoint runs/mnist-lenet/<run> --rounds 5

Writes the MNIST test set (10,000 images, from $GRADCLI_DATA_DIR or ../shared/datasets) as
PNGs into --folder once, then times in rounds, each contender once per round in a rotating
order (the machine's speed drifts; see timing.py): the model on the arrays already in memory
(transforms + forward), and its forward pass alone on arrays already transformed (what `eval`
times per batch); reading alone with threads and with
worker processes; reading then predicting one chunk after the other; and `predict_files`
(reading overlapped with predicting) with threads and with processes. Prints the median and
min-max of images/s over rounds, and the median ratio to the model within a round.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from gradcli.backend import keep_freed_memory
from gradcli.data import load_dataset
from gradcli.deploy.decode_pool import decoded
from gradcli.deploy.image_inputs import ImageOptions
from gradcli.deploy.inputs import InputSpec, expand
from gradcli.deploy.loaded import load_for_inference
from gradcli.deploy.predict import predict_arrays, predict_files

REPO = Path(__file__).resolve().parents[1]


def write_pngs(folder: Path, root: Path) -> np.ndarray:
    """The MNIST test images as folder/<label>/<index>.png (kept between runs); the arrays."""
    from PIL import Image

    x, y, _ = load_dataset("mnist", root=root, split="test")
    if len(list(folder.rglob("*.png"))) != len(x):
        for i, (image, label) in enumerate(zip(x, y)):
            (folder / str(label)).mkdir(parents=True, exist_ok=True)
            Image.fromarray(image[0]).save(folder / str(label) / f"{i:05d}.png")
    return x


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--folder", default="/tmp/gradcli-predict-pngs")
    parser.add_argument("--data", default=os.environ.get("GRADCLI_DATA_DIR")
                        or str(REPO.parent / "shared" / "datasets"))  # fmt: skip
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 1))
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    keep_freed_memory()  # as the CLI does
    folder = Path(args.folder)
    x = write_pngs(folder, Path(args.data))
    loaded = load_for_inference(args.checkpoint, args.device)
    files, _ = expand([folder])
    spec, opts, n = InputSpec.of(loaded), ImageOptions(), len(files)

    def decode(workers, processes=False):
        return lambda: sum(len(s) for _, s in decoded(files, spec, opts, workers, processes))

    def predict(workers, processes=False):
        return lambda: len(predict_files(loaded, [folder], 1, args.batch_size, workers=workers,
                                         processes=processes).predictions)  # fmt: skip

    def one_after_the_other():
        # read a chunk in this thread, then predict it: no overlap, no GIL contention
        for _, samples in decoded(files, spec, opts, 1, False):
            predict_arrays(loaded, np.stack([s.x for s in samples]), args.batch_size)
        return n

    procs = max(1, min(8, (os.cpu_count() or 1) - 1))
    prepared = loaded.prepare(x)

    def forward_only():
        for s in range(0, n, args.batch_size):
            loaded.forward(prepared[s : s + args.batch_size])
        return n

    contenders = {
        "model on in-memory arrays": lambda: len(predict_arrays(loaded, x, args.batch_size)),
        "forward only, arrays prepared": forward_only,
        "decode only, 1 thread": decode(1),
        f"decode only, {args.threads} threads": decode(args.threads),
        f"decode only, {procs} processes": decode(procs, True),
        "decode, then predict (no overlap)": one_after_the_other,
        "decode + predict, 1 thread": predict(1),
        f"decode + predict, {args.threads} threads": predict(args.threads),
        f"decode + predict, {procs} processes": predict(procs, True),
    }
    names = list(contenders)
    rates: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for r in range(args.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            t0, c0 = time.perf_counter(), _cpu_seconds()
            count = contenders[name]()
            rates[name].append(count / (time.perf_counter() - t0))
            cpu[name].append((_cpu_seconds() - c0) / count * 1e6)
    print(f"{n:,} PNGs in {folder}, batch {args.batch_size}, {args.rounds} rounds, "
          f"{os.cpu_count()} cores, device {loaded.device}, load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    base = rates[names[0]]
    for name in names:
        v = rates[name]
        ratio = statistics.median(a / b for a, b in zip(v, base))
        print(f"{name:36s} {statistics.median(v):7,.0f} images/s (min {min(v):,.0f}, "
              f"max {max(v):,.0f}) {ratio:5.2f}x the model; CPU "
              f"{statistics.median(cpu[name]):4.0f} us/image")  # fmt: skip


def _cpu_seconds() -> float:
    """CPU time of this process's threads and of its finished children (worker processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
