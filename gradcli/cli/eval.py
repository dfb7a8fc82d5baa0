"""`gradcli eval CHECKPOINT`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gradcli import threads
from gradcli.cli import options
from gradcli.distributed import detect
from gradcli.train.evaluation import evaluate_checkpoint

console = Console(highlight=False, soft_wrap=True)


def eval_(
    checkpoint: Path = typer.Argument(..., help="A checkpoint file or a run folder."),
    split: str = typer.Option("test", "--split", help="test, val or train."),
    data: Path | None = options.Data,
    batch_size: int | None = options.BatchSize,
    device: str | None = options.Device,
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    set_: list[str] | None = options.Set,
    threads_: str | None = options.Threads,
    debug: bool = options.Debug,
):
    """Evaluate a checkpoint: loss, accuracy, per-class metrics and a confusion matrix.

    Example: gradcli eval runs/quickstart/<run>/checkpoints/best.safetensors --split val
    """
    threads.configure(threads_)
    world = detect()
    result = evaluate_checkpoint(checkpoint, split, data, batch_size, device, set_ or (), world)
    if not world.is_main:  # under mpirun: rank 0 prints the numbers, which are all ranks'
        return
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _render(result)


def _render(r: dict) -> None:
    console.print(
        f"[bold]{escape(r['name'])}[/bold]  {escape(r['dataset'])} {escape(r['split'])} split, "
        f"{r['samples']:,} samples, "
        f"checkpoint at epoch {r['epoch']} step {r['step']}"
    )
    summary = Table("metric", "value")
    summary.add_row("loss", f"{r['loss']:.4f}")
    for key, label in (("accuracy", "accuracy"), ("top5_accuracy", "top-5 accuracy")):
        if key in r:
            summary.add_row(label, f"{100 * r[key]:.2f}%")
    for key in ("mse", "mae"):
        if key in r:
            summary.add_row(key.upper(), f"{r[key]:.6g}")
    console.print(summary)
    if "per_class" not in r:
        return
    # class names come from the data files: `[` in one must print, not be read as markup
    names = [escape(n) for n in r["class_names"] or [str(i) for i in range(len(r["per_class"]))]]
    per = Table("class", "precision", "recall", "F1", "support", title="Per class")
    for name, c in zip(names, r["per_class"]):
        per.add_row(name, f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['f1']:.3f}",
                    str(c["support"]))  # fmt: skip
    console.print(per)
    conf = Table("true \\ predicted", *[str(i) for i in range(len(names))], title="Confusion")
    for i, row in enumerate(r["confusion"]):
        conf.add_row(f"{i} {names[i]}", *[f"[bold]{v}[/bold]" if i == j else str(v)
                                          for j, v in enumerate(row)])  # fmt: skip
    console.print(conf)
