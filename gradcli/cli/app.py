"""`gradcli`: the typer app, and the one place library errors become a one-line message."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from gradcli import __version__
from gradcli.backend import keep_freed_memory
from gradcli.cli import config_cmd, datasets
from gradcli.cli.eval import eval_
from gradcli.cli.inspect_graph import inspect_graph
from gradcli.cli.train import train
from gradcli.errors import ConfigError, GradcliError

app = typer.Typer(
    name="gradcli",
    help=(
        "Train neural networks described by YAML configs on gradcli's own autograd engine.\n\n"
        "Example: gradcli train configs/quickstart.yaml"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(datasets.app, name="datasets")
app.add_typer(config_cmd.app, name="config")
app.command()(train)
app.command("eval")(eval_)
app.command("inspect-graph")(inspect_graph)

err_console = Console(stderr=True, highlight=False)


def _version(value: bool):
    if value:
        typer.echo(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
):
    if debug:
        os.environ["GRADCLI_DEBUG"] = "1"


def _debug_requested(argv) -> bool:
    return "--debug" in argv or os.environ.get("GRADCLI_DEBUG") == "1"


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage and config errors exit 2, runtime failures 1, Ctrl-C 130."""
    argv = list(sys.argv[1:] if argv is None else argv)
    keep_freed_memory()
    try:
        app(args=argv, prog_name="gradcli")
    except GradcliError as e:
        if _debug_requested(argv):
            raise
        err_console.print(f"[red]error:[/red] {e}", soft_wrap=True)
        sys.exit(2 if isinstance(e, ConfigError) else 1)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/yellow]")
        sys.exit(130)
