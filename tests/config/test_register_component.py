"""Adding a component is one registration: a layer, an optimizer and a scheduler defined in
this test are trained with from YAML through the CLI, then leave no trace behind."""

import contextlib

import pytest
from pydantic import Field

import gradcli
from gradcli import nn, optim
from gradcli.cli.app import main
from gradcli.config.layers import LAYERS, LayerSpec
from gradcli.config.load import load_config
from gradcli.config.optimizers import OPTIMIZERS, OptimizerSpec
from gradcli.config.schedulers import SCHEDULERS, SchedulerSpec
from gradcli.config.schema import config_model
from gradcli.errors import ConfigError

CALLS = {"forward": 0, "step": 0}


class Scale(nn.Module):  # the implementation a contributor adds under gradcli/nn
    def __init__(self, features: int, init: float):
        super().__init__()
        self.weight = nn.Parameter(gradcli.full((features,), init))

    def forward(self, input):
        CALLS["forward"] += 1
        return input * self.weight


class SignSGD(optim.Optimizer):  # ... and under gradcli/optim
    def __init__(self, params, lr: float):
        super().__init__(params, {"lr": lr})

    def _step_group(self, group):
        CALLS["step"] += 1
        for p in group["params"]:
            if p.grad is not None:
                p._data -= group["lr"] * (p.grad._data > 0) - group["lr"] * (p.grad._data < 0)


class ScaleSpec(LayerSpec):  # ... and its registration
    shorthand, expects = "init", (1, "add `- flatten` before it")
    init: float = Field(1.0, gt=0)

    def num_params(self, shape):
        return shape[0]

    def build(self, shape):
        return Scale(shape[0], self.init)


class SignSGDSpec(OptimizerSpec):
    lr: float = Field(0.01, gt=0)

    def build(self, params):
        return SignSGD(params, self.lr)


class HalveSpec(SchedulerSpec):
    def build(self, optimizer, span):
        return optim.lr_scheduler.StepLR(optimizer, 1, 0.5)


CONFIG = """
name: plugin
data: {dataset: blobs, options: {n_samples: 200, n_test: 50}, batch_size: 50}
model:
  input_shape: [2]
  layers: [{scale: 0.5}, {linear: 3}]
optimizer: {type: signsgd, lr: 0.01}
scheduler: halve
train: {epochs: 2}
"""


@contextlib.contextmanager
def registered():
    with (
        LAYERS.temporarily("scale", ScaleSpec),
        OPTIMIZERS.temporarily("signsgd", SignSGDSpec),
        SCHEDULERS.temporarily("halve", HalveSpec),
    ):
        yield


def test_train_from_yaml_with_components_registered_in_the_test(tmp_path):
    cfg = tmp_path / "plugin.yaml"
    cfg.write_text(CONFIG)
    CALLS.update(forward=0, step=0)
    with registered():
        assert {"ScaleSpec", "SignSGDSpec"} <= set(config_model().model_json_schema()["$defs"])
        config = load_config(cfg)
        assert config.model.layers[0].init == 0.5 and config.scheduler.type == "halve"
        with pytest.raises(SystemExit) as exit_:
            main(["train", str(cfg), "--run-dir", str(tmp_path / "run"), "-q"])
        assert exit_.value.code in (0, None)
    assert CALLS["forward"] > 0 and CALLS["step"] == 2 * 4  # 2 epochs of 200 * 0.9 / 50 batches


def test_registration_does_not_leak():
    with registered():
        pass
    assert "scale" not in LAYERS and "signsgd" not in OPTIMIZERS and "halve" not in SCHEDULERS
    assert "ScaleSpec" not in config_model().model_json_schema()["$defs"]
    data = {"name": "x", "data": {"dataset": "blobs"}, "optimizer": {"type": "signsgd"},
            "model": {"input_shape": [2], "layers": ["scale"]}}  # fmt: skip
    from gradcli.config.load import Source, load_data

    with pytest.raises(ConfigError) as e:
        load_data(data, Source("t.yaml", {}))
    assert "unknown layer 'scale'" in str(e.value) and "unknown optimizer 'signsgd'" in str(e.value)


def test_a_spec_is_registered_under_one_name():
    with LAYERS.temporarily("scale", ScaleSpec), pytest.raises(ValueError, match="already"):
        LAYERS.register("scale2", ScaleSpec)
    with pytest.raises(TypeError, match="subclass of LayerSpec"):
        LAYERS.register("scale3", SignSGDSpec)
