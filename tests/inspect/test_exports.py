"""DOT, SVG and JSON exports of the graph and layer table."""

import json
import re
import shutil
import stat

import pytest
from inspect_helpers import QUICKSTART

from gradcli.config.load import load_config
from gradcli.errors import GradcliError
from gradcli.inspect import GraphvizError, summarize, to_dot, to_json, to_svg, trace_graph


@pytest.fixture(scope="module")
def config():
    return load_config(QUICKSTART)


@pytest.fixture(scope="module")
def graph(config):
    return trace_graph(config, batch_size=2)


def test_dot_is_well_formed(graph):
    text = to_dot(graph, "quickstart")
    lines = text.strip().splitlines()
    assert lines[0] == 'digraph "quickstart" {' and lines[-1] == "}"
    assert text.count("{") == text.count("}") and text.count('"') % 2 == 0
    node_lines = [line for line in lines if re.match(r"\s+n\d+ \[label=", line)]
    assert len(node_lines) == len(graph.nodes)
    param_lines = [line for line in node_lines if "#add8e6" in line]  # parameter style
    assert len(param_lines) == len(graph.params) == 8
    assert any('label="0.weight\\n[16, 1, 3, 3]"' in line for line in param_lines)
    defined = {int(m) for m in re.findall(r"^\s+n(\d+) \[", text, re.M)}
    edges = re.findall(r"^\s+n(\d+) -> n(\d+);$", text, re.M)
    assert len(edges) == len(graph.edges)
    assert all(int(a) in defined and int(b) in defined for a, b in edges)


def test_json_for_tools(config, graph):
    doc = json.loads(to_json(summarize(config, 2), graph))
    assert [row["kind"] for row in doc["layers"]][:3] == ["conv2d", "relu", "maxpool2d"]
    assert doc["layers"][0]["output_shape"] == [2, 16, 28, 28]
    assert doc["layers"][0]["params"] == 160 and doc["layers"][0]["macs"] == 112_896
    nodes = doc["graph"]["nodes"]
    assert nodes[0]["id"] == 0 and nodes[0]["name"] == "CrossEntropyLossBackward0"
    assert nodes[0]["shape"] == []
    params = {n["param"]: n["shape"] for n in nodes if "param" in n}
    assert params["7.weight"] == [64, 1568] and len(params) == 8
    ids = {n["id"] for n in nodes}
    assert all(len(e) == 2 and set(e) <= ids for e in doc["graph"]["edges"])
    assert doc["totals"]["params"] == 105_866 and doc["batch_size"] == 2


def test_svg_without_graphviz_says_how_to_install(monkeypatch, graph):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphvizError, match="apt-get install graphviz") as err:
        to_svg(to_dot(graph))
    assert isinstance(err.value, GradcliError) and "--format dot" in str(err.value)


def _fake_dot(tmp_path, body: str):
    path = tmp_path / "dot"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_svg_runs_dot(monkeypatch, tmp_path, graph):
    # a stand-in `dot` that checks it was asked for SVG and got the DOT text on stdin
    fake = _fake_dot(
        tmp_path, '[ "$1" = "-Tsvg" ] || exit 3\ngrep -q "^digraph" || exit 4\necho "<svg/>"'
    )
    monkeypatch.setattr(shutil, "which", lambda name: fake)
    assert to_svg(to_dot(graph)).strip() == "<svg/>"


def test_svg_reports_a_failing_dot(monkeypatch, tmp_path):
    fake = _fake_dot(tmp_path, 'echo "Error: syntax error in line 1" >&2\nexit 1')
    monkeypatch.setattr(shutil, "which", lambda name: fake)
    with pytest.raises(GraphvizError, match="syntax error in line 1"):
        to_svg("digraph {")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_svg_with_real_graphviz(graph):
    assert "<svg" in to_svg(to_dot(graph))
