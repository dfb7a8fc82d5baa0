"""The autograd-graph walk: node names, output shapes, parameters once each, shared nodes."""

import pytest
from inspect_helpers import QUICKSTART, write_lenet

import gradcli
from gradcli import nn
from gradcli.config.build import build_model
from gradcli.config.load import load_config
from gradcli.errors import AutogradError, ConfigError
from gradcli.inspect import trace_graph, walk
from gradcli.inspect.render import graph_tree, to_text


@pytest.fixture(scope="module")
def quickstart_graph():
    return trace_graph(load_config(QUICKSTART), batch_size=2)


def test_walk_from_the_loss(quickstart_graph):
    g = quickstart_graph
    assert [n.id for n in g.nodes] == list(range(len(g.nodes)))
    assert g.nodes[0].name == "CrossEntropyLossBackward0" and g.nodes[0].shape == ()
    names = [n.name for n in g.nodes]
    assert names.count("ReluBackward0") == 3
    assert names.count("ConvolutionBackward0") == 2 and names.count("AddmmBackward0") == 2
    assert "MaxPool2DWithIndicesBackward0" in names and "ViewBackward0" in names


def test_every_parameter_once_with_name_and_shape(quickstart_graph):
    model = build_model(load_config(QUICKSTART))
    expected = {name: tuple(p.shape) for name, p in model.named_parameters()}
    params = quickstart_graph.params
    assert all(n.name == "AccumulateGrad" for n in params)
    assert sorted(n.param for n in params) == sorted(expected)  # each exactly once
    assert {n.param: n.shape for n in params} == expected
    assert len([n for n in quickstart_graph.nodes if n.name == "AccumulateGrad"]) == len(expected)


def test_output_shapes_and_layers(quickstart_graph):
    by_layer = {n.layer: n for n in quickstart_graph.nodes if n.layer}
    assert by_layer["0 conv2d"].name == "ConvolutionBackward0"
    assert by_layer["0 conv2d"].shape == (2, 16, 28, 28)
    assert by_layer["5 maxpool2d"].shape == (2, 32, 7, 7)
    assert by_layer["6 flatten"].shape == (2, 1568)
    assert by_layer["9 linear"].shape == (2, 10)
    assert all(n.shape is not None for n in quickstart_graph.nodes)


def test_edges_follow_the_forward_pass(quickstart_graph):
    g = quickstart_graph
    edges = g.edges
    assert all(dst != 0 or g.nodes[src].layer == "9 linear" for src, dst in edges)
    assert all(g.parents()[n.id] >= 1 for n in g.nodes[1:])  # everything reaches the loss
    assert not any(dst == n.id for n in g.params for _, dst in edges)  # params are sources


def test_targets_follow_the_loss(tmp_path):
    path = write_lenet(tmp_path)
    mse = trace_graph(load_config(path, ["loss=mse", "dtype=float64"]), batch_size=3)
    assert mse.nodes[0].name == "MseLossBackward0"
    nll = trace_graph(load_config(path, ["loss=nll"]), batch_size=3)
    assert nll.nodes[0].name == "NllLossBackward0"
    conv = next(n for n in nll.nodes if n.layer == "0 conv2d")
    assert conv.shape == (3, 6, 28, 28)


def test_loss_that_cannot_take_the_output_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"loss \(bce\) cannot take the model's output"):
        trace_graph(load_config(write_lenet(tmp_path), ["loss=bce"]), batch_size=2)


def test_shared_nodes_are_walked_once():
    w = nn.Parameter(gradcli.tensor([1.0, 2.0, 3.0]))
    h = w * 2.0
    loss = (h * h).sum()
    g = walk(loss, {id(w): "w"})
    names = [n.name for n in g.nodes]
    assert names.count("AccumulateGrad") == 1 and names.count("MulBackward0") == 2
    square = g.nodes[1]
    assert square.name == "MulBackward0" and len(square.inputs) == 2
    assert square.inputs[0] == square.inputs[1]  # h feeds both sides
    text = to_text(graph_tree(g))
    assert text.count("AccumulateGrad w [3]") == 1
    assert "(see above)" in text and f"#{square.inputs[0]}" in text


def test_tree_lists_every_parameter(quickstart_graph):
    text = to_text(graph_tree(quickstart_graph, "quickstart"))
    assert text.startswith("quickstart")
    assert "CrossEntropyLossBackward0 []" in text
    assert "ConvolutionBackward0 [2, 16, 28, 28]  layer 0 conv2d" in text
    assert "AccumulateGrad 0.weight [16, 1, 3, 3]" in text
    for n in quickstart_graph.params:
        assert text.count(f"AccumulateGrad {n.param} ") == 1
    assert "(see above)" not in text  # nothing is shared in a plain Sequential


def test_walk_needs_a_graph():
    with pytest.raises(AutogradError, match="no grad_fn"):
        walk(gradcli.zeros(2))
