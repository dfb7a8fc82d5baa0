"""A checkpoint loaded for inference: the model, its fitted input transforms and what it predicts.

    loaded = load_for_inference("runs/mnist-lenet/<run>")     # or a .safetensors file
    x = loaded.prepare(raw)        # raw inputs as in training data, e.g. (N, 1, 28, 28) uint8
    out = loaded.forward(x)        # (N, 10) logits as a numpy array

`predict` and `export` both start here, so they see the same model and the same transforms.
Everything comes from the checkpoint alone: the dataset's files are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import gradcli
from gradcli.backend import CPU, resolve_device, to_device
from gradcli.data import DatasetInfo
from gradcli.data.registry import canonical_name
from gradcli.data.transforms import Pipeline, build_transforms
from gradcli.errors import CheckpointError, GradcliError
from gradcli.train.session import from_checkpoint, trained_model

# Raw sample shapes of the built-in image datasets. The checkpoint records the shape after
# the transforms, which a `flatten` transform turns into (784,); a user's image must still be
# made (1, 28, 28) first.
_IMAGE_SHAPES = {"mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "cifar10": (3, 32, 32)}


@dataclass
class LoadedModel:
    """What a trained checkpoint knows about its inputs and outputs, and the model in eval mode.

    - `raw_shape`: one raw sample before the transforms, as the dataset gave it: (C, H, W) for
      images (uint8 pixels 0..255), (D,) for feature rows.
    - `input_shape`: one sample as the model takes it, after the transforms.
    - `transforms`: the fitted pipeline (scale, normalise statistics, flatten) and
      `transform_spec` the plain list it was built from (`meta["transforms"]`).
    - `task`: "classification" (outputs are logits, one per class) or "regression".
    """

    model: Any
    config: Any
    checkpoint: Path
    info: DatasetInfo
    transforms: Pipeline
    transform_spec: list[dict[str, Any]]
    raw_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    device: Any
    dtype: np.dtype

    @property
    def task(self) -> str:
        return self.info.task

    @property
    def is_classification(self) -> bool:
        return self.info.task == "classification"

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """Names of the output classes (`str(i)` where the data named none); None for
        regression."""
        if not self.is_classification:
            return None
        if self.info.class_names:
            return tuple(self.info.class_names)
        return tuple(str(i) for i in range(self.info.num_classes or 0))

    @property
    def is_image(self) -> bool:
        """The model takes images (raw samples (C, H, W) with 1 or 3 channels)."""
        return len(self.raw_shape) == 3 and self.raw_shape[0] in (1, 3)

    def prepare(self, raw: np.ndarray) -> np.ndarray:
        """Raw samples (N, *raw_shape) -> the model's float inputs (N, *input_shape), through
        the fitted transforms exactly as the training data went."""
        x, _ = self.transforms(raw, np.zeros(len(raw), np.int64))
        return np.asarray(x).astype(self.dtype, copy=False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The model's outputs (logits or values) for prepared inputs, as a host array."""
        with gradcli.no_grad():
            out = self.model(gradcli.from_numpy(to_device(np.ascontiguousarray(x), self.device)))
        return to_device(out._data, CPU)


def load_for_inference(path, device=None, overrides=()) -> LoadedModel:
    """Load a checkpoint file or run folder for inference on `device` (default CPU).

    Raises CheckpointError (one line) when the checkpoint lacks what inference needs.
    """
    ck, config, ck_path = from_checkpoint(path, overrides)
    meta = ck.meta
    if not isinstance(meta.get("dataset"), dict):
        raise CheckpointError(f"{ck_path}: the checkpoint records no dataset description; re-train")
    info = _info(meta["dataset"], ck_path)
    spec = meta.get("transforms", config.data.transforms) or []
    try:
        pipe = build_transforms(spec, num_classes=info.num_classes)
    except GradcliError as e:
        raise CheckpointError(f"{ck_path}: its input transforms cannot be rebuilt ({e})") from None
    dev = resolve_device(device or "cpu")
    model = trained_model(ck, config, ck_path, overrides).to(dev)
    model.eval()
    return LoadedModel(
        model=model,
        config=config,
        checkpoint=ck_path,
        info=info,
        transforms=pipe,
        transform_spec=pipe.spec(),
        raw_shape=_raw_shape(config, info, pipe),
        input_shape=tuple(info.input_shape),
        device=dev,
        dtype=np.dtype(config.dtype),
    )


def _info(d: dict, ck_path: Path) -> DatasetInfo:
    try:
        return DatasetInfo(
            name=d["name"],
            task=d["task"],
            input_shape=tuple(d["input_shape"]),
            target_shape=tuple(d.get("target_shape") or ()),
            num_classes=d.get("num_classes"),
            class_names=tuple(d["class_names"]) if d.get("class_names") else None,
            source=d.get("source", ""),
            raw_input_shape=tuple(d["raw_input_shape"]) if d.get("raw_input_shape") else None,
        )
    except (KeyError, TypeError) as e:
        raise CheckpointError(f"{ck_path}: its dataset description is incomplete ({e})") from None


def _raw_shape(config, info: DatasetInfo, pipe: Pipeline) -> tuple[int, ...]:
    if info.raw_input_shape is not None:  # recorded by runs since issue 16
        return tuple(info.raw_input_shape)
    if not any(t.name == "flatten" for t in pipe.transforms):
        return tuple(info.input_shape)  # no transform changes the shape
    d = config.data
    name = canonical_name(d.dataset)
    if name == "shapes":
        options = d.options or {}
        size = int(options.get("size", 28))
        return (int(options.get("channels", 1)), size, size)
    return _IMAGE_SHAPES.get(name, tuple(info.input_shape))
