"""`gradcli train CONFIG`: parse, start or resume the run (gradcli.train.session), render."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from gradcli import threads
from gradcli.cli import options
from gradcli.cli.progress import PlainDisplay, Quiet, RichDisplay
from gradcli.distributed import detect, launched_size
from gradcli.distributed.launch import launch
from gradcli.errors import ConfigError
from gradcli.train import session
from gradcli.train.state import TrainingInterrupted

console = Console(highlight=False, soft_wrap=True)


def train(
    config: Path | None = typer.Argument(
        None, help="The run's YAML config (optional with --resume).", show_default=False
    ),
    set_: list[str] | None = options.Set,
    resume: Path | None = typer.Option(
        None, "--resume", help="A run folder or checkpoint to continue exactly."
    ),
    device: str | None = options.Device,
    data: Path | None = options.Data,
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Write the run here (new folder)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the final line."),
    procs: int | None = typer.Option(
        None,
        "--procs",
        min=1,
        help="Train data-parallel on K processes of this machine, started with mpiexec "
        "(pip install 'gradcli[mpi]'). On a cluster: mpirun -n K gradcli train ...",
    ),
    threads_: str | None = options.Threads,
    debug: bool = options.Debug,
):
    """Train the network a config describes.

    Example: gradcli train configs/quickstart.yaml --set train.epochs=2
    """
    if procs is not None and launched_size() <= 1:
        raise typer.Exit(launch(procs, _without_procs(sys.argv[1:])))
    threads.configure(threads_)
    world = detect()
    display = _display(quiet) if world.is_main else Quiet()
    how = dict(run_dir=run_dir, device=device, data_root=data, display=[display],
               command=shlex.join(["gradcli", *sys.argv[1:]]), world=world)  # fmt: skip
    if resume is not None:
        if config is not None:
            raise ConfigError("give either CONFIG or --resume, not both")
        run = session.resume(resume, set_ or (), **how)
    elif config is None:
        raise ConfigError("give a CONFIG file, or --resume RUN_DIR to continue a run")
    else:
        run = session.start(config, set_ or (), **how)
    for notice in run.notices:
        console.print(f"[yellow]{escape(notice)}[/yellow]")
    try:
        run.fit()
    except TrainingInterrupted as e:
        if not world.is_main:  # rank 0 says it once
            raise typer.Exit(e.exit_code) from None
        again = f"gradcli train --resume {shlex.quote(str(run.folder))}"
        console.print(f"[yellow]{escape(str(e))}[/yellow]\nresume with: {escape(again)}")
        raise typer.Exit(e.exit_code) from None
    if world.is_main:
        console.print(f"run folder: {escape(str(run.folder))}")


def _without_procs(args: list[str]) -> list[str]:
    """The command line each rank runs: the same, less --procs K."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--procs":
            skip = True
        elif not arg.startswith("--procs="):
            out.append(arg)
    return out


def _display(quiet: bool):
    if quiet:
        return Quiet()
    # TERM=dumb (Emacs shells, some CI logs) cannot redraw a bar: rich would leave a blank line
    # after every epoch line instead
    if console.is_terminal and not console.is_dumb_terminal and sys.stdout.isatty():
        return RichDisplay(console)
    return PlainDisplay(console)
