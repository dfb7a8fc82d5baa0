"""Shared by the export tests: build a model from a config dict, give its batch norms non-trivial
running statistics, and compare ONNX Runtime with gradcli on it."""

from __future__ import annotations

import numpy as np

import gradcli
from gradcli import nn
from gradcli.config.build import build_model
from gradcli.config.load import Source, load_data
from gradcli.deploy.onnx_check import RELATIVE, TOLERANCE, run_onnx
from gradcli.deploy.onnx_export import model_to_onnx


def model_from(layers, input_shape, blocks=None, seed=0, dtype="float32"):
    """A randomly initialised model of `layers` (a config's model.layers), in eval mode."""
    model = {"input_shape": list(input_shape), "layers": layers}
    if blocks:
        model["blocks"] = blocks
    data = {
        "name": "t",
        "seed": seed,
        "data": {"dataset": "shapes"},
        "model": model,
        "optimizer": {"type": "sgd", "lr": 0.1},
    }
    config = load_data(data, Source("test", {}))
    gradcli.manual_seed(seed)
    net = build_model(config)
    rng = np.random.default_rng(seed)
    for m in net.modules():
        # fresh batch norms are the identity in eval mode: stats that are not test the export
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(gradcli.tensor(rng.normal(0, 0.5, n).astype(np.float32)))
            m.running_var.copy_(gradcli.tensor(rng.uniform(0.5, 2.0, n).astype(np.float32)))
            if m.weight is not None:
                m.weight.data.copy_(gradcli.tensor(rng.uniform(0.5, 1.5, n).astype(np.float32)))
                m.bias.data.copy_(gradcli.tensor(rng.normal(0, 0.2, n).astype(np.float32)))
    return net.eval()


def inputs_for(model, shape, batch, seed=1):
    """Random inputs of (batch, *shape): token ids when the model starts with an embedding."""
    rng = np.random.default_rng(seed)
    first = next(m for m in model.modules() if not list(m.children()))
    if isinstance(first, nn.Embedding):
        return rng.integers(0, first.num_embeddings, (batch, *shape)).astype(np.float32)
    return rng.standard_normal((batch, *shape)).astype(np.float32)


def gradcli_out(model, x):
    dtype = next((p.dtype for p in model.parameters()), gradcli.float32)
    with gradcli.no_grad():
        return model(gradcli.tensor(x, dtype=dtype)).numpy().astype(np.float64)


def assert_matches(model, shape, batches=(3, 1), transforms=None, raw=None):
    """Export `model`, run ONNX Runtime at each batch size (the batch is dynamic) and assert it
    agrees with gradcli within the exporter's own tolerance. Returns the ModelProto."""
    proto = model_to_onnx(model, shape, transforms)
    data = proto.SerializeToString()
    for batch in batches:
        x = inputs_for(model, shape, batch) if raw is None else raw(batch)
        expected = gradcli_out(model, x if transforms is None else _apply(transforms, x))
        got = run_onnx(data, x)
        assert got.shape == expected.shape
        tolerance = max(TOLERANCE, RELATIVE * np.abs(expected).max())
        np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance)
    return proto


def _apply(spec, x):
    from gradcli.data.transforms import build_transforms

    return build_transforms(spec)(x, np.zeros(len(x), np.int64))[0]
