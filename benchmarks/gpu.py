"""`python -m benchmarks.gpu`: gradcli on a CUDA GPU against gradcli on the CPU and PyTorch CUDA.

Training-step samples/s (forward, cross-entropy, backward, SGD with momentum; float32; the
networks of benchmarks/nets.py) of the MLP and LeNet at batch 64, 256 and 1024, the three
contenders interleaved in one process (benchmarks/timing.py), each timed chunk ending with a
device synchronize so queued GPU work is billed to the chunk that queued it. Then the MNIST
LeNet epoch: `gradcli train configs/mnist_lenet.yaml --device cuda --set train.epochs=1`.
Writes JSON and a markdown table for the README (date, GPU model) to --out.

    python -m benchmarks.gpu                  # ~2-3 min on a GPU
    python -m benchmarks.gpu --quick --out /tmp/gpu   # a smoke run

Without a usable GPU it says so in one line and exits with status 2. On the test suite's CuPy
stand-in (tests/cupy_standin) it runs, and the results say the "GPU" was the stand-in.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results"
FULL = {"rounds": 5, "chunk_s": 0.5, "batches": (64, 256, 1024), "epoch": True, "epoch_steps": None}
QUICK = {"rounds": 2, "chunk_s": 0.05, "batches": (64,), "epoch": True, "epoch_steps": 10}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="batch 64, short chunks, 10 epoch steps")
    p.add_argument("--rounds", type=int, help="interleaved rounds per measurement")
    p.add_argument("--batches", help="comma-separated batch sizes (default 64,256,1024)")
    p.add_argument("--no-epoch", action="store_true", help="skip the MNIST LeNet epoch")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch CUDA out")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})")
    args = p.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    if args.rounds:
        settings["rounds"] = args.rounds
    if args.batches:
        settings["batches"] = tuple(int(b) for b in args.batches.split(","))
    if args.no_epoch:
        settings["epoch"] = False
    args.settings = settings
    return args


def gpu_model() -> dict:
    """What the GPU is: nvidia-smi's answer where it is installed, else CuPy's."""
    import gradcli
    from gradcli import backend

    cp = backend.require_cupy()
    info = {"name": gradcli.cuda.get_device_name(0), "cupy": cp.__version__}
    info["standin"] = bool(getattr(cp, "_STANDIN", False))
    if shutil.which("nvidia-smi") and not info["standin"]:
        query = "--query-gpu=name,driver_version,memory.total"
        done = subprocess.run(
            ["nvidia-smi", query, "--format=csv,noheader"], capture_output=True, text=True
        )
        if done.returncode == 0 and done.stdout.strip():
            name, driver, memory = (s.strip() for s in done.stdout.splitlines()[0].split(","))
            info.update(name=name, driver=driver, memory=memory)
    return info


class CudaStep:
    """nets.GradcliStep on the GPU; each call waits for the GPU before it returns."""

    def __init__(self, model, x, y):
        import gradcli
        from benchmarks.nets import GradcliStep

        model.to("cuda")
        self.step = GradcliStep(model, x, y)
        self.step.x, self.step.y = self.step.x.to("cuda"), self.step.y.to("cuda")
        self.sync = gradcli.cuda.synchronize

    def reset(self) -> None:
        self.step.reset()

    def __call__(self, steps: int = 1) -> None:
        self.step(steps)
        self.sync()


def torch_cuda_step(name, state, x, y):
    """torch_ref.TorchStep on PyTorch's GPU, synchronized like CudaStep; None without one."""
    from benchmarks import torch_ref

    if not torch_ref.available() or not torch_ref.torch.cuda.is_available():
        return None
    torch = torch_ref.torch

    class TorchCudaStep(torch_ref.TorchStep):
        def __init__(self):
            super().__init__(name, state, x, y)
            self.model.cuda()  # parameters move in place: the optimizer keeps them
            self.x, self.y = self.x.cuda(), self.y.cuda()
            self._start = {k: v.clone() for k, v in self.model.state_dict().items()}

        def __call__(self, steps: int = 1) -> None:
            super().__call__(steps)
            torch.cuda.synchronize()

    return TorchCudaStep()


def bench(name: str, batch: int, rounds: int, chunk_s: float, use_torch: bool) -> dict:
    import gradcli
    from benchmarks.nets import GradcliStep, gradcli_model, numpy_state, random_batch
    from benchmarks.timing import interleave, speed_ratios, summary

    x, y = random_batch(batch)
    models = []
    for _ in range(2):  # the same starting weights for everyone
        gradcli.manual_seed(0)
        models.append(gradcli_model(name))
    state = numpy_state(models[0])
    runners = {
        "gradcli-cuda": CudaStep(models[0], x, y),
        "gradcli-cpu": GradcliStep(models[1], x, y),
    }
    torch_step = torch_cuda_step(name, state, x, y) if use_torch else None
    if torch_step is not None:
        runners["torch-cuda"] = torch_step
    times = interleave(runners, rounds, chunk_s)
    result = {
        "network": name,
        "batch": batch,
        "samples_per_s": {k: batch / statistics.median(t) for k, t in times.items()},
        "samples_per_s_rounds": {k: [batch / s for s in t] for k, t in times.items()},
        "ratios": {"cuda/cpu": summary(speed_ratios(times["gradcli-cuda"], times["gradcli-cpu"]))},
    }
    if "torch-cuda" in times:
        ratio = speed_ratios(times["gradcli-cuda"], times["torch-cuda"])
        result["ratios"]["gradcli-cuda/torch-cuda"] = summary(ratio)
    return result


def mnist_epoch(steps: int | None = None) -> dict:
    """`gradcli train configs/mnist_lenet.yaml --device cuda --set train.epochs=1`, timed
    (`steps`: stop after that many steps, for a smoke run)."""
    from benchmarks.mnist import CONFIG, data_overrides

    with tempfile.TemporaryDirectory() as tmp:
        overrides, data = data_overrides(Path(tmp))
        run = Path(tmp) / "run"
        command = [sys.executable, "-m", "gradcli", "train", str(CONFIG), "--device", "cuda",
                   "--set", "train.epochs=1", "--run-dir", str(run), "--quiet"]  # fmt: skip
        for item in overrides + ([f"train.steps={steps}"] if steps else []):
            command += ["--set", item]
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:], "data": data}
        summary = json.loads((run / "summary.json").read_text())
    final = summary["final"]
    return {
        "data": data,
        "command_wall_s": round(wall, 2),
        "train_wall_s": summary["wall_time_s"],
        "samples_per_s": summary["samples_per_s"],
        "val_accuracy": final.get("val_accuracy"),
        "device": summary["device"],
        "steps": summary["steps"],
    }


def _ratio(result: dict, key: str) -> str:
    s = result["ratios"].get(key)
    return f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})" if s else "-"


def markdown(report: dict) -> str:
    gpu = report["gpu"]
    what = "the CuPy stand-in of the tests (numpy on the CPU: NOT a GPU)" if gpu["standin"] else (
        f"{gpu['name']}" + (f", driver {gpu['driver']}, {gpu['memory']}" if "driver" in gpu else "")
    )  # fmt: skip
    lines = [
        f"{report['date']}, {what}, CuPy {gpu['cupy']}, "
        + (f"PyTorch {report['torch']}, " if report.get("torch") else "")
        + f"{report['rounds']} interleaved rounds. Training-step samples/s (median of rounds); "
        "ratios are medians of per-round ratios, min-max in brackets.",
        "",
        "| network | batch | gradcli cuda | gradcli cpu | torch cuda | cuda / cpu | "
        "gradcli cuda / torch cuda |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["steps"]:
        sps = r["samples_per_s"]
        torch = f"{sps['torch-cuda']:,.0f}" if "torch-cuda" in sps else "-"
        lines.append(
            f"| {r['network']} | {r['batch']} | {sps['gradcli-cuda']:,.0f} | "
            f"{sps['gradcli-cpu']:,.0f} | {torch} | {_ratio(r, 'cuda/cpu')} | "
            f"{_ratio(r, 'gradcli-cuda/torch-cuda')} |"
        )
    epoch = report.get("mnist_epoch")
    if epoch and "error" not in epoch:
        lines += ["", (
            f"MNIST LeNet, one epoch ({epoch['steps']} steps) on {epoch['device']} (`gradcli "
            "train configs/mnist_lenet.yaml --device cuda --set train.epochs=1`, "
            f"{epoch['data']}): {epoch['train_wall_s']:.1f}"
            f" s of training ({epoch['samples_per_s']:,.0f} samples/s), "
            f"{epoch['command_wall_s']:.1f} s for the whole command; validation accuracy "
            f"{epoch['val_accuracy']:.4f}."
        )]  # fmt: skip
    elif epoch:
        lines += ["", f"MNIST LeNet epoch failed: {epoch['error']}"]
    return "\n".join(lines) + "\n"


def save(report: dict, stem: Path) -> str:
    """Write the JSON and the markdown table; returns the table."""
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    stem.with_suffix(".md").write_text(table)
    return table


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO))
    from benchmarks import torch_ref
    from benchmarks.timing import warm_allocator
    from gradcli import backend
    from gradcli.errors import DeviceError

    try:
        backend.require_cupy()
    except DeviceError as e:
        print(f"benchmarks.gpu: no usable CUDA GPU here, nothing measured ({e})")
        return 2
    settings = args.settings
    warm_allocator()
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "gpu": gpu_model(),
        "python": platform.python_version(),
        "rounds": settings["rounds"],
        "chunk_s": settings["chunk_s"],
        "torch": torch_ref.torch.__version__ if torch_ref.available() else None,
        "steps": [],
    }
    print(f"GPU: {report['gpu']['name']} (CuPy {report['gpu']['cupy']})", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"gpu-{report['date']}"
    for name in ("mlp", "lenet"):
        for batch in settings["batches"]:
            print(f"training step: {name} batch {batch}", flush=True)
            result = bench(name, batch, settings["rounds"], settings["chunk_s"], not args.no_torch)
            report["steps"].append(result)
            save(report, stem)  # what is measured survives a timeout
    if settings["epoch"]:
        print("MNIST LeNet epoch on cuda", flush=True)
        report["mnist_epoch"] = mnist_epoch(settings["epoch_steps"])
    print(save(report, stem), end="")
    print(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
