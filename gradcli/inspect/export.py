"""The graph and layer table for other tools: Graphviz DOT, SVG (through Graphviz) and JSON.

>>> print(to_dot(trace_graph(config)))   # then: dot -Tsvg graph.dot -o graph.svg
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict

from gradcli.errors import GradcliError
from gradcli.inspect.graph import Graph, Node
from gradcli.inspect.summary import Summary

INSTALL_HINT = (
    "install Graphviz (`apt-get install graphviz` or `brew install graphviz`), or use "
    "--format dot and render the file elsewhere (e.g. `dot -Tsvg graph.dot -o graph.svg`)"
)

_OP = 'shape=box, style="rounded,filled", fillcolor="#eeeeee"'
_PARAM = 'shape=box, style=filled, fillcolor="#add8e6"'
_LOSS = 'shape=box, style="rounded,filled", fillcolor="#caff70"'


class GraphvizError(GradcliError, RuntimeError):
    """The Graphviz `dot` program is missing or failed."""


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "?" if shape is None else "[" + ", ".join(str(d) for d in shape) + "]"


def _label(node: Node) -> str:
    lines = [node.param or node.name, shape_text(node.shape)]
    if node.param is None and node.layer is not None:
        lines.append(f"layer {node.layer}")
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def to_dot(graph: Graph, title: str = "gradcli") -> str:
    """A Graphviz digraph: edges follow the forward pass, from parameters down to the loss."""
    lines = [
        f'digraph "{title}" {{',
        '  graph [fontname="monospace"];',
        '  node [fontname="monospace", fontsize=10];',
    ]
    for node in graph.nodes:
        style = _PARAM if node.param is not None else (_LOSS if node.id == 0 else _OP)
        lines.append(f'  n{node.id} [label="{_label(node)}", {style}];')
    lines += [f"  n{src} -> n{dst};" for src, dst in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(dot_text: str) -> str:
    """Render DOT text with the Graphviz `dot` program."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizError(f"--format svg needs the Graphviz `dot` program: {INSTALL_HINT}")
    try:
        done = subprocess.run(
            [dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GraphvizError(f"could not run {dot}: {e}") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise GraphvizError(f"Graphviz dot failed: {detail[0]}")
    return done.stdout


def to_json(summary: Summary, graph: Graph) -> str:
    """`{"layers": [...], "graph": {"nodes": [...], "edges": [[from, to], ...]}, "totals": ...}`.

    Edges point the way data flows forward, `[input node, consumer node]`; node 0 is the loss.
    """
    layers = []
    for row in summary.rows:
        item = asdict(row)
        item["output_shape"] = list(row.output_shape)
        layers.append(item)
    nodes = []
    for node in graph.nodes:
        item = {"id": node.id, "name": node.name, "shape": _list(node.shape)}
        if node.param is not None:
            item["param"] = node.param
        if node.layer is not None:
            item["layer"] = node.layer
        nodes.append(item)
    doc = {
        "name": summary.name,
        "input_shape": list(summary.input_shape),
        "batch_size": summary.batch_size,
        "dtype": summary.dtype,
        "layers": layers,
        "graph": {"nodes": nodes, "edges": [list(e) for e in graph.edges]},
        "totals": asdict(summary.totals),
    }
    return json.dumps(doc, indent=2) + "\n"


def _list(shape):
    return None if shape is None else list(shape)
