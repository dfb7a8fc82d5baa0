"""Layers in the YAML (`- relu`, `- linear: 10`, `- conv2d: {...}`): each spec holds its fields,
its name (in `@LAYERS.register`) and how to build the module for an input shape.

A tagged union picks the layer's model from its one key, so a validation error's location
(`model.layers.0.conv2d.kernel_size`) is also its path in the YAML file. Adding a layer is one
class here (see CONTRIBUTING.md).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from gradcli import nn
from gradcli.config.spec import LayerSpec, SpecRegistry, tagged_union
from gradcli.ops._checks import pair

Pair = PositiveInt | tuple[PositiveInt, PositiveInt]
Pad = NonNegativeInt | tuple[NonNegativeInt, NonNegativeInt]
LAYERS = SpecRegistry("layer", LayerSpec)


def _layer_tag(raw: Any) -> str | None:
    if isinstance(raw, LayerSpec):
        return raw.kind
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and len(raw) == 1:
        return next(iter(raw))
    return None


def any_layer() -> Any:
    """The union of every registered layer (rebuilt by the schema when LAYERS changes)."""
    return tagged_union(LAYERS, _layer_tag)


Init = Literal[
    "default", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"
]
_INIT_HELP = "Weight initialisation: default is PyTorch's; normal is N(0, 1) like randn."


def _init(layer: nn.Module, how: str) -> nn.Module:
    if how == "normal":
        nn.init.normal_(layer.weight, 0.0, 1.0)
    elif how != "default":
        getattr(nn.init, f"{how}_")(layer.weight)
    return layer


_FLAT = (1, "add `- flatten` before it")
_IMAGE = (3, "put pooling before `flatten`")


@LAYERS.register("linear")
class Linear(LayerSpec):
    shorthand, expects = "out_features", _FLAT
    out_features: PositiveInt = Field(description="Output features.")
    bias: bool = True
    init: Init = Field("default", description=_INIT_HELP)

    def num_params(self, shape):
        return (shape[0] + self.bias) * self.out_features

    def build(self, shape):
        return _init(nn.Linear(shape[0], self.out_features, bias=self.bias), self.init)


@LAYERS.register("conv2d")
class Conv2d(LayerSpec):
    shorthand = "out_channels"
    expects = (3, "check model.input_shape, or remove a `flatten`")
    out_channels: PositiveInt
    kernel_size: Pair
    stride: Pair = 1
    padding: Pad | Literal["same", "valid"] = 0
    dilation: Pair = 1
    groups: PositiveInt = 1
    bias: bool = True
    init: Init = Field("default", description=_INIT_HELP)

    @model_validator(mode="after")
    def _same_needs_stride_1(self):
        # nn.Conv2d refuses it too, but only once the model is built, in other words
        if self.padding == "same" and pair(self.kind, "stride", self.stride, 1) != (1, 1):
            raise ValueError(
                f"padding 'same' needs stride 1 (got {self.stride}); give the padding as a "
                "number, e.g. (kernel_size - 1) // 2"
            )
        return self

    def num_params(self, shape):
        kernel = pair(self.kind, "kernel_size", self.kernel_size, 1)
        per_filter = shape[0] // self.groups * math.prod(kernel) + self.bias
        return self.out_channels * per_filter

    def build(self, shape):
        conv = nn.Conv2d(
            shape[0], self.out_channels, self.kernel_size, self.stride,
            self.padding, self.dilation, self.groups, self.bias,
        )  # fmt: skip
        return _init(conv, self.init)


def _pool_padding(spec):
    # the pooling ops refuse it too, but only once the model is built, in other words
    kernel = pair(spec.kind, "kernel_size", spec.kernel_size, 1)
    padding = pair(spec.kind, "padding", spec.padding, 0)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(
            f"padding {spec.padding} is more than half the kernel_size {spec.kernel_size}; "
            "make it smaller or the kernel larger"
        )
    return spec


PoolPad = Annotated[Pad, Field(description="At most half the kernel size.")]


@LAYERS.register("maxpool2d")
class MaxPool2d(LayerSpec):
    shorthand, expects = "kernel_size", _IMAGE
    kernel_size: Pair
    stride: Pair | None = Field(None, description="Defaults to kernel_size.")
    padding: PoolPad = 0
    dilation: Pair = 1
    ceil_mode: bool = False
    _padding = model_validator(mode="after")(_pool_padding)

    def build(self, shape):
        return nn.MaxPool2d(
            self.kernel_size, self.stride, self.padding,
            self.dilation, ceil_mode=self.ceil_mode,
        )  # fmt: skip


@LAYERS.register("avgpool2d")
class AvgPool2d(LayerSpec):
    shorthand, expects = "kernel_size", _IMAGE
    kernel_size: Pair
    stride: Pair | None = Field(None, description="Defaults to kernel_size.")
    padding: PoolPad = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    _padding = model_validator(mode="after")(_pool_padding)

    def build(self, shape):
        return nn.AvgPool2d(
            self.kernel_size, self.stride, self.padding,
            ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad,
        )  # fmt: skip


@LAYERS.register("adaptive_avgpool2d")
class AdaptiveAvgPool2d(LayerSpec):
    shorthand, expects = "output_size", _IMAGE
    output_size: Pair

    def build(self, shape):
        return nn.AdaptiveAvgPool2d(self.output_size)


@LAYERS.register("flatten")
class Flatten(LayerSpec):
    shorthand = "start_dim"
    start_dim: int = 1
    end_dim: int = -1

    def build(self, shape):
        return nn.Flatten(self.start_dim, self.end_dim)


@LAYERS.register("dropout")
class Dropout(LayerSpec):
    shorthand = "p"
    p: float = Field(0.5, ge=0.0, lt=1.0, description="Probability of zeroing an element.")

    def build(self, shape):
        return nn.Dropout(self.p)


@LAYERS.register("batchnorm1d")
class BatchNorm1d(LayerSpec):
    expects = (1, "use batchnorm2d after conv layers")
    eps: float = Field(1e-5, gt=0)
    momentum: float = Field(0.1, ge=0.0, le=1.0)
    affine: bool = True

    def num_params(self, shape):
        return 2 * shape[0] if self.affine else 0

    def build(self, shape):
        return nn.BatchNorm1d(shape[0], eps=self.eps, momentum=self.momentum, affine=self.affine)


@LAYERS.register("batchnorm2d")
class BatchNorm2d(BatchNorm1d):
    expects = (3, "use batchnorm1d after flatten")

    def build(self, shape):
        return nn.BatchNorm2d(shape[0], eps=self.eps, momentum=self.momentum, affine=self.affine)


@LAYERS.register("relu")
class ReLU(LayerSpec):
    def build(self, shape):
        return nn.ReLU()


@LAYERS.register("leaky_relu")
class LeakyReLU(LayerSpec):
    shorthand = "negative_slope"
    negative_slope: float = Field(0.01, ge=0.0)

    def build(self, shape):
        return nn.LeakyReLU(self.negative_slope)


@LAYERS.register("elu")
class ELU(LayerSpec):
    shorthand = "alpha"
    alpha: float = Field(1.0, gt=0.0)

    def build(self, shape):
        return nn.ELU(self.alpha)


@LAYERS.register("gelu")
class GELU(LayerSpec):
    shorthand = "approximate"
    approximate: Literal["none", "tanh"] = "none"

    def build(self, shape):
        return nn.GELU(self.approximate)


@LAYERS.register("sigmoid")
class Sigmoid(LayerSpec):
    def build(self, shape):
        return nn.Sigmoid()


@LAYERS.register("tanh")
class Tanh(LayerSpec):
    def build(self, shape):
        return nn.Tanh()


@LAYERS.register("softmax")
class Softmax(LayerSpec):
    shorthand = "dim"
    dim: int = 1

    def build(self, shape):
        return nn.Softmax(self.dim)


@LAYERS.register("log_softmax")
class LogSoftmax(Softmax):
    def build(self, shape):
        return nn.LogSoftmax(self.dim)


@LAYERS.register("identity")
class Identity(LayerSpec):
    def build(self, shape):
        return nn.Identity()


@LAYERS.register("global_avgpool")
class GlobalAvgPool(LayerSpec):
    expects = _IMAGE

    def build(self, shape):
        return nn.GlobalAvgPool2d()


# the graph entries (residual, branches, save, add, concat, block uses) are layers too, kept in
# their own module; importing it here registers them wherever LAYERS is used
from gradcli.config import graph as _graph  # noqa: E402, F401
from gradcli.config import layers_sequence as _sequence  # noqa: E402, F401
from gradcli.config import layers_tokens as _tokens  # noqa: E402, F401
