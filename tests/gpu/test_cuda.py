"""The CuPy path against numpy: ops, a short training run, checkpoints across devices.

Every test here is marked `gpu` and skipped where CuPy or a CUDA GPU is missing.
"""

import numpy as np
import pytest

import gradcli
import gradcli.nn.functional as F

pytestmark = pytest.mark.gpu

rng = np.random.default_rng(0)
A = rng.standard_normal((4, 6)).astype(np.float32)
B = rng.standard_normal((6, 5)).astype(np.float32)
IMG = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
W = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)


def _on(array, like):
    return gradcli.tensor(array, device=like.device)


OPS = {
    "arithmetic": (lambda a: ((a * 2 + 1) / (a.abs() + 1)) ** 2 - a.exp().log(), A),
    "reduce": (lambda a: a.sum(1) + a.mean(1) + a.var(1) + a.max(1).values, A),
    "shape": (lambda a: a.T.reshape(2, -1)[:, 1:5].unsqueeze(0).sum((0, 2)), A),
    "activation": (lambda a: a.relu() + a.sigmoid() * a.tanh() + a.log_softmax(1), A),
    "softmax": (lambda a: a.softmax(1) * a, A),
    "matmul": (lambda a: a @ _on(B, a), A),
    "conv_pool": (lambda x: F.max_pool2d(F.conv2d(x, _on(W, x), padding=1), 2), IMG),
    "avg_pool": (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), IMG),
    "loss": (lambda a: F.cross_entropy(a, gradcli.tensor([0, 1, 2, 3], device=a.device)), A[:, :4]),
}  # fmt: skip


@pytest.mark.parametrize("name", OPS)
def test_op_matches_numpy(name):
    fn, data = OPS[name]
    results = []
    for device in ("cpu", "cuda"):
        x = gradcli.tensor(data, device=device, requires_grad=True)
        out = fn(x)
        out.sum().backward()
        assert out.device.type == device and x.grad.device.type == device
        assert out.dtype == gradcli.float32 and x.grad.dtype == gradcli.float32
        results.append((out.detach().cpu().numpy(), x.grad.cpu().numpy()))
    (cpu_out, cpu_grad), (gpu_out, gpu_grad) = results
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-4, atol=1e-5)


def test_short_training_run_and_checkpoints_cross_devices(tmp_path):
    from gradcli.config.load import Source, load_data
    from gradcli.train import session

    data = {
        "name": "gpu", "seed": 0, "device": "cuda",
        "data": {"dataset": "shapes", "options": {"n_samples": 600}, "transforms": ["scale"],
                 "batch_size": 32, "val_split": 0.2},
        "model": {"input_shape": [1, 28, 28], "layers": [
            {"conv2d": {"out_channels": 4, "kernel_size": 3}}, "relu", {"maxpool2d": 2},
            "flatten", {"linear": 10}]},
        "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
        "train": {"epochs": 2, "log_every_steps": 5},
    }  # fmt: skip
    cfg = load_data(data, Source("gpu", {}))
    run = session.start(cfg, run_dir=tmp_path / "gpu", device="cuda")
    summary = run.fit()
    assert summary["final"]["val_accuracy"] > 0.1
    assert all(p.is_cuda for p in run.trainer.model.parameters())
    # a GPU checkpoint evaluates on the CPU and on the GPU alike
    from gradcli.train.evaluation import evaluate_checkpoint

    path = tmp_path / "gpu" / "checkpoints" / "last.safetensors"
    on_cpu = evaluate_checkpoint(path, "val", device="cpu")
    on_gpu = evaluate_checkpoint(path, "val", device="cuda")
    assert abs(on_cpu["loss"] - on_gpu["loss"]) < 1e-4
    assert on_cpu["accuracy"] == pytest.approx(summary["final"]["val_accuracy"], abs=1e-9)
    # and it resumes on the CPU
    with session.resume(path, device="cpu") as resumed:
        assert resumed.trainer.state.epoch == 2
