"""Rich renderables for the layer table and the graph tree; `to_text` turns one into plain text.

Nothing here prints: the CLI decides where the renderable goes.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from gradcli.inspect.export import shape_text
from gradcli.inspect.graph import Graph
from gradcli.inspect.summary import Summary


def human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def human_count(n: int) -> str:
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:.2f} {unit}"
    return str(n)


def summary_table(s: Summary) -> Group:
    """A torchinfo-like table, then the totals and the memory estimate at the batch size."""
    # Text, not markup: names, layer reprs and shapes are printed as written, brackets and all
    table = Table(title=Text(f"{s.name}: batch {s.batch_size}, {s.dtype}"), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Layer", overflow="fold")
    table.add_column("Output shape")
    merges = any(r.inputs for r in s.rows)  # a graph: which saved outputs each merge takes
    if merges:
        table.add_column("Inputs")
    table.add_column("Params", justify="right")
    table.add_column("Trainable", justify="center")
    table.add_column("Mult-adds/sample", justify="right")
    extra = [""] if merges else []
    table.add_row("", "input", Text(shape_text(s.input_shape)), *extra, "", "", "")
    for r in s.rows:
        table.add_row(
            str(r.index), Text(r.layer), Text(shape_text(r.output_shape)),
            *([Text(r.inputs)] if merges else []), f"{r.params:,}",
            r.trainable, f"{r.macs:,}" if r.macs else "-",
        )  # fmt: skip
    t = s.totals
    table.add_section()
    table.add_row("", "total", "", *extra, f"{t.params:,}", "", f"{t.macs_per_sample:,}")

    facts = Table.grid(padding=(0, 2))
    facts.add_column()
    facts.add_column(justify="right")
    facts.add_column()
    rows = [
        ("Total params", f"{t.params:,}", ""),
        ("Trainable params", f"{t.trainable_params:,}", ""),
        ("Non-trainable params", f"{t.non_trainable_params:,}", ""),
        ("Mult-adds per sample", human_count(t.macs_per_sample), "weight products"),
        (f"Mult-adds per batch of {s.batch_size}", human_count(t.macs_per_batch), ""),
        ("Input", human_bytes(t.input_bytes), shape_text(s.input_shape)),
        ("Parameters", human_bytes(t.param_bytes), ""),
        ("Activations", human_bytes(t.activation_bytes), "every layer's output"),
        ("Gradients", human_bytes(t.gradient_bytes), "parameters + activations"),
        ("Estimated total", human_bytes(t.total_bytes), "excluding optimizer state"),
    ]
    for row in rows:
        facts.add_row(*row)
    return Group(table, Text(""), facts)


def graph_tree(graph: Graph, title: str = "autograd graph") -> Tree:
    """The graph from the loss down; a node reached again is shown once and referenced later."""
    shared = {i for i, n in graph.parents().items() if n > 1}
    tree = Tree(Text(title, style="bold"))
    shown: set[int] = set()
    # (rich parent, node id); iterative so deep graphs do not hit the recursion limit
    stack = [(tree, 0)]
    while stack:
        parent, i = stack.pop()
        node = graph.nodes[i]
        if i in shown:
            parent.add(Text(f"{node.name} #{i} (see above)", style="dim"))
            continue
        shown.add(i)
        branch = parent.add(_label(node, i if i in shared else None))
        stack.extend((branch, j) for j in reversed(node.inputs))
    return tree


def _label(node, ref: int | None) -> Text:
    if node.param is not None:
        text = Text.assemble((node.name, "cyan"), " ", (node.param, "bold cyan"))
    else:
        text = Text(node.name, style="bold" if node.id == 0 else "")
    if ref is not None:
        text.append(f" #{ref}", style="magenta")
    text.append(f" {shape_text(node.shape)}", style="green")
    if node.param is None and node.layer is not None:
        text.append(f"  layer {node.layer}", style="dim")
    return text


def to_text(renderable, width: int = 160) -> str:
    """Plain text (no colours, no control codes), for `-o FILE`."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
