"""Export a trained checkpoint for use without gradcli: the library side of `gradcli export`.

    result = export("runs/mnist-lenet/<run>", "onnx")            # -> checkpoints/last.onnx
    result = export("best.safetensors", "safetensors", "weights.safetensors")

- onnx: the model as an ONNX graph (opset 17, dynamic batch), checked against gradcli with
  ONNX Runtime when that is installed. With `transforms` (the default) the fitted input
  transforms are the graph's first nodes, so it takes raw values as the dataset held them.
- safetensors: the weights alone, named as `model.state_dict()` names them (PyTorch's names:
  `0.weight`, `3.running_mean`, `1.weight_ih_l0`), with the model description as metadata.

Files are written atomically: a failure leaves the previous file, or none.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import gradcli
from gradcli.deploy.export_errors import ExportError
from gradcli.deploy.loaded import load_for_inference
from gradcli.train.atomic import atomic_write

FORMATS = ("onnx", "safetensors")
_SUFFIX = {"onnx": ".onnx", "safetensors": ".weights.safetensors"}
_EXTRA = "ONNX export needs the onnx package: pip install 'gradcli[onnx]'"


def export(checkpoint, fmt: str, out=None, transforms: bool = True) -> dict:
    """Write `checkpoint`'s model as `fmt` to `out` (default: beside the checkpoint, e.g.
    `last.onnx`); return what was written and, for ONNX, the ONNX Runtime check."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    if fmt == "onnx":
        try:
            import onnx  # noqa: F401 - fail before loading anything
        except ImportError:
            raise ExportError(_EXTRA) from None
    loaded = load_for_inference(checkpoint)
    path = _out_path(loaded.checkpoint, fmt, out)
    # target transforms (one_hot) have nothing to do with the input
    steps = [t for t in loaded.transform_spec if t.get("type") != "one_hot"]
    desc = description(loaded, bool(transforms and steps and fmt == "onnx"))
    result = {"format": fmt, "checkpoint": str(loaded.checkpoint), "path": str(path), **desc}
    if fmt == "onnx":
        from gradcli.deploy.onnx_check import check_onnx
        from gradcli.deploy.onnx_export import INPUT, OUTPUT, model_to_onnx

        proto = model_to_onnx(
            loaded.model,
            desc["input_shape"],
            loaded.transform_spec if desc["transforms_in_graph"] else None,
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in desc.items()},
            doc=_summary(desc),
        )
        data = proto.SerializeToString()
        # checked before it is written: a model that disagrees with gradcli is not shipped
        result["check"] = check_onnx(data, loaded, desc["transforms_in_graph"])
        result.update(input_name=INPUT, output_name=OUTPUT, opset=proto.opset_import[0].version)
    else:
        data, names = safetensors_bytes(loaded, desc)
        result["tensors"] = names
    _write(path, data)
    result["bytes"] = len(data)
    return result


def description(loaded, transforms_in_graph: bool) -> dict:
    """What the exported file says about its model (plain JSON types)."""
    config = loaded.config
    return {
        "name": config.name,
        "task": loaded.task,
        "class_names": list(loaded.class_names) if loaded.class_names else None,
        # what the exported model takes: raw values when the transforms are part of it
        "input_shape": list(loaded.raw_shape if transforms_in_graph else loaded.input_shape),
        "model_input_shape": list(loaded.input_shape),
        "transforms": loaded.transform_spec,
        "transforms_in_graph": transforms_in_graph,
        "model": config.model.model_dump(mode="json"),
        "trained_dtype": config.dtype,  # the ONNX graph is float32 whatever it was
        "gradcli_version": gradcli.__version__,
    }


def _summary(desc: dict) -> str:
    what = (
        f"{len(desc['class_names'])} classes" if desc["class_names"] else f"{desc['task']} values"
    )
    kinds = ", ".join(t["type"] for t in desc["transforms"] if t["type"] != "one_hot")
    shape = f"(batch, {', '.join(map(str, desc['input_shape']))})"
    if desc["transforms_in_graph"]:
        takes = f"raw inputs {shape}; the input transforms ({kinds}) are part of the graph"
    else:
        takes = f"inputs {shape}" + (f" already transformed ({kinds})" if kinds else "")
    return f"gradcli model '{desc['name']}': {what} from {takes}."


def safetensors_bytes(loaded, desc: dict) -> tuple[bytes, list[str]]:
    """The state_dict's tensors in the model's dtype, with `desc` as string metadata (JSON for
    anything but a string) and `format: pt`, what PyTorch-side loaders look for."""
    import safetensors.numpy

    tensors = {
        name: np.asarray(t.detach().cpu().numpy(), order="C")  # asarray keeps a 0-d array 0-d
        for name, t in loaded.model.state_dict().items()
    }
    meta = {k: v if isinstance(v, str) else json.dumps(v) for k, v in desc.items()}
    meta["format"] = "pt"
    return safetensors.numpy.save(tensors, metadata=meta), list(tensors)


def _out_path(checkpoint: Path, fmt: str, out) -> Path:
    path = Path(out) if out is not None else checkpoint.with_name(checkpoint.stem + _SUFFIX[fmt])
    if path.exists() and path.resolve() == checkpoint.resolve():
        raise ExportError(f"-o {path} is the checkpoint itself; write the export to another file")
    if path.is_dir():
        raise ExportError(f"-o {path} is a folder; give a file name, e.g. {path / 'model'}.{fmt}")
    return path


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from None
