"""`dtype: float64` builds and trains in float64 end to end: the model, its parameters and the
batches the loaders hand out (the output check used to run a float32 batch through the
float64 model, and the loader cast every batch to float32)."""

import numpy as np
import pytest

import gradcli
from gradcli.config import build
from gradcli.config.build import build_training
from gradcli.config.load import load_config
from gradcli.train.trainer import Trainer

CONFIG = """\
name: f64
dtype: {dtype}
data: {{dataset: blobs, options: {{n_samples: 60}}, batch_size: 16}}
model:
  input_shape: [2]
  layers: [{{linear: 8}}, relu, {{linear: 3}}]
optimizer: {{type: sgd, lr: 0.1, momentum: 0.9}}
train: {{steps: 3}}
"""


def _config(tmp_path, dtype):
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.format(dtype=dtype))
    return load_config(path)


def test_float64_config_trains_in_float64(tmp_path):
    trainer = Trainer(_config(tmp_path, "float64"))
    before = [p.detach().numpy().copy() for p in trainer.model.parameters()]
    summary = trainer.fit()
    assert summary["steps"] == 3 and np.isfinite(summary["final"]["train_loss"])
    after = list(trainer.model.parameters())
    assert all(p.dtype == gradcli.float64 for p in after)
    assert any(not np.array_equal(a, p.detach().numpy()) for a, p in zip(before, after))
    for loader in (trainer.train_loader, trainer.val_loader):
        x, y = next(iter(loader))
        assert x.dtype == gradcli.float64 and y.dtype == gradcli.int64


def test_float32_config_stays_float32(tmp_path):
    parts = build_training(_config(tmp_path, "float32"))
    assert all(p.dtype == gradcli.float32 for p in parts.model.parameters())
    x, _ = next(iter(parts.train_loader))
    assert x.dtype == gradcli.float32


def test_output_check_uses_the_traced_shape(tmp_path, monkeypatch):
    """The model is run once, by trace_layers, layer by layer; never again as a whole (on
    another device or dtype than the one it was moved to)."""
    config = _config(tmp_path, "float32")
    calls = []
    forward = gradcli.nn.Sequential.forward
    monkeypatch.setattr(
        gradcli.nn.Sequential, "forward", lambda self, x: calls.append(1) or forward(self, x)
    )
    build_training(config)
    assert calls == []
    assert build.trace_layers(config)[-1].output_shape == (3,)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_run_builds_and_trains_on_a_gpu(tmp_path, dtype):
    """The model is moved to the device once built and never run on CPU data afterwards (the
    output check used to: a DeviceError for every GPU run)."""
    from gradcli.backend import resolve_device

    trainer = Trainer(_config(tmp_path, dtype), resolve_device("cuda"))
    assert trainer.fit()["steps"] == 3
    want = gradcli.float64 if dtype == "float64" else gradcli.float32
    assert all(p.dtype == want and p.device.type == "cuda" for p in trainer.model.parameters())
