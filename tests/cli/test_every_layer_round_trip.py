"""A model using every YAML layer survives train -> eval -> resume -> inspect-graph."""

import yaml

from gradcli.config.layers import LAYERS

from .conftest import round_trip, run

LAYER_LIST = [
    {"conv2d": {"out_channels": 4, "kernel_size": 3, "padding": 1}},
    "batchnorm2d", "relu", {"maxpool2d": 2}, "elu",
    {"avgpool2d": {"kernel_size": 3, "stride": 1, "padding": 1}}, "gelu",
    {"adaptive_avgpool2d": 4}, "identity", "global_avgpool", "flatten", {"dropout": 0.1},
    {"linear": 16}, "batchnorm1d",
    "leaky_relu", "sigmoid", "tanh", {"linear": 10}, "softmax", "log_softmax",
]  # fmt: skip
CONFIG = {
    "name": "every-layer", "seed": 2,
    "data": {"dataset": "shapes", "options": {"n_samples": 400}, "transforms": ["scale"],
             "batch_size": 32, "val_split": 0.2},
    "model": {"input_shape": [1, 28, 28], "layers": LAYER_LIST},
    "loss": "nll", "optimizer": {"type": "adam", "lr": 0.01},
    "train": {"epochs": 1, "checkpoint": {"best_metric": "val_accuracy"}},
}  # fmt: skip


def _kind(layer):
    return layer if isinstance(layer, str) else next(iter(layer))


def test_every_layer_round_trips(tmp_path):
    graph = {"residual", "branches", "save", "add", "concat", "block"}  # test_graph_round_trip
    graph |= {"rnn", "lstm", "gru"}  # need (steps, features): tests/config/test_sequence_layers
    graph |= {"embedding", "conv1d", "layernorm"}  # token ids: test_token_layers_and_cyclic
    assert {_kind(layer) for layer in LAYER_LIST} | graph == set(LAYERS.names()), "add the layer"
    config = tmp_path / "every.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "run"
    assert round_trip(config, out)["samples"] == 80
    inspected = run("inspect-graph", out, "--format", "json")
    assert inspected.returncode == 0, inspected.stderr
    assert "BatchNorm" in inspected.stdout
