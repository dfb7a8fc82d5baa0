"""`gradcli datasets list|download`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from gradcli.cli import options
from gradcli.cli.options import Command
from gradcli.data.download import dataset_status, download
from gradcli.data.paths import ENV_VAR, resolve_root

app = typer.Typer(help="List and download the datasets gradcli knows.", no_args_is_help=True)
console = Console(highlight=False)

_WHY = {
    "root": "from the command line",
    "env": f"from ${ENV_VAR}",
    "default": f"the per-user default; set {ENV_VAR} or pass --root to change it",
}


@app.command("list", cls=Command)
def list_(
    root: Path | None = options.Data,
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check MD5 checksums."),
):
    """What is known, and what is present and verified where.

    Example: gradcli datasets list --root ../shared/datasets
    """
    chosen = resolve_root(root)
    # soft_wrap: a path broken over two lines cannot be pasted back
    console.print(f"data root: {chosen.path} ({_WHY[chosen.reason]})", markup=False, soft_wrap=True)
    table = Table("dataset", "folder (in the data root)", "status", "files")
    for st in dataset_status(root, verify=verify):
        present = sum(f.present for f in st.files)
        if st.ready and st.verified:
            status = "[green]ready, verified[/green]"
        elif st.ready:
            status = "[yellow]ready, not verified[/yellow]"
        else:
            status = "[red]missing[/red]"
        folder = (
            st.folder.relative_to(chosen.path)
            if st.folder.is_relative_to(chosen.path)
            else st.folder
        )
        # names and paths are data, not markup: a folder called `[x]` must print as itself
        table.add_row(escape(st.name), escape(f"{folder}/"), status, f"{present}/{len(st.files)}")
    console.print(table)


@app.command("download", cls=Command)
def download_(
    name: str = typer.Argument(..., help="mnist, fashion-mnist or cifar10."),
    root: Path | None = options.Data,
    force: bool = typer.Option(False, "--force", help="Delete the files and download them again."),
):
    """Download a dataset, verify its checksums and put it in place atomically.

    Example: gradcli datasets download fashion-mnist  (into the root `datasets list` shows)
    """
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = {"id": None}

        def on_file(filename: str):
            task["id"] = bar.add_task(escape(filename), total=None)
            if not console.is_terminal:
                console.print(f"downloading {filename}", markup=False)

        def progress(done: int, total: int | None):
            bar.update(task["id"], completed=done, total=total)

        folder = download(name, root, progress, on_file=on_file, force=force)
    console.print(
        f"[green]{escape(name)}[/green] is ready in {escape(str(folder))}", soft_wrap=True
    )
