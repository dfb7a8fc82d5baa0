"""`gradcli`: the typer app, and the one place any error becomes a one-line message."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.text import Text

from gradcli import __version__
from gradcli.backend import keep_freed_memory
from gradcli.cli import config_cmd, datasets
from gradcli.cli import runs as runs_cmd
from gradcli.cli.eval import eval_
from gradcli.cli.export import export
from gradcli.cli.inspect_graph import inspect_graph
from gradcli.cli.options import Command, Group
from gradcli.cli.predict import predict
from gradcli.cli.sweep import sweep
from gradcli.cli.torch_run import CONTEXT, torch_run
from gradcli.cli.train import train
from gradcli.distributed.world import abort_job, job_rank
from gradcli.errors import ConfigError, GradcliError

app = typer.Typer(
    name="gradcli",
    help=(
        "Train neural networks described by YAML configs on gradcli's own autograd engine.\n\n"
        "Example: gradcli train configs/quickstart.yaml"
    ),
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(datasets.app, name="datasets", cls=Group)
app.add_typer(config_cmd.app, name="config")
app.add_typer(runs_cmd.app, name="runs")
app.command(cls=Command)(train)
app.command("eval", cls=Command)(eval_)
app.command("export", cls=Command)(export)
app.command("inspect-graph", cls=Command)(inspect_graph)
app.command("sweep", cls=Command)(sweep)
app.command("predict", cls=Command)(predict)
app.command("torch-run", cls=Command, context_settings=CONTEXT)(torch_run)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

_DEBUG_HINT = "(rerun with --debug for the traceback)"
_MAX_DETAIL = 300  # characters of an unexpected exception's text: a repr can be megabytes


def _version(value: bool):
    if value:
        typer.echo(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
):
    if debug:
        os.environ["GRADCLI_DEBUG"] = "1"


def _debug_requested(argv) -> bool:
    return "--debug" in argv or os.environ.get("GRADCLI_DEBUG") == "1"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def describe(e: Exception) -> tuple[str, int]:
    """The message and exit code for an error that reached the top.

    gradcli's own errors are already worded for the user: a config error may list several
    problems, one per line, and any other is kept whole on one line. Anything else is a bug or
    an environment problem, said in one short line with a pointer to --debug.
    """
    if isinstance(e, ConfigError):
        return str(e), 2
    if _is_usage_error(e):  # click's own: an unknown option or command, a missing argument
        where = getattr(getattr(e, "ctx", None), "command_path", "gradcli")
        return f"{_one_line(e.format_message())} (see `{where} --help`)", e.exit_code
    if isinstance(e, GradcliError):
        return " ".join(str(e).split()), 1
    if isinstance(e, MemoryError):
        detail = f" ({_one_line(str(e))})" if str(e) else ""
        what = f"out of memory{detail}; use a smaller dataset, model or batch size"
    elif isinstance(e, RecursionError):
        what = "input nested too deeply to process (RecursionError)"
    elif isinstance(e, OSError) and e.strerror:
        names = [str(f) for f in (e.filename, e.filename2) if f is not None]
        # a 300-character file name is the error itself: keep the message one readable line
        where = " -> ".join(_one_line(n) for n in names)
        what = f"{where}: {e.strerror}" if where else e.strerror
    else:
        detail = _one_line(str(e))
        what = f"{type(e).__name__}: {detail}" if detail else type(e).__name__
    return f"{what} {_DEBUG_HINT}", 1


def _is_usage_error(e: Exception) -> bool:
    # by name: typer ships its own copy of click, and older typers use click itself
    return any(c.__name__ == "UsageError" for c in type(e).__mro__)


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage and config errors exit 2, runtime failures 1, Ctrl-C 130."""
    argv = list(sys.argv[1:] if argv is None else argv)
    keep_freed_memory()
    try:
        # not standalone: click's usage errors come here, to be said in one line like the rest
        code = app(args=argv, prog_name="gradcli", standalone_mode=False)
    except KeyboardInterrupt:  # typer turns Ctrl-C during a command into exit 130 itself
        err_console.print("interrupted", style="yellow")
        _leave(130, collective=False)
    except Exception as e:  # noqa: BLE001 - the one place every failure becomes a message
        if type(e).__name__ == "NoArgsIsHelpError":  # `gradcli` or `gradcli datasets` alone
            e.ctx.get_help()  # prints it
            sys.exit(e.exit_code)
        if _debug_requested(argv):
            raise
        message, code = describe(e)
        # a usage or config error is the same on every rank: rank 0 alone says it
        collective = getattr(e, "collective", isinstance(e, ConfigError) or _is_usage_error(e))
        rank = job_rank()
        if rank is None or rank == 0 or not collective:
            # Text, not markup: messages hold paths and hints like `pip install 'gradcli[cuda12]'`
            who = f"rank {rank}: " if rank and not collective else ""
            err_console.print(Text.assemble(("error:", "red"), " ", who, message))
        _leave(code, collective)
    sys.exit(code or 0)  # code: typer.Exit(N) from a command, 130 after Ctrl-C


def _leave(code: int, collective: bool):
    """Exit. A rank that fails alone ends the whole job: the others would wait for it."""
    if job_rank() is not None and not collective:
        abort_job(code)
    sys.exit(code)
