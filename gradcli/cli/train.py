"""`gradcli train CONFIG`: parse, start or resume the run (gradcli.train.session), render."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from gradcli.cli import options
from gradcli.cli.progress import PlainDisplay, Quiet, RichDisplay
from gradcli.config.load import load_config
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
    debug: bool = options.Debug,
):
    """Train the network a config describes.

    Example: gradcli train configs/quickstart.yaml --set train.epochs=2
    """
    display = _display(quiet)
    how = dict(run_dir=run_dir, device=device, data_root=data, display=[display],
               command=shlex.join(["gradcli", *sys.argv[1:]]))  # fmt: skip
    if resume is not None:
        if config is not None:
            raise ConfigError("give either CONFIG or --resume, not both")
        run = session.resume(resume, set_ or (), **how)
    elif config is None:
        raise ConfigError("give a CONFIG file, or --resume RUN_DIR to continue a run")
    else:
        run = session.start(load_config(config, set_ or ()), **how)
    for notice in run.notices:
        console.print(f"[yellow]{escape(notice)}[/yellow]")
    try:
        run.fit()
    except TrainingInterrupted as e:
        again = f"gradcli train --resume {shlex.quote(str(run.folder))}"
        console.print(f"[yellow]{escape(str(e))}[/yellow]\nresume with: {escape(again)}")
        raise typer.Exit(e.exit_code) from None
    console.print(f"run folder: {escape(str(run.folder))}")


def _display(quiet: bool):
    if quiet:
        return Quiet()
    # TERM=dumb (Emacs shells, some CI logs) cannot redraw a bar: rich would leave a blank line
    # after every epoch line instead
    if console.is_terminal and not console.is_dumb_terminal and sys.stdout.isatty():
        return RichDisplay(console)
    return PlainDisplay(console)
