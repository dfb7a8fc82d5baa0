"""`gradcli predict CHECKPOINT INPUT...`."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from gradcli.cli import options
from gradcli.deploy.image_inputs import ImageOptions
from gradcli.deploy.loaded import load_for_inference
from gradcli.deploy.predict import Predictions, predict_files
from gradcli.errors import DataError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

_BAR_FROM = 200  # files: fewer are read in well under a second, a bar would only flicker
_TABLE_VALUES = 8  # regression outputs shown per row in the table (--json/--csv have them all)
_BOXED_ROWS = 200  # inputs: more are printed as plain columns


def predict(
    checkpoint: Path = typer.Argument(..., help="A checkpoint file or a run folder."),
    inputs: list[Path] = typer.Argument(..., help="Image, .npy, .npz or .csv files, or folders."),
    top_k: int = typer.Option(1, "--top-k", "-k", min=1, help="Classes shown per input."),
    as_json: bool = typer.Option(False, "--json", help="Print the predictions as JSON."),
    csv_file: Path | None = typer.Option(
        None, "--csv", metavar="FILE", help="Write the predictions to a CSV file."
    ),
    batch_size: int | None = options.BatchSize,
    workers: int | None = typer.Option(
        None,
        "--workers",
        "-j",
        min=0,
        help="Processes reading files ahead of the model (default: one per core but one, for "
        "1,000 files or more; threads below). 0 reads them in turn with the model: less CPU "
        "in all, best when other work keeps every core busy.",
    ),
    device: str | None = options.Device,
    crop: bool = typer.Option(
        False, "--crop", help="Centre-crop images to the model's aspect ratio before resizing."
    ),
    invert: bool = typer.Option(
        False, "--invert", help="Invert images (255 - pixel): dark-on-light to light-on-dark."
    ),
    debug: bool = options.Debug,
):
    if as_json and csv_file is not None:
        raise typer.BadParameter("give --json or --csv, not both")
    loaded = load_for_inference(checkpoint, device)
    opts = ImageOptions(crop=crop, invert=invert)
    with _progress() as bar:
        task = None

        def advance(done: int, total: int) -> None:
            nonlocal task
            if bar is not None and total >= _BAR_FROM:
                task = task if task is not None else bar.add_task("reading", total=total)
                bar.update(task, completed=done)

        processes = None if workers is None else workers > 0
        result = predict_files(loaded, inputs, top_k, batch_size or 256, opts, workers,
                               processes, on_progress=advance)  # fmt: skip
    if not result.predictions and not result.failures:
        raise DataError("no image, .npy, .npz or .csv files among the inputs; check the paths")
    if as_json:
        typer.echo(json.dumps(_as_json(loaded, result), indent=2))
    elif csv_file is not None:
        _write_csv(csv_file, loaded, result, top_k)
        console.print(f"wrote {len(result.predictions):,} predictions to {escape(str(csv_file))}")
    else:
        _render(result, top_k)
    if result.bright:
        err_console.print(Text.assemble(("note:", "yellow"), " ", _bright_note(result, invert)))
    for failure in result.failures:
        err_console.print(Text.assemble(("error:", "red"), " ", failure.error))
    if result.failures:
        raise typer.Exit(1)


def _bright_note(result: Predictions, invert: bool) -> str:
    n, first = len(result.bright), result.bright[0]
    which = f"{first} is" if n == 1 else f"{n} images (the first {first}) are"
    fix = "drop --invert" if invert else "if dark on light, try --invert"
    return (
        f"{which} much brighter than the training images: the model learnt light-on-dark "
        f"images; {fix}"
    )


def _progress():
    if not sys.stderr.isatty():
        return nullcontext()  # `as bar` gives None: no bar in logs and pipes
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    return Progress(*columns, console=err_console, transient=True)


# The help's paragraphs, each one line: typer's rich help keeps a docstring's line breaks.
predict.__doc__ = "\n\n".join(
    [
        "Predict with a checkpoint on image files (PNG, JPEG, BMP), folders of them (read "
        "recursively), .npy/.npz arrays and CSV rows.",
        "Images are made into the model's input as its training data was: converted to its "
        "channels (RGB to grey by luma, grey copied to RGB), resized to its height and width "
        "with a bilinear filter (aspect ratio not kept; --crop first cuts the largest centred "
        "region of the model's aspect ratio), then scaled and normalised with the statistics "
        "fitted during training. MNIST models expect a white digit on a black background: "
        "--invert a dark-on-light image.",
        "Arrays hold raw samples (pixels 0..255 for image models) or stacks of them; CSV files "
        "one sample per row. A file that cannot be read is reported on its own line and the "
        "others are still predicted; the exit code is then 1.",
        "Example: gradcli predict runs/mnist-lenet/<run> digits/ --top-k 3",
    ]
)


def _as_json(loaded, result: Predictions) -> dict:
    rows = []
    for p in result.predictions:
        if p.top is None:
            rows.append({"input": p.input, "values": p.values})
            continue
        top = [{"class": name, "probability": prob} for name, prob in p.top]
        best = top[0]
        rows.append({"input": p.input, "class": best["class"], "index": p.index,
                     "probability": best["probability"], "top_k": top})  # fmt: skip
    return {
        "checkpoint": str(loaded.checkpoint),
        "task": loaded.task,
        "class_names": list(loaded.class_names) if loaded.class_names else None,
        "predictions": rows,
        "failures": [{"input": f.name, "error": f.error} for f in result.failures],
        "much_brighter_than_training": result.bright,
    }


def _write_csv(path: Path, loaded, result: Predictions, top_k: int) -> None:
    preds = result.predictions
    if loaded.is_classification:
        k = min(top_k, len(loaded.class_names))
        head = ["input", "class", "probability"]
        head += [f"{c}_{i}" for i in range(2, k + 1) for c in ("class", "probability")]
        rows = [[p.input, *[v for pair in p.top for v in pair]] for p in preds]
    else:
        width = len(preds[0].values) if preds else 1
        head = ["input"] + (["value"] if width == 1 else [f"value_{i}" for i in range(width)])
        rows = [[p.input, *p.values] for p in preds]
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(head)
            writer.writerows(rows)
    except OSError as e:
        raise DataError(f"--csv {path}: cannot write it ({e.strerror or e})") from None


def _render(result: Predictions, top_k: int) -> None:
    preds = result.predictions
    if not preds:
        return
    if preds[0].top is None:  # regression: the values, the first few if there are many
        width = len(preds[0].values)
        heads = ["value" if width == 1 else f"values ({width})"]
        more = " ..." if width > _TABLE_VALUES else ""
        rows = [[p.input, " ".join(f"{v:.5g}" for v in p.values[:_TABLE_VALUES]) + more]
                for p in preds]  # fmt: skip
    elif top_k == 1:
        heads = ["class", "probability"]
        rows = [[p.input, p.top[0][0], f"{p.top[0][1]:.4f}"] for p in preds]
    else:
        heads = [f"top {i}" for i in range(1, len(preds[0].top) + 1)]
        rows = [[p.input, *[f"{n} {q:.4f}" for n, q in p.top]] for p in preds]
    if len(rows) > _BOXED_ROWS:
        _print_columns(["input", *heads], rows)
        return
    table = Table(Column("input", overflow="fold"), *heads)  # a long path wraps, never cut
    for row in rows:
        table.add_row(*map(escape, row))  # names come from files: `[` is text, not markup
    console.print(table)


def _print_columns(heads: list[str], rows: list[list[str]]) -> None:
    """Plain aligned columns: a boxed table of 10,000 rows takes rich seconds to lay out."""
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in [heads, *rows]]
    sys.stdout.write("\n".join(lines) + "\n")
