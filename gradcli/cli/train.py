"""`gradcli train CONFIG`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer
from rich.console import Console

from gradcli.backend import cuda_available, resolve_device
from gradcli.cli import options
from gradcli.cli.progress import PlainDisplay, Quiet, RichDisplay
from gradcli.config.load import Source, load_config, load_data
from gradcli.errors import ConfigError
from gradcli.train import checkpoint
from gradcli.train.run import new_run_dir, write_config
from gradcli.train.trainer import Trainer, TrainingInterrupted

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
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Write the run here (new folder)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the final line."),
    debug: bool = options.Debug,
):
    """Train the network a config describes.

    Example: gradcli train configs/quickstart.yaml --set train.epochs=2
    """
    ck = None
    if resume is not None:
        path = checkpoint.resolve(resume)
        ck = checkpoint.load(path)
        cfg = load_data(ck.meta["config"], Source(str(path), {}), set_ or ())
        folder = path.parent.parent
    elif config is None:
        raise ConfigError("give a CONFIG file, or --resume RUN_DIR to continue a run")
    else:
        cfg = load_config(config, set_ or ())
        folder = _fresh(run_dir) if run_dir else new_run_dir(cfg.output.runs_dir, cfg.name)
    spec = device or cfg.device
    dev = resolve_device(spec)
    if spec == "auto" and dev.type == "cpu" and not cuda_available():
        console.print("[yellow]device auto: no usable GPU, training on the CPU[/yellow]")
    write_config(folder, cfg)
    display = _display(quiet)
    trainer = Trainer(cfg, folder, dev, [display], resume=ck)
    try:
        try:
            trainer.fit()
        finally:
            display.close()  # before any message, so a live bar is not drawn over it
    except TrainingInterrupted as e:
        again = f"gradcli train --resume {shlex.quote(str(folder))}"
        console.print(f"[yellow]{e}[/yellow]\nresume with: {again}")
        raise typer.Exit(130) from None
    console.print(f"run folder: {folder}")


def _fresh(path: Path) -> Path:
    if path.exists() and any(path.iterdir()):
        raise ConfigError(f"--run-dir {path} is not empty; runs are never overwritten")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _display(quiet: bool):
    if quiet:
        return Quiet()
    if console.is_terminal and sys.stdout.isatty():
        return RichDisplay(console)
    return PlainDisplay(console)
