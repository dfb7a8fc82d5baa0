"""`gradcli torch-run SCRIPT [ARGS...]`: a PyTorch script, unmodified, on gradcli."""

from __future__ import annotations

from pathlib import Path

import typer

from gradcli.cli import options
from gradcli.torch_run import run_script

# everything after the script is the script's own: options included, --help and --debug too
CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True,
           "allow_interspersed_args": False}  # fmt: skip


def torch_run(
    ctx: typer.Context,
    script: Path = typer.Argument(..., help="The PyTorch script to run."),
    debug: bool = options.Debug,
):
    """Run a PyTorch script with gradcli standing in for torch (torch.nn, torch.optim, ...).

    Example: gradcli torch-run main.py --epochs 1 --lr 0.01
    """
    run_script(script, ctx.args, debug=debug)
