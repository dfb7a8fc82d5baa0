"""`gradcli sweep CONFIG --param KEY=SPEC ...`: parse, run the sweep (gradcli.experiments),
render a line per trial and the table of trials."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gradcli import threads
from gradcli.cli import options
from gradcli.cli.progress import Quiet, duration
from gradcli.errors import ConfigError

console = Console(highlight=False, soft_wrap=True)

_STYLE = {"complete": "green", "pruned": "yellow", "failed": "red", "requeued": "dim",
          "running": "cyan"}  # fmt: skip


def sweep(
    config: Path | None = typer.Argument(
        None,
        help="The YAML config to sweep (optional with --resume, or to join a study).",
        show_default=False,
    ),
    param: list[str] | None = typer.Option(
        None,
        "--param",
        "-p",
        metavar="KEY=SPEC",
        help="A key and the values to try: optimizer.lr=log:1e-4..1e-1 (log scale), "
        "model.layers[0].linear=int:32..256[:STEP], optimizer.momentum=0.8..0.99, "
        "data.batch_size=32,64 (choices). Repeat for each key.",
    ),
    trials: int | None = typer.Option(
        None,
        "--trials",
        "-n",
        min=1,
        metavar="N",
        help="Trials to run (default: the whole grid, else 20); with --resume, a new total.",
    ),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        metavar="J",
        help="Trials trained at once, in parallel processes that share the cores (default 1).",
    ),
    sampler: str | None = typer.Option(
        None,
        "--sampler",
        metavar="NAME",
        help="tpe (default: learns from earlier trials), random or grid.",
    ),
    metric: str | None = typer.Option(
        None,
        "--metric",
        metavar="METRIC",
        help="val_loss, val_accuracy or train_loss (default: the config's "
        "train.checkpoint.best_metric); a trial scores its best epoch.",
    ),
    prune: bool | None = typer.Option(
        None,
        "--prune/--no-prune",
        help="Stop trials worse than the median of earlier ones at "
        "the same epoch (default: with tpe).",
    ),
    set_: list[str] | None = options.Set,
    storage: str | None = typer.Option(
        None,
        "--storage",
        metavar="URL",
        help="A database URL shared by several machines "
        "(default: study.db in the sweep folder). With --study and no CONFIG: join that study.",
    ),
    study: str | None = typer.Option(
        None, "--study", metavar="NAME", help="The study's name in --storage."
    ),
    sweep_dir: Path | None = typer.Option(
        None, "--sweep-dir", help="Where the sweep writes (default runs/<name>/sweeps/<time>)."
    ),
    resume: Path | None = typer.Option(
        None, "--resume", metavar="SWEEP_FOLDER", help="Continue a stopped sweep."
    ),
    device: str | None = options.Device,
    data: Path | None = options.Data,
    debug: bool = options.Debug,
):
    """Search hyperparameters: train a trial run per set of values, then show them ranked.

    Example: gradcli sweep configs/spirals_mlp.yaml -p optimizer.lr=log:1e-4..1e-1 -n 8 -j 2
    """
    from gradcli.experiments import sweep as lib

    if resume is not None:
        if config is not None or param:
            raise ConfigError("--resume continues a sweep as it was made: give no CONFIG or "
                              "--param with it")  # fmt: skip
        swept = lib.load(resume, storage)
        spec = swept.spec
        spec.trials, spec.device = trials or spec.trials, device or spec.device
        spec.data_root = str(data) if data else spec.data_root
        swept.save_spec()
    elif config is None:
        if not (storage and study):
            raise ConfigError("give a CONFIG and --param KEY=SPEC, --resume SWEEP_FOLDER, or "
                              "--storage URL --study NAME to join a shared sweep")  # fmt: skip
        swept = lib.join(storage, study, folder=sweep_dir, jobs=jobs, device=device,
                         data_root=data)  # fmt: skip
    else:
        swept = lib.create(config, param or (), set_ or (), trials=trials, sampler=sampler,
                           metric=metric, prune=prune, jobs=jobs, storage=storage, study=study,
                           folder=sweep_dir, device=device, data_root=data)  # fmt: skip
    jobs = jobs or swept.spec.jobs
    threads.configure()  # trials trained here (--jobs 1) share the cores as `gradcli train` does
    try:
        found = lib.run(swept, jobs, _Lines(), display=[Quiet()])
    except lib.SweepInterrupted as e:
        console.print(f"[yellow]{escape(str(e))}[/yellow]")
        raise typer.Exit(e.exit_code) from None
    console.print(_table(swept, found))
    best_yaml, plot = lib.finish(swept)
    if best_yaml is None:
        console.print("[red]no trial finished[/red]: see the failed ones' errors above")
        raise typer.Exit(1)
    shown = escape(_short(best_yaml))
    console.print(f"best config: {shown}  (train it: gradcli train {shown})")
    console.print(f"plot: {escape(_short(plot))}")


def _short(path) -> str:
    """A path relative to the working folder when it is under it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:
        return str(path)


def _inside(path, folder) -> str:
    """A trial's run folder as the table shows it: trials/0003 when inside the sweep folder."""
    try:
        return str(Path(path).relative_to(folder))
    except ValueError:
        return _short(path)


def _header(swept, jobs: int) -> None:
    spec = swept.spec
    where = "" if spec.storage is None else f" in {escape(spec.storage.split('@')[-1])}"
    console.print(
        f"sweep {escape(_short(swept.folder))}: {spec.trials} trials, sampler {spec.sampler}"
        f"{', pruning' if spec.prune else ''}, {spec.metric}, {jobs} at a time "
        f"(study {escape(spec.study)}{where})"
    )


def _values(params: dict) -> str:
    return "  ".join(f"{k}={_fmt(v)}" for k, v in params.items())


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _score(swept, value) -> str:
    """A trial's metric as the training display shows it: accuracies in percent."""
    if value is None:
        return "-"
    return f"{100 * value:.2f}%" if "accuracy" in swept.spec.metric else f"{value:.4g}"


class _Lines:
    """A line as the sweep starts, and as each trial starts and ends."""

    def begin(self, swept, jobs, requeued):
        _header(swept, jobs)
        for number in requeued:
            console.print(f"[yellow]trial {number} was left running by a process that is gone: "
                          "queued again[/yellow]")  # fmt: skip

    def started(self, swept, number, params):
        console.print(f"[dim]trial {number} started: {escape(_values(params))}[/dim]")

    def ended(self, swept, rec):
        style = _STYLE.get(rec.state, "")
        took = ""
        if rec.started and rec.ended:
            took = f"  {duration((rec.ended - rec.started).total_seconds())}"
        value = f"{swept.spec.metric} {_score(swept, rec.value)}" if rec.value is not None else ""
        epochs = f"  {rec.epochs} epochs" if rec.epochs is not None else ""
        why = f": {rec.error}" if rec.error and rec.state != "complete" else ""
        console.print(f"trial {rec.number}: {escape(_values(rec.params))}  {value}{epochs}{took}"
                      f"  [{style}]{rec.state}{escape(why)}[/{style}]")  # fmt: skip


def _table(swept, found) -> Table:
    where = escape(_short(swept.folder))
    table = Table(title=f"{len(found)} trials in {where}, best first by {swept.spec.metric}")
    table.add_column("trial", justify="right")
    for p in swept.params:
        table.add_column(p.key, overflow="fold")
    table.add_column(swept.spec.metric, justify="right", overflow="fold")
    table.add_column("epochs", justify="right")
    table.add_column("status", no_wrap=True)
    table.add_column("run folder", no_wrap=True)
    for i, rec in enumerate(found):
        status = rec.state + (f" (retry of {rec.retry_of})" if rec.retry_of is not None else "")
        row = [str(rec.number), *(_fmt(rec.params.get(p.key, "")) for p in swept.params),
               _score(swept, rec.value),
               str(rec.epochs or "-"), f"[{_STYLE.get(rec.state, '')}]{status}[/]",
               escape(_inside(rec.run_dir, swept.folder)) if rec.run_dir else "-"]  # fmt: skip
        table.add_row(*row, style="bold" if i == 0 and rec.state == "complete" else None)
    return table
