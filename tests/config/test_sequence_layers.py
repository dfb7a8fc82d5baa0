"""The YAML's rnn / lstm / gru layers: shapes traced through sequence and last-step outputs, the
built layer computes what nn.LSTM does, sizes checked before allocating, located errors, and a
sequence classifier (images read row by row) trains, evaluates and resumes from the CLI."""

import math

import numpy as np
import pytest
import yaml
from cli.conftest import round_trip, run

import gradcli
from gradcli import nn
from gradcli.config.build import build_model, trace_layers
from gradcli.config.layers_sequence import Gru, Lstm, Rnn
from gradcli.config.load import load_config
from gradcli.errors import ConfigError

LAYERS = [
    {"flatten": {"start_dim": 1, "end_dim": 2}},
    {"lstm": {"hidden_size": 8, "num_layers": 2, "dropout": 0.1, "output": "sequence"}},
    {"gru": {"hidden_size": 4, "bidirectional": True, "output": "sequence"}},
    {"rnn": {"hidden_size": 6, "nonlinearity": "relu", "bias": False}},
    {"linear": 10},
]
CONFIG = {
    "name": "rows", "seed": 3,
    "data": {"dataset": "shapes", "options": {"n_samples": 300, "size": 12},
             "transforms": ["scale"], "batch_size": 32, "val_split": 0.2},
    "model": {"input_shape": [1, 12, 12], "layers": LAYERS},
    "optimizer": {"type": "adam", "lr": 0.01},
    "train": {"epochs": 1},
}  # fmt: skip


def _config(tmp_path, layers=LAYERS, input_shape=(1, 12, 12)):
    path = tmp_path / "seq.yaml"
    data = {**CONFIG, "model": {"input_shape": list(input_shape), "layers": layers}}
    path.write_text(yaml.safe_dump(data))
    return load_config(path)


def test_shapes_through_sequence_and_last_outputs(tmp_path):
    traced = trace_layers(_config(tmp_path))
    assert [t.kind for t in traced] == ["flatten", "lstm", "gru", "rnn", "linear"]
    assert [t.output_shape for t in traced] == [(12, 12), (12, 8), (12, 8), (6,), (10,)]


def test_built_layer_is_pytorchs_lstm_and_last_is_the_final_state(tmp_path):
    layers = [{"flatten": {"start_dim": 1, "end_dim": 2}},
              {"lstm": {"hidden_size": 5, "bidirectional": True}}]  # fmt: skip
    model = build_model(_config(tmp_path, layers))
    lstm = nn.LSTM(12, 5, batch_first=True, bidirectional=True)
    lstm.load_state_dict({k.removeprefix("1."): v for k, v in model.state_dict().items()})
    x = gradcli.randn(3, 1, 12, 12)
    out, (h, _) = lstm(x.reshape(3, 12, 12))
    got = model(x).detach().numpy()
    np.testing.assert_array_equal(got[:, :5], out[:, -1, :5].detach().numpy())
    np.testing.assert_array_equal(got[:, 5:], out[:, 0, 5:].detach().numpy())  # backward at t=0
    np.testing.assert_array_equal(got, np.concatenate([h[0].detach(), h[1].detach()], 1))
    assert "1.weight_hh_l0_reverse" in model.state_dict()


@pytest.mark.parametrize(
    "spec",
    [Lstm(hidden_size=7, num_layers=3, bidirectional=True), Gru(hidden_size=4, bias=False),
     Rnn(hidden_size=3, num_layers=2, dropout=0.5)],
)  # fmt: skip
def test_num_params_is_what_build_allocates(spec):
    built = spec.build((9, 11))
    assert spec.num_params((9, 11)) == sum(math.prod(p.shape) for p in built.parameters())


def test_errors_are_located_and_say_how_to_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"model.layers\[0\].*lstm.*start_dim: 1, end_dim: 2"):
        trace_layers(_config(tmp_path, [{"lstm": 8}]))
    with pytest.raises(ConfigError, match="acts between stacked layers"):
        _config(tmp_path, [{"gru": {"hidden_size": 4, "dropout": 0.2}}], (5, 3))
    with pytest.raises(ConfigError, match="output"):
        _config(tmp_path, [{"rnn": {"hidden_size": 4, "output": "first"}}], (5, 3))


def test_a_sequence_classifier_trains_evaluates_and_resumes(tmp_path):
    config = tmp_path / "rows.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "run"
    assert round_trip(config, out)["samples"] == 60
    inspected = run("inspect-graph", out, "--format", "json")
    assert inspected.returncode == 0, inspected.stderr
    assert "LSTM(" in inspected.stdout and "GRU(" in inspected.stdout
