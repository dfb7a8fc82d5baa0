"""ONNX Runtime agrees with gradcli on the model of every example config (random weights), with
the config's input transforms fitted and put into the graph, and without them."""

import pathlib

import numpy as np
import pytest

from gradcli.config.load import load_config
from gradcli.data.transforms import build_transforms

pytest.importorskip("onnx", reason="ONNX export needs the onnx extra: pip install 'gradcli[onnx]'")
pytest.importorskip("onnxruntime", reason="the comparison runs ONNX Runtime (gradcli[onnx])")

from export_helpers import assert_matches, model_from  # noqa: E402

CONFIGS = sorted((pathlib.Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


def _raw(spec, shape):
    """Raw data as the dataset would hold it: pixel values where the transforms scale them."""
    rng = np.random.default_rng(7)
    pixels = any(t in ("scale", {"type": "scale"}) for t in spec)

    def make(batch):
        if pixels:
            return rng.integers(0, 256, (batch, *shape)).astype(np.float32)
        return rng.standard_normal((batch, *shape)).astype(np.float32)

    return make


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_each_example_config_exports_with_and_without_transforms(path):
    config = load_config(path)
    m = config.model
    blocks = {k: v.model_dump(mode="json") for k, v in (m.blocks or {}).items()}
    layers = [layer.model_dump(mode="json") for layer in m.layers]
    model = model_from(layers, m.input_shape, blocks)
    shape = tuple(m.input_shape)
    assert_matches(model, shape)  # without transforms: inputs as the model takes them

    spec = config.data.transforms or []
    # a flatten transform makes images (1, 28, 28) rows of 784 (mnist_mlp.yaml)
    raw_shape = (1, 28, 28) if "flatten" in spec else shape
    make = _raw(spec, raw_shape)
    pipe = build_transforms(spec)
    pipe.fit_apply(make(64), np.zeros(64, np.int64))  # fitted statistics, as training leaves
    proto = assert_matches(model, raw_shape, transforms=pipe.spec(), raw=make)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", *raw_shape]


def test_a_float64_model_exports_in_float32():
    model = model_from([{"conv2d": {"out_channels": 3, "kernel_size": 3}}, "batchnorm2d", "relu",
                        "flatten", {"linear": 4}], (2, 5, 5), dtype="float64")  # fmt: skip
    proto = assert_matches(model, (2, 5, 5))
    assert proto.graph.output[0].type.tensor_type.elem_type == 1  # FLOAT
