"""Options shared by several commands, declared once."""

from __future__ import annotations

import typer

Set = typer.Option(
    None,
    "--set",
    "-s",
    metavar="KEY=VALUE",
    help="Override a config key, typed and validated like the file: --set optimizer.lr=0.05",
)
Debug = typer.Option(False, "--debug", help="Show the traceback of errors.", envvar="GRADCLI_DEBUG")
Device = typer.Option(None, "--device", "-d", help="cpu, cuda, cuda:N or auto (overrides device).")
BatchSize = typer.Option(None, "--batch-size", "-b", min=1, help="Batch size to use.")
