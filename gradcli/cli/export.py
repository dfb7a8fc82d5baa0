"""`gradcli export CHECKPOINT --format onnx|safetensors`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from gradcli.cli import options
from gradcli.deploy.export import export as export_checkpoint

console = Console(highlight=False, soft_wrap=True)


def export(
    checkpoint: Path = typer.Argument(..., help="A checkpoint file or a run folder."),
    fmt: str = typer.Option(
        ...,
        "--format",
        "-f",
        help="onnx (a graph for ONNX Runtime and others) or safetensors "
        "(the weights alone, PyTorch names).",
    ),  # fmt: skip
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="File to write (default: beside the checkpoint, "
        "e.g. last.onnx or last.weights.safetensors).",
    ),  # fmt: skip
    no_transforms: bool = typer.Option(
        False,
        "--no-transforms",
        help="ONNX: leave the fitted input transforms (scale, "
        "normalize) out of the graph; it then takes inputs already transformed.",
    ),  # fmt: skip
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    debug: bool = options.Debug,
):
    """Export a trained model to ONNX (checked by ONNX Runtime) or safetensors weights.

    The ONNX graph takes raw inputs as the dataset held them (pixel values 0-255 as float32).

    Example: gradcli export runs/mnist-lenet/<run> --format onnx -o lenet.onnx
    """
    r = export_checkpoint(checkpoint, fmt, output, transforms=not no_transforms)
    if as_json:
        typer.echo(json.dumps(r, indent=2))
        return
    shape = ", ".join(map(str, r["input_shape"]))
    console.print(f"wrote {escape(r['path'])} ({r['bytes']:,} bytes, {r['format']})")
    if r["format"] == "safetensors":
        console.print(f"{len(r['tensors'])} tensors named as model.state_dict() names them")
        return
    in_graph = r["transforms_in_graph"]
    takes = "raw values, transforms in the graph" if in_graph else "as the model takes them"
    console.print(
        f"input '{r['input_name']}' (batch, {shape}) {takes}; output '{r['output_name']}'; "
        f"opset {r['opset']}"
    )
    check = r["check"]
    if check is None:
        console.print("not checked: onnxruntime is not installed (pip install 'gradcli[onnx]')")
    else:
        console.print(
            f"ONNX Runtime {check['onnxruntime']} matches gradcli on {escape(check['data'])}: "
            f"max abs difference {check['max_abs_diff']:.2e} (tolerance {check['tolerance']:.0e})"
        )
