"""A gradcli model as an ONNX graph, built node by node with the `onnx` package.

Conversion goes by what the model holds: each module type has one converter (registered with
`@converts(Type)`, exact types only, so a subclass that changes `forward` is never exported
with its parent's rule), and a module without one is a one-line `ExportError` naming where it
sits in the model. Converters see the module in eval mode: dropout is the identity and batch
norm uses its running statistics.

Every converter gets its inputs as `Value`s: the ONNX name and gradcli's own output for a small
sample batch, which gives each converter the static shapes it needs (adaptive pooling, reshapes)
while dimension 0, the batch, stays dynamic in the graph.

>>> proto = model_to_onnx(model, input_shape=(1, 28, 28), transforms=[{"type": "scale"}])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import gradcli
from gradcli.deploy.export_errors import ExportError

OPSET = 17  # LayerNormalization is in 17; ONNX Runtime 1.14+ runs it
INPUT, OUTPUT = "input", "output"
CONVERTERS: dict[type, Callable] = {}


def converts(*types: type):
    """Register the decorated function as the ONNX converter of modules of exactly `types`.

    A converter is `fn(b: Builder, module, x: Value, *more: Value) -> str` (its output's name)."""

    def add(fn):
        for t in types:
            if t in CONVERTERS:
                raise ValueError(f"an ONNX converter for {t.__name__} is already registered")
            CONVERTERS[t] = fn
        return fn

    return add


class Unsupported(ExportError):
    """What a converter raises for a setting it cannot express; `Builder.convert` says where."""

    def __init__(self, module, why: str):
        super().__init__(why)
        self.module, self.why = module, why


@dataclass
class Value:
    name: str  # the ONNX tensor's name
    sample: Any  # gradcli's output for the sample batch (a Tensor): its shape and dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.sample.shape)


class Builder:
    """Collects nodes and initializers; names them after the module path they come from."""

    def __init__(self):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self.path = ""  # the module being converted, as in named_modules(): "3.body.0"
        self._taken: set[str] = {INPUT, OUTPUT}
        self.out_shape: tuple[int, ...] = ()

    def fresh(self, hint: str) -> str:
        base = f"{self.path}.{hint}" if self.path else hint
        name, i = base, 1
        while name in self._taken:
            name, i = f"{base}_{i}", i + 1
        self._taken.add(name)
        return name

    def const(self, array, hint: str, dtype=np.float32) -> str:
        """An initializer holding `array` (a Tensor or array-like), converted to `dtype`."""
        if hasattr(array, "detach"):
            array = array.detach().cpu().numpy()
        tensor = self.numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype))
        tensor.name = self.fresh(hint)
        self.initializers.append(tensor)
        return tensor.name

    def ints(self, values, hint: str = "shape") -> str:
        return self.const(np.asarray(values, dtype=np.int64), hint, np.int64)

    def op(self, op_type: str, inputs: list[str], outputs: int = 1, **attrs) -> Any:
        """Add one node; return its output name (a list of names when `outputs` > 1)."""
        names = [self.fresh(op_type.lower()) for _ in range(outputs)]
        node_name = self.fresh(f"{op_type}_node")
        self.nodes.append(self.helper.make_node(op_type, inputs, names, node_name, **attrs))
        return names[0] if outputs == 1 else names

    def keep_batch(self, x: str, shape: tuple[int, ...]) -> str:
        """Reshape `x` to `shape` but for dimension 0, which stays whatever the batch is."""
        return self.op("Reshape", [x, self.ints([0, *shape[1:]])])

    def convert(self, module, *inputs: Value, name: str | None = None) -> Value:
        """Convert `module` applied to `inputs`; `name` is its attribute name in its parent."""
        outer = self.path
        self.path = name if not outer else f"{outer}.{name}" if name is not None else outer
        try:
            fn = CONVERTERS.get(type(module))
            if fn is None:
                raise ExportError(
                    f"cannot export {_where(self.path)} to ONNX: there is no converter for "
                    f"{type(module).__name__}; leave it out of the model, or export the weights "
                    "with --format safetensors"
                )
            with gradcli.no_grad():
                sample = module(*[v.sample for v in inputs])
            if not hasattr(sample, "shape"):
                raise Unsupported(module, "its output is not a single tensor")
            self.out_shape = tuple(sample.shape)  # for converters that need the result's size
            return Value(fn(self, module, *inputs), sample)
        except Unsupported as e:
            raise ExportError(
                f"cannot export {_where(self.path)} ({type(e.module).__name__}) to ONNX: {e.why}"
            ) from None
        finally:
            self.path = outer


def _where(path: str) -> str:
    return f"model layer '{path}'" if path else "the model"


def transform_nodes(b: Builder, transforms: list[dict], x: Value) -> Value:
    """The fitted input transforms (scale, normalize, flatten) as nodes, in order, so the graph
    takes what the dataset held (raw pixel values). Target transforms (one_hot) add nothing."""
    for i, spec in enumerate(transforms):
        kind = spec.get("type")
        b.path = f"transforms.{i}"
        sample = np.asarray(x.sample)
        if kind == "scale":
            out = b.op("Div", [x.name, b.const(np.float32(spec.get("max_value", 255.0)), "max")])
            x = Value(out, sample / np.float32(spec.get("max_value", 255.0)))
        elif kind == "normalize":
            x = _normalize(b, spec, x, sample)
        elif kind == "flatten":
            flat = sample.reshape(sample.shape[0], -1)
            x = Value(b.op("Reshape", [x.name, b.ints([0, -1])]), flat)
        elif kind != "one_hot":
            b.path = ""
            raise ExportError(
                f"cannot put input transform '{kind}' into the ONNX graph (it knows scale, "
                "normalize, flatten); export with --no-transforms and apply it before the model"
            )
    b.path = ""
    return x


def _normalize(b: Builder, spec: dict, x: Value, sample: np.ndarray) -> Value:
    if spec.get("mean") is None:
        raise ExportError("transform 'normalize' in the checkpoint was never fitted (no mean/std)")
    mean = np.asarray(spec["mean"], dtype=np.float32)
    std = np.asarray(spec["std"], dtype=np.float32)
    # as gradcli applies it: per channel (axis 1) when it holds several values, else global
    shape = () if mean.size == 1 else (mean.size,) + (1,) * (sample.ndim - 2)
    mean, std = mean.reshape(shape), std.reshape(shape)
    centred = b.op("Sub", [x.name, b.const(mean, "mean")])
    out = b.op("Div", [centred, b.const(std, "std")])
    return Value(out, (sample - mean) / std)


def model_to_onnx(
    model,
    input_shape,
    transforms: list[dict] | None = None,
    metadata: dict[str, str] | None = None,
    doc: str = "",
):
    """An onnx ModelProto computing `model` (in eval mode) on inputs of `(batch, *input_shape)`,
    float32. With `transforms` (fitted specs, as a checkpoint holds them) the graph applies them
    first and `input_shape` is the raw data's shape."""
    from onnx import TensorProto, checker, helper

    from gradcli.deploy import onnx_activations, onnx_graph, onnx_layers, onnx_rnn  # noqa: F401

    was_training = model.training
    model.eval()
    try:
        b = Builder()
        raw = np.zeros((2, *input_shape), dtype=np.float32)
        x = Value(INPUT, raw)
        if transforms:
            x = transform_nodes(b, transforms, x)
        dtype = next((p.dtype for p in model.parameters()), gradcli.float32)
        x = Value(x.name, gradcli.tensor(np.asarray(x.sample), dtype=dtype))
        y = b.convert(model, x)
        b.nodes.append(helper.make_node("Identity", [y.name], [OUTPUT], "output_node"))
    finally:
        model.train(was_training)
    graph = helper.make_graph(
        b.nodes,
        "gradcli",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["batch", *input_shape])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", *y.shape[1:]])],
        b.initializers,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="gradcli",
        producer_version=gradcli.__version__,
        doc_string=doc,
    )
    # ONNX Runtime reads IR versions up to what it was built with; 8 is what opset 17 came with
    proto.ir_version = 8
    helper.set_model_props(proto, dict(metadata or {}))
    checker.check_model(proto, full_check=True)  # shape inference too: a bad graph fails here
    return proto
