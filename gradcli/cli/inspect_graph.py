"""`gradcli inspect-graph CONFIG|CHECKPOINT`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from gradcli.cli import options
from gradcli.errors import ConfigError
from gradcli.inspect import (
    CONFIG_SUFFIXES,
    check_format,
    graph_of,
    load_target,
    summarize,
    to_dot,
    to_json,
    to_svg,
)
from gradcli.inspect.render import graph_tree, summary_table, to_text


def inspect_graph(
    target: Path = typer.Argument(
        ..., help="A .yaml config, a checkpoint file or a run folder.", show_default=False
    ),
    fmt: str = typer.Option(
        "table", "--format", "-f", help="table, tree, dot, json or svg (svg needs Graphviz)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead of the terminal."
    ),
    batch_size: int | None = options.BatchSize,
    set_: list[str] | None = options.Set,
    debug: bool = options.Debug,
):
    """Show a model's layers, or the autograd graph of one training step.

    Example: gradcli inspect-graph configs/quickstart.yaml --format tree
    """
    check_format(fmt)
    found = load_target(target, set_ or ())
    _check_output(output, (target, found.path))
    batch = batch_size or found.config.data.batch_size
    if fmt == "table":
        _show(summary_table(summarize(found.config, batch)), output)
    elif fmt == "tree":
        title = f"autograd graph of {found.config.name}, batch {batch}"
        _show(graph_tree(graph_of(found, batch), title), output)
    elif fmt == "dot":
        _write(to_dot(graph_of(found, batch), found.config.name), output)
    elif fmt == "json":
        _write(to_json(summarize(found.config, batch), graph_of(found, batch)), output)
    else:
        _write(to_svg(to_dot(graph_of(found, batch), found.config.name)), output)


def _check_output(output: Path | None, inputs) -> None:
    """-o must not name what is being inspected: writing there would destroy the config or
    checkpoint (a run folder's target is its last checkpoint, so `inputs` holds both)."""
    if output is None or not output.is_file():
        return
    for path in inputs:
        if path is not None and path.is_file() and output.samefile(path):
            raise ConfigError(
                f"-o {output} is the file being inspected ({_kind(path)}); "
                "write the output to another file"
            )


def _kind(path: Path) -> str:
    return "the config" if path.suffix.lower() in CONFIG_SUFFIXES else "the checkpoint"


def _show(renderable, output: Path | None) -> None:
    if output is not None:
        _write(to_text(renderable), output)
    elif sys.stdout.isatty():
        Console(highlight=False).print(renderable)
    else:  # piped: plain text, not wrapped at 80 columns, so the table keeps a line per layer
        sys.stdout.write(to_text(renderable))


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot write -o {output}: {e.strerror or e}") from None
    Console(highlight=False, soft_wrap=True).print(f"wrote {output}", markup=False)
