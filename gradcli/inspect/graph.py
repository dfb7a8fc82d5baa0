"""The autograd graph of one training step: a forward pass and the loss on a dummy batch, walked
from the loss through every `grad_fn` down to the parameters' `AccumulateGrad` nodes.

>>> g = trace_graph(load_config("configs/quickstart.yaml"), batch_size=8)
>>> g.nodes[0].name, g.nodes[0].shape
('CrossEntropyLossBackward0', ())
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import gradcli
from gradcli.autograd.function import AccumulateGrad
from gradcli.config import schema as S
from gradcli.config.build import build_loss, build_model
from gradcli.errors import AutogradError, ConfigError, GradcliError


@dataclass
class Node:
    id: int  # preorder position in the walk from the loss: the loss is 0
    name: str  # ConvolutionBackward0, AccumulateGrad, ...
    shape: tuple[int, ...] | None  # the node's output (a parameter's shape for AccumulateGrad)
    param: str | None = None  # the parameter's name (`0.weight`) for AccumulateGrad nodes
    layer: str | None = None  # `0 conv2d` when the node produces that layer's output
    inputs: list[int] = field(default_factory=list)  # next_functions, in order (None dropped)


@dataclass
class Graph:
    nodes: list[Node]  # nodes[i].id == i

    @property
    def edges(self) -> list[tuple[int, int]]:
        """`(input, consumer)` pairs: the way data flows in the forward pass."""
        return [(i, node.id) for node in self.nodes for i in node.inputs]

    @property
    def params(self) -> list[Node]:
        return [n for n in self.nodes if n.param is not None]

    def parents(self) -> dict[int, int]:
        """How many edges point at each node (more than 1: shared by several consumers)."""
        count = dict.fromkeys(range(len(self.nodes)), 0)
        for src, _ in self.edges:
            count[src] += 1
        return count


def trace_graph(config: S.Config, batch_size: int | None = None, model=None) -> Graph:
    """Run the model and loss on zeros of `model.input_shape` and walk the graph they build.

    `model`: the model `config` builds, already made (a checkpoint's, with its weights); it is
    traced on a copy, because a training step updates BatchNorm's running statistics and fills
    gradients. Without it a model with fresh weights is built, which does not change the graph.
    """
    batch = batch_size or config.data.batch_size
    model = build_model(config) if model is None else copy.deepcopy(model)
    loss_fn = build_loss(config.loss)
    layers = {}  # grad_fn -> "index kind" of the layer whose output it made

    def remember(index: int, kind: str):
        def hook(module, args, out):
            if getattr(out, "grad_fn", None) is not None:
                layers[out.grad_fn] = f"{index} {kind}"

        return hook

    handles = [
        module.register_forward_hook(remember(i, spec.kind))
        for i, (module, spec) in enumerate(zip(model, config.model.layers, strict=True))
    ]
    dtype = gradcli.float64 if config.dtype == "float64" else gradcli.float32
    x = gradcli.zeros(batch, *config.model.input_shape, dtype=dtype)
    try:
        out = model(x)
    finally:
        for h in handles:
            h.remove()
    try:
        loss = loss_fn(out, _dummy_target(config.loss, out))
    except (GradcliError, ValueError) as e:
        raise ConfigError(
            f"{config.where('loss')}: loss ({config.loss.type}) cannot take the model's output "
            f"of shape {list(out.shape)}: {e}"
        ) from None
    if loss.grad_fn is None:
        raise ConfigError(f"{config.name}: the model has no trainable parameters: nothing to draw")
    return walk(loss, dict(_param_names(model)), layers)


def _dummy_target(loss, out: gradcli.Tensor) -> gradcli.Tensor:
    if loss.class_targets:  # (N, C, d1, ...) logits take (N, d1, ...) class indices
        return gradcli.zeros(out.shape[0], *out.shape[2:], dtype=gradcli.int64)
    return gradcli.zeros(*out.shape, dtype=out.dtype)


def _param_names(model):
    for name, p in model.named_parameters():
        yield id(p), name


def walk(loss: gradcli.Tensor, names: dict[int, str] | None = None, layers=None) -> Graph:
    """Number the nodes in preorder from `loss`; record each output's shape in a backward pass.

    `names`: parameter names by `id(parameter)`; `layers`: layer labels by `grad_fn`. Runs
    `loss.backward()`, so the graph is freed and the leaves' `.grad` filled afterwards.

    A node's output shape is the shape of the gradient flowing into it, so a hook on every
    node during one backward pass gives them all, including the nodes inside a layer (the
    transposes, reshapes and the loss's own steps) that forward hooks on modules never see.
    """
    names, layers = names or {}, layers or {}
    if loss.grad_fn is None:
        raise AutogradError("walk: the tensor has no grad_fn (nothing it depends on requires grad)")
    ids: dict = {}
    order = []
    stack = [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in ids:
            continue
        ids[fn] = len(order)
        order.append(fn)
        stack.extend(nxt for nxt, _ in reversed(fn.next_functions) if nxt is not None)
    shapes: dict[int, tuple] = {}
    for fn in order:
        if not isinstance(fn, AccumulateGrad):
            fn.register_hook(_shape_hook(shapes, ids[fn]))
    # a loss with reduction 'none' is not a scalar: seed it with ones, as training would sum it
    loss.backward(gradcli.ones_like(loss) if loss.ndim else None)
    nodes = []
    for fn in order:
        i = ids[fn]
        param = None
        if isinstance(fn, AccumulateGrad):
            shapes[i] = tuple(fn.variable.shape)
            param = names.get(id(fn.variable), "(unnamed tensor)")
        inputs = [ids[nxt] for nxt, _ in fn.next_functions if nxt is not None]
        nodes.append(Node(i, fn.name(), shapes.get(i), param, layers.get(fn), inputs))
    return Graph(nodes)


def _shape_hook(shapes: dict, i: int):
    def hook(grad):
        shapes[i] = tuple(grad.shape)

    return hook
