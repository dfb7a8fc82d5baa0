"""Combinations the optimizer, scheduler or layer would refuse when the run is built are refused
by the config instead: one located line (`file:line:col: key: ...`, exit 2), found before any
data is read, never an OptimizerError from deep inside the build (exit 1, no location)."""

import pytest

from gradcli.config.build import build_model
from gradcli.config.load import load_config
from gradcli.config.schedulers import Span
from gradcli.errors import ConfigError

BASE = """\
name: ok
data: {dataset: blobs, options: {n_samples: 100}}
model:
  input_shape: [2]
  layers: [{linear: 8}, relu, {linear: 3}]
optimizer: OPTIMIZER
train: {epochs: 2}
"""


def _write(tmp_path, optimizer, extra=""):
    path = tmp_path / "c.yaml"
    path.write_text(BASE.replace("OPTIMIZER", optimizer) + extra)
    return path


def _error(tmp_path, optimizer, extra=""):
    path = _write(tmp_path, optimizer, extra)
    with pytest.raises(ConfigError) as e:
        load_config(path)
    lines = str(e.value).splitlines()
    assert lines[0] == "1 config error:" and len(lines) == 2
    return lines[1].removeprefix(f"{path}:")


@pytest.mark.parametrize(
    "optimizer, message",
    [
        ("{type: sgd, lr: 0.1, nesterov: true}",
         "6:1: optimizer: nesterov needs momentum > 0 and dampening 0 (got momentum 0.0, "
         "dampening 0.0); set momentum (e.g. 0.9), or nesterov: false"),
        ("{type: sgd, lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.5}",
         "6:1: optimizer: nesterov needs momentum > 0 and dampening 0 (got momentum 0.9, "
         "dampening 0.5); set dampening: 0, or nesterov: false"),
    ],
)  # fmt: skip
def test_nesterov_without_momentum_is_a_located_config_error(tmp_path, optimizer, message):
    assert _error(tmp_path, optimizer) == message


def test_nesterov_with_momentum_builds(tmp_path):
    config = load_config(_write(tmp_path, "{type: sgd, lr: 0.1, nesterov: true, momentum: 0.9}"))
    config.optimizer.build(build_model(config).parameters())


def test_onecycle_needs_an_optimizer_with_momentum(tmp_path):
    onecycle = "scheduler: {type: onecycle, max_lr: 0.1}\n"
    assert _error(tmp_path, "{type: adagrad}", onecycle) == (
        "8:1: scheduler: onecycle cycles the momentum, but optimizer 'adagrad' has none; set "
        "cycle_momentum: false, or use an optimizer with one (sgd, adam, adamw, rmsprop)"
    )
    # without cycling the momentum it runs with any optimizer; with momentum it cycles it
    for optimizer, extra in [
        ("{type: adagrad}", "scheduler: {type: onecycle, max_lr: 0.1, cycle_momentum: false}\n"),
        ("{type: adam}", onecycle),
        ("{type: sgd, lr: 0.1, momentum: 0.9}", onecycle),
    ]:
        config = load_config(_write(tmp_path, optimizer, extra))
        opt = config.optimizer.build(build_model(config).parameters())
        config.scheduler.build(opt, Span(epochs=2, steps=20))


@pytest.mark.parametrize("padding", ["[-1, 0]", "[0, -2]"])
def test_a_negative_padding_pair_is_refused_by_the_schema(tmp_path, padding):
    text = BASE.replace("OPTIMIZER", "{type: sgd, lr: 0.1}").replace(
        "input_shape: [2]\n  layers: [{linear: 8}, relu, {linear: 3}]",
        f"input_shape: [1, 8, 8]\n  layers: [{{conv2d: {{out_channels: 2, kernel_size: 3, "
        f"padding: {padding}}}}}, flatten, {{linear: 3}}]",
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(
        ConfigError, match=r"model.layers\[0\].conv2d.padding.*greater than or equal to 0"
    ):
        load_config(path)


@pytest.mark.parametrize(
    "layer, message",
    [
        ("{conv2d: {out_channels: 2, kernel_size: 3, stride: 2, padding: same}}",
         "model.layers[0].conv2d: padding 'same' needs stride 1 (got 2); give the padding as a "
         "number, e.g. (kernel_size - 1) // 2"),
        ("{maxpool2d: {kernel_size: 2, padding: 2}}",
         "model.layers[0].maxpool2d: padding 2 is more than half the kernel_size 2; make it "
         "smaller or the kernel larger"),
        ("{avgpool2d: {kernel_size: [2, 4], padding: [1, 3]}}",
         "model.layers[0].avgpool2d: padding (1, 3) is more than half the kernel_size (2, 4)"),
    ],
)  # fmt: skip
def test_layer_arguments_the_layer_refuses_are_config_errors(tmp_path, layer, message):
    path = tmp_path / "c.yaml"
    path.write_text(
        BASE.replace("OPTIMIZER", "{type: sgd, lr: 0.1}").replace(
            "input_shape: [2]\n  layers: [{linear: 8}, relu, {linear: 3}]",
            f"input_shape: [1, 8, 8]\n  layers: [{layer}, flatten, {{linear: 3}}]",
        )
    )
    with pytest.raises(ConfigError) as e:
        load_config(path)  # validation alone: before any data is read or layer is built
    assert f"{path}:5:13: {message}" in str(e.value)
    fine = layer.replace("stride: 2, ", "").replace("padding: 2", "padding: 1")
    path.write_text(path.read_text().replace(layer, fine.replace("[1, 3]", "[1, 2]")))
    build_model(load_config(path))
