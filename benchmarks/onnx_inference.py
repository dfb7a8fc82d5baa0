"""ONNX Runtime's inference throughput against gradcli's eval forward, same model and batch.

    python -m benchmarks.onnx_inference                  # LeNet and MLP, batch 256 and 1
    python -m benchmarks.onnx_inference --threads 2 --rounds 11

The models are the example configs' (configs/mnist_lenet.yaml, configs/mnist_mlp.yaml) with
random weights (speed does not depend on them). gradcli runs `model(x)` in eval mode under
no_grad on inputs already transformed; ONNX Runtime runs the exported graph without the
transform nodes (`--no-transforms`), so both do the same work. Rounds are interleaved
(benchmarks/timing.py): each round times both, and the ratio is taken within the round.
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np

import gradcli
from benchmarks.timing import interleave, speed_ratios, summary, warm_allocator
from gradcli.config.build import build_model
from gradcli.config.load import load_config
from gradcli.deploy.onnx_export import model_to_onnx

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = {"lenet": "configs/mnist_lenet.yaml", "mlp": "configs/mnist_mlp.yaml"}


def runners(name: str, batch: int, threads: int):
    import onnxruntime as ort

    config = load_config(ROOT / MODELS[name])
    gradcli.manual_seed(0)
    model = build_model(config).eval()
    shape = tuple(config.model.input_shape)
    x = np.random.default_rng(0).standard_normal((batch, *shape)).astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    data = model_to_onnx(model, shape).SerializeToString()
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    xt = gradcli.tensor(x)

    def run_gradcli(n):
        with gradcli.no_grad():
            for _ in range(n):
                model(xt)

    def run_onnx(n):
        for _ in range(n):
            session.run(None, {"input": x})

    return {"gradcli": run_gradcli, "onnxruntime": run_onnx}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--chunk", type=float, default=0.25, help="seconds per contender per round")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads and ORT intra-op threads")
    p.add_argument("--batches", default="256,1")
    p.add_argument("--out", type=pathlib.Path)
    args = p.parse_args(argv)
    gradcli.set_num_threads(args.threads)
    allocator = warm_allocator()
    rows = []
    for name in MODELS:
        for batch in (int(b) for b in args.batches.split(",")):
            times = interleave(runners(name, batch, args.threads), args.rounds, args.chunk)
            speeds = {k: summary([batch / t for t in v]) for k, v in times.items()}
            ratio = summary(speed_ratios(times["onnxruntime"], times["gradcli"]))
            rows.append({"model": name, "batch": batch, "samples_per_s": speeds, "ratio": ratio})
            print(
                f"{name:6} batch {batch:4}: gradcli {speeds['gradcli']['median']:>10,.0f}/s  "
                f"onnxruntime {speeds['onnxruntime']['median']:>10,.0f}/s  "
                f"ORT/gradcli {ratio['median']:.2f} ({ratio['min']:.2f}-{ratio['max']:.2f})"
            )
    result = {"threads": args.threads, "rounds": args.rounds, "allocator": allocator, "rows": rows}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
