"""Graph models in the YAML: a residual / branching / skip-connection network built from the
config computes exactly what the same network written by hand computes, and its parameters and
state_dict keys are stable; `--set` reaches into blocks; ResNet-20 has its known size."""

import numpy as np
import pytest

import gradcli
from gradcli import nn
from gradcli.config.build import build_model, trace_layers
from gradcli.config.load import load_config
from gradcli.errors import ConfigError
from gradcli.inspect.summary import summarize

GRAPH = """\
name: graph
data: {dataset: shapes}
model:
  input_shape: [2, 8, 8]
  blocks:
    unit:
      params: {channels: 4, stride: 1}
      residual:
        - conv2d: {out_channels: $channels, kernel_size: 3, stride: $stride, padding: 1}
        - batchnorm2d
        - relu
        - conv2d: {out_channels: $channels, kernel_size: 3, padding: 1}
      shortcut: auto
      after: relu
  layers:
    - conv2d: {out_channels: 4, kernel_size: 3, padding: 1}
    - save: stem
    - unit
    - add: stem
    - unit: {channels: 6, stride: 2}
    - branches:
        merge: concat
        paths:
          - [{conv2d: {out_channels: 3, kernel_size: 1}}, relu]
          - [{conv2d: {out_channels: 2, kernel_size: 3, padding: 1}}]
    - residual: [{conv2d: {out_channels: 5, kernel_size: 1}}]
    - global_avgpool
    - identity
    - linear: 3
optimizer: {type: sgd, lr: 0.1}
"""


class Hand(nn.Module):
    """The GRAPH network written by hand."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.b1 = nn.Sequential(
            nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
            nn.Conv2d(4, 4, 3, padding=1),
        )  # fmt: skip
        self.b2 = nn.Sequential(
            nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
            nn.Conv2d(6, 6, 3, padding=1),
        )  # fmt: skip
        self.proj2 = nn.Sequential(nn.Conv2d(4, 6, 1, stride=2, bias=False), nn.BatchNorm2d(6))
        self.p1 = nn.Conv2d(6, 3, 1)
        self.p2 = nn.Conv2d(6, 2, 3, padding=1)
        self.r = nn.Conv2d(5, 5, 1)
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        stem = self.stem(x)
        x = (self.b1(stem) + stem).relu() + stem
        x = (self.b2(x) + self.proj2(x)).relu()
        x = gradcli.cat([self.p1(x).relu(), self.p2(x)], dim=1)
        x = self.r(x) + x
        return self.fc(x.mean(dim=(2, 3)))

    def weights_in_yaml_order(self):
        order = [self.stem, *self.b1, *self.b2, *self.proj2, self.p1, self.p2, self.r, self.fc]
        return [p for m in order for p in m.parameters()]


def _load(tmp_path, text=GRAPH, overrides=()):
    path = tmp_path / "g.yaml"
    path.write_text(text)
    return load_config(path, overrides)


def test_yaml_graph_matches_the_hand_written_network(tmp_path):
    gradcli.manual_seed(0)
    built = build_model(_load(tmp_path))
    hand = Hand()
    ours, theirs = list(built.parameters()), hand.weights_in_yaml_order()
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
    for a, b in zip(ours, theirs):
        b.data = a.detach().clone()  # the same weights
    x = gradcli.randn(3, 2, 8, 8)
    y_built, y_hand = built(x), hand(x)
    np.testing.assert_array_equal(y_built.detach().numpy(), y_hand.detach().numpy())
    y_built.sum().backward()
    y_hand.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_state_dict_keys_are_stable_and_load_back(tmp_path):
    config = _load(tmp_path)
    first, second = build_model(config), build_model(config)
    keys = list(first.state_dict())
    assert keys == list(second.state_dict())
    assert "2.body.0.weight" in keys and "4.shortcut.0.weight" in keys
    assert "5.paths.1.0.weight" in keys and "6.body.0.weight" in keys
    second.load_state_dict(first.state_dict())
    x = gradcli.randn(2, 2, 8, 8)
    first.eval(), second.eval()
    np.testing.assert_array_equal(first(x).detach().numpy(), second(x).detach().numpy())


def test_shapes_through_every_entry(tmp_path):
    traced = trace_layers(_load(tmp_path))
    assert [t.kind for t in traced][:6] == ["conv2d", "save", "unit", "add", "unit", "branches"]
    assert [t.output_shape for t in traced][4:7] == [(6, 4, 4), (5, 4, 4), (5, 4, 4)]
    assert traced[1].save == "stem" and traced[3].reads == ["stem"]


def test_set_reaches_into_blocks(tmp_path):
    config = _load(tmp_path, overrides=["model.blocks.unit.params.channels=8"])
    with pytest.raises(ConfigError) as e:  # the skip connection no longer fits
        trace_layers(config)
    assert str(e.value) == (
        f"{tmp_path / 'g.yaml'}:19:7: model.layers[3]: add needs equal shapes, got current "
        "output [8, 8, 8], 'stem' [4, 8, 8]"
    )
    config = _load(tmp_path, overrides=["model.layers.4.unit.channels=7"])
    assert trace_layers(config)[4].output_shape == (7, 4, 4)


def test_the_written_config_reads_back_the_same(tmp_path):
    config = _load(tmp_path)
    dumped = config.model_dump(mode="json")
    assert dumped["model"]["layers"][2] == "unit"
    assert dumped["model"]["layers"][4] == {"unit": {"channels": 6, "stride": 2}}
    again = type(config).model_validate(dumped)
    assert again.model_dump(mode="json") == dumped


def test_resnet20_has_its_known_size():
    config = load_config("configs/cifar10_resnet20.yaml")
    model = build_model(config)
    assert sum(p.numel() for p in model.parameters()) == 272_474
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 19 + 2  # 19 3x3 convs + the 2 projection shortcuts
    assert tuple(model(gradcli.zeros(2, 3, 32, 32)).shape) == (2, 10)


def test_the_layer_table_shows_merges_and_block_totals(tmp_path):
    rows = summarize(_load(tmp_path), batch_size=1).rows
    assert [r.layer for r in rows[1:5]] == [
        "save: stem",
        "unit (Residual)",
        "Add()",
        "unit (Residual)",
    ]
    assert rows[3].inputs == "prev + stem (#1)" and rows[2].inputs == ""
    assert rows[2].params == 2 * (4 * 4 * 9 + 4) + 2 * 4  # two convs and a batchnorm
    assert rows[2].macs == 2 * 8 * 8 * 4 * 4 * 9  # each conv: 64 positions x 4 x (4 x 3 x 3)
    # conv, batchnorm, relu, conv, add, relu: six 4 x 8 x 8 outputs inside the block
    assert rows[2].activations == 6 * 4 * 8 * 8
