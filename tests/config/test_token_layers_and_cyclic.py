"""YAML `embedding`, `conv1d` and `layernorm` layers (shapes inferred, PyTorch's modules and
state_dict names), the `adadelta` optimizer and the `cyclic` scheduler, with their located
errors."""

import re

import numpy as np
import pytest
import yaml
from cli.conftest import round_trip, run

import gradcli
from gradcli import nn
from gradcli.config.build import build_model, trace_layers
from gradcli.config.load import load_config
from gradcli.config.schedulers import Span
from gradcli.errors import ConfigError, ShapeError

TOKENS = """\
name: tokens
data: {dataset: blobs, options: {n_samples: 100}}
model:
  input_shape: [12]
  layers:
    - embedding: {num_embeddings: 50, embedding_dim: 6, padding_idx: 0, transpose: true}
    - conv1d: {out_channels: 4, kernel_size: 3, padding: same}
    - layernorm
    - relu
    - conv1d: {out_channels: 8, kernel_size: 5, stride: 2, groups: 2}
    - layernorm: 2
    - flatten
    - linear: 3
optimizer: OPTIMIZER
train: {epochs: 2}
"""


def _load(tmp_path, text=TOKENS, optimizer="{type: adadelta, rho: 0.95}", extra=""):
    path = tmp_path / "c.yaml"
    path.write_text(text.replace("OPTIMIZER", optimizer) + extra)
    return load_config(path), path


def test_token_model_shapes_modules_and_state_dict(tmp_path):
    config, _ = _load(tmp_path)
    shapes = [tuple(layer.output_shape) for layer in trace_layers(config)]
    assert shapes == [(6, 12), (4, 12), (4, 12), (4, 12), (8, 4), (8, 4), (32,), (3,)]
    model = build_model(config)
    emb, conv, ln = model[0], model[1], model[5]
    assert isinstance(emb, nn.Embedding) and isinstance(conv, nn.Conv1d)
    assert isinstance(ln, nn.LayerNorm) and ln.normalized_shape == (8, 4)
    assert model[4].weight.shape == (8, 2, 5) and model[2].normalized_shape == (12,)
    assert list(model.state_dict())[:4] == ["0.weight", "1.weight", "1.bias", "2.weight"]
    assert not emb.weight[0].detach().numpy().any()  # the padding row
    # the data's float32 token ids are taken as ids: the model runs on them
    ids = gradcli.tensor(np.arange(24, dtype=np.float32).reshape(2, 12))
    assert model(ids).shape == (2, 3)
    # and its weights load into torch-named plain layers
    plain = nn.Embedding(50, 6, padding_idx=0)
    plain.load_state_dict({"weight": emb.weight.detach()})
    np.testing.assert_array_equal(
        plain(ids.long()).transpose(1, 2).detach().numpy(), emb(ids).detach().numpy()
    )


def test_token_ids_must_be_whole_numbers(tmp_path):
    model = build_model(_load(tmp_path)[0])
    with pytest.raises(ShapeError, match="token ids must be whole numbers"):
        model(gradcli.full((1, 12), 0.5))


def test_embedding_without_transpose_feeds_a_recurrent_or_layernorm(tmp_path):
    text = TOKENS.replace(", transpose: true", "").replace(
        "    - conv1d: {out_channels: 4, kernel_size: 3, padding: same}\n", ""
    )
    text = text.replace(
        "    - conv1d: {out_channels: 8, kernel_size: 5, stride: 2, groups: 2}\n", ""
    )
    shapes = [tuple(s.output_shape) for s in trace_layers(_load(tmp_path, text)[0])]
    assert shapes[:3] == [(12, 6), (12, 6), (12, 6)] and shapes[-1] == (3,)


@pytest.mark.parametrize(
    "old, new, message",
    [("input_shape: [12]", "input_shape: [3, 12]",
      "(embedding) expects flat features but its input has shape (3, 12); an embedding takes "
      "token ids: set model.input_shape to [length]"),
     ("padding_idx: 0", "padding_idx: 50", "padding_idx 50 must be below num_embeddings 50"),
     ("kernel_size: 3, padding: same", "kernel_size: 3, padding: same, stride: 2",
      "padding 'same' needs stride 1"),
     ("layernorm: 2", "layernorm: 3", "dims 3 is more than the input's 2 dims"),
     ("kernel_size: 5", "kernel_size: 13", "(conv1d) cannot take input of shape (4, 12)"),
     ("groups: 2", "groups: 3", "groups 3 must divide out_channels 8")],
)  # fmt: skip
def test_located_errors(tmp_path, old, new, message):
    assert old in TOKENS
    with pytest.raises(ConfigError, match=re.escape(message)):
        config, _ = _load(tmp_path, TOKENS.replace(old, new))
        trace_layers(config)


def test_adadelta_and_cyclic_build_and_step_per_batch(tmp_path):
    extra = (
        "scheduler: {type: cyclic, base_lr: 0.01, max_lr: 0.1, step_size_up: 4, "
        "mode: triangular2}\n"
    )
    config, _ = _load(tmp_path, optimizer="{type: sgd, lr: 0.1, momentum: 0.9}", extra=extra)
    model = build_model(config)
    opt = config.optimizer.build(model.parameters())
    sched = config.scheduler.build(opt, Span(epochs=2, steps=20))
    assert config.scheduler.per_step and isinstance(sched, gradcli.optim.lr_scheduler.CyclicLR)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["momentum"] == 0.9
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0325)
    config, _ = _load(tmp_path)
    opt = config.optimizer.build(model.parameters())
    assert isinstance(opt, gradcli.optim.Adadelta) and opt.defaults["rho"] == 0.95
    assert opt.defaults["lr"] == 1.0


@pytest.mark.parametrize(
    "optimizer, extra, message",
    [("adadelta", "scheduler: {type: cyclic, base_lr: 0.01, max_lr: 0.1}\n",
      "cyclic cycles the momentum, but optimizer 'adadelta' has none"),
     ("{type: sgd, lr: 0.1}", "scheduler: {type: cyclic, base_lr: 0.1, max_lr: 0.01}\n",
      "max_lr 0.01 is below base_lr 0.1"),
     ("{type: adadelta, rho: 1.5}", "", "rho")],
)  # fmt: skip
def test_optimizer_and_scheduler_errors(tmp_path, optimizer, extra, message):
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, optimizer=optimizer, extra=extra)


def test_cyclic_without_momentum_cycling_drives_adadelta(tmp_path):
    extra = "scheduler: {type: cyclic, base_lr: 0.5, max_lr: 1.0, cycle_momentum: false}\n"
    config, _ = _load(tmp_path, optimizer="adadelta", extra=extra)
    opt = config.optimizer.build(build_model(config).parameters())
    config.scheduler.build(opt, Span(epochs=1, steps=10))
    assert opt.param_groups[0]["lr"] == 0.5


def test_a_token_classifier_trains_evaluates_and_resumes(tmp_path):
    # token ids in a CSV (loaded as float32 features), the label is whether id 7 occurs
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, size=(200, 10))
    labels = (ids == 7).any(axis=1).astype(int)
    np.savetxt(tmp_path / "tokens.csv", np.column_stack([ids, labels]), fmt="%d", delimiter=",")
    config = {
        "name": "tokens", "seed": 1,
        "data": {"dataset": "csv", "options": {"path": str(tmp_path / "tokens.csv")},
                 "batch_size": 32, "val_split": 0.2},
        "model": {"input_shape": [10], "layers": [
            {"embedding": {"num_embeddings": 20, "embedding_dim": 8, "transpose": True}},
            {"conv1d": {"out_channels": 8, "kernel_size": 3, "padding": "same"}},
            "layernorm", "relu", "flatten", {"linear": 2}]},
        "optimizer": {"type": "adadelta"},
        "scheduler": {"type": "cyclic", "base_lr": 0.5, "max_lr": 1.0, "step_size_up": 3,
                      "cycle_momentum": False},
        "train": {"epochs": 1},
    }  # fmt: skip
    path = tmp_path / "tokens.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    assert round_trip(path, out)["samples"] == 40
    inspected = run("inspect-graph", out, "--format", "json")
    assert inspected.returncode == 0, inspected.stderr
    assert "TokenEmbedding(" in inspected.stdout and "Conv1d(" in inspected.stdout
