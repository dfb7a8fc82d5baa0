"""`gradcli runs [RUNS_DIR]` and `gradcli runs compare RUN...` (gradcli.experiments)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gradcli.cli.options import Command, Group
from gradcli.experiments.compare import compare_runs
from gradcli.experiments.runs import RunRecord, list_runs

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

Json = typer.Option(False, "--json", help="Print JSON instead of a table.")
_COLOURS = {"finished": "green", "running": "cyan", "interrupted": "yellow", "failed": "red"}


class RunsGroup(Group):
    """`gradcli runs` lists by default: a first argument that is not a subcommand (a folder,
    an option) goes to `list`, so `gradcli runs runs/` and `gradcli runs compare A B` both
    work. click alone cannot have both: a group's optional argument would take `compare`."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["list", *args]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx) -> list[str]:
        return ["[list] [OPTIONS] [RUNS_DIR]", "|", "compare [OPTIONS] RUN..."]


app = typer.Typer(
    cls=RunsGroup,
    help="List training runs, newest first, and compare them.\n\n"
    "`gradcli runs [RUNS_DIR]` is short for `gradcli runs list [RUNS_DIR]` (a folder named "
    "list or compare: write ./compare).\n\n"
    "Example: gradcli runs runs --name mnist",
)


@app.command("list", cls=Command)
def list_(
    runs_dir: Path = typer.Argument(
        Path("runs"), help="The folder runs are written to (output.runs_dir).", show_default=True
    ),
    name: str | None = typer.Option(
        None, "--name", "-n", help="Only runs whose name contains this (or matches it: 'mnist*')."
    ),
    json_: bool = Json,
):
    """A table of the runs under RUNS_DIR, newest first: status, progress, best metric, time.

    Example: gradcli runs list runs --name quickstart
    """
    records = list_runs(runs_dir, name)
    if json_:
        typer.echo(_json([r.to_dict() for r in records]))
        return
    if not records:
        which = f" named like {name!r}" if name else ""
        console.print(f"no runs{which} under {escape(str(runs_dir))}")
        return
    console.print(_table(records, runs_dir), soft_wrap=False)  # fitted to the terminal
    for r in records:
        for notice in r.notices:
            err_console.print(f"[yellow]{escape(str(r.folder))}: {escape(notice)}[/yellow]")


@app.command("compare", cls=Command)
def compare(
    run: list[Path] = typer.Argument(
        ..., metavar="RUN...", help="Run folders, as `gradcli runs` lists them.", show_default=False
    ),
    output: Path = typer.Option(
        Path("compare.png"), "--output", "-o", metavar="FILE", help="Where to write the PNG."
    ),
    json_: bool = Json,
):
    """Draw the runs' loss and accuracy per epoch in one PNG; print the config keys that differ.

    Example: gradcli runs compare runs/mnist_mlp/20261201-101500 runs/mnist_mlp/20261201-103000
    """
    result = compare_runs(run, output)
    for notice in result.notices:
        err_console.print(f"[yellow]{escape(notice)}[/yellow]")
    if json_:
        out = {"runs": result.labels, "png": str(result.png) if result.png else None,
               "differing": result.differing}  # fmt: skip
        typer.echo(_json(out))
        return
    if result.png is not None:
        console.print(f"curves: {escape(str(result.png))}")
    if not result.differing:
        console.print("the configs are the same")
        return
    table = _plain_table()
    table.add_column("config key", overflow="fold")  # whole, to paste into --set
    for label in result.labels:
        table.add_column(escape(label), overflow="fold")
    for key, values in result.differing.items():
        cells = [_value(values[label]) if label in values else "-" for label in result.labels]
        table.add_row(escape(key), *map(escape, cells))
    console.print(table, soft_wrap=False)


def _table(records: list[RunRecord], runs_dir: Path) -> Table:
    """A row per run. Narrow enough for 80 columns where it can be: the name only where it is
    not the run's folder (runs/<name>/<stamp>), the best metric's name under the table when the runs
    share it, and cells that can wrap (dates, names, best) wrap at spaces."""
    folders = [_relative(r.folder, runs_dir) for r in records]
    with_name = any(f.split("/")[0] != r.name for f, r in zip(folders, records))
    metrics = {r.best_metric for r in records if r.best_metric}
    shared = metrics.pop() if len(metrics) == 1 else None
    caption = f"best: {shared} @ the epoch it was reached" if shared else None
    table = _plain_table(caption)
    # in a narrow terminal a cell wraps, or folds, but is never cut short with an ellipsis
    table.add_column("run", no_wrap=True, overflow="fold")
    if with_name:
        table.add_column("name", overflow="fold")
    table.add_column("started", min_width=7)
    for heading in ("status", "epochs", "steps"):
        table.add_column(heading, no_wrap=True)
    table.add_column("best", min_width=6)
    table.add_column("wall", no_wrap=True)
    table.add_column("device", no_wrap=True)
    for folder, r in zip(folders, records):
        colour = _COLOURS.get(r.status or "")
        status = f"[{colour}]{r.status}[/{colour}]" if colour else "-"
        planned = r.planned_epochs if r.status != "finished" else None
        best = "-"
        if r.best_value is not None:
            best = f"{r.best_value:.4g} @{r.best_epoch}"
            best = best if shared else f"{r.best_metric} {best}"
        cells = [escape(folder), *([escape(r.name)] if with_name else []), _when(r.started),
                 status, _count(r.epochs, planned), _count(r.steps, None), escape(best),
                 _duration(r.wall_s), escape(r.device or "-")]  # fmt: skip
        table.add_row(*cells)
    return table


def _plain_table(caption: str | None = None) -> Table:
    """Columns a space apart under a rule: as many columns as can be fit in 80."""
    return Table(box=box.SIMPLE_HEAD, show_edge=False, padding=0, caption=caption,
                 caption_justify="left")  # fmt: skip


def _relative(folder: Path, runs_dir: Path) -> str:
    if folder == runs_dir or not folder.is_relative_to(runs_dir):
        return str(folder)
    return folder.relative_to(runs_dir).as_posix()


def _when(t: float | None) -> str:
    """`12-01 14:05` this year, `2025-12-01` before: the table must fit 80 columns."""
    if t is None:
        return "-"
    this_year = time.localtime().tm_year == time.localtime(t).tm_year
    return time.strftime("%m-%d %H:%M" if this_year else "%Y-%m-%d", time.localtime(t))


def _count(done: int | None, planned: int | None) -> str:
    if done is None:
        return "-" if planned is None else f"0/{planned}"
    return str(done) if planned is None else f"{done}/{planned}"


def _duration(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 60:
        return f"{s:.1f}s"
    m, s = divmod(round(s), 60)
    return f"{m}m {s:02d}s" if m < 60 else f"{m // 60}h {m % 60:02d}m"


def _value(v) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _json(data) -> str:
    """Strict JSON: a non-finite number (a diverged loss) becomes null."""
    return json.dumps(_finite(data), indent=2)


def _finite(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x
