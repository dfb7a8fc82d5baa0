"""Layer specs: the short YAML forms (`- relu`, `- linear: 10`, `- conv2d: {...}`).

A tagged union picks the layer's model from its one key, so a validation error's location
(`model.layers.0.conv2d.kernel_size`) is also its path in the YAML file.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PositiveInt,
    Tag,
    model_serializer,
    model_validator,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


Pair = PositiveInt | tuple[PositiveInt, PositiveInt]
Pad = Annotated[int, Field(ge=0)] | tuple[int, int]


class Layer(Strict):
    kind: ClassVar[str]
    shorthand: ClassVar[str | None] = None  # the field a scalar value sets: `- linear: 10`

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            return {}
        if isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) == cls.kind:
            (value,) = raw.values()
            if value is None:
                return {}
            if isinstance(value, dict) or cls.shorthand is None:
                return value
            return {cls.shorthand: value}
        return raw

    @model_serializer(mode="wrap")
    def _wrap(self, handler):
        fields = handler(self)
        return {self.kind: fields} if fields else self.kind


Init = Literal[
    "default", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"
]
_INIT_HELP = "Weight initialisation: default is PyTorch's; normal is N(0, 1) like randn."


class Linear(Layer):
    kind, shorthand = "linear", "out_features"
    out_features: PositiveInt = Field(description="Output features.")
    bias: bool = True
    init: Init = Field("default", description=_INIT_HELP)


class Conv2d(Layer):
    kind, shorthand = "conv2d", "out_channels"
    out_channels: PositiveInt
    kernel_size: Pair
    stride: Pair = 1
    padding: Pad | Literal["same", "valid"] = 0
    dilation: Pair = 1
    groups: PositiveInt = 1
    bias: bool = True
    init: Init = Field("default", description=_INIT_HELP)


class MaxPool2d(Layer):
    kind, shorthand = "maxpool2d", "kernel_size"
    kernel_size: Pair
    stride: Pair | None = Field(None, description="Defaults to kernel_size.")
    padding: Pad = 0
    dilation: Pair = 1
    ceil_mode: bool = False


class AvgPool2d(Layer):
    kind, shorthand = "avgpool2d", "kernel_size"
    kernel_size: Pair
    stride: Pair | None = Field(None, description="Defaults to kernel_size.")
    padding: Pad = 0
    ceil_mode: bool = False
    count_include_pad: bool = True


class AdaptiveAvgPool2d(Layer):
    kind, shorthand = "adaptive_avgpool2d", "output_size"
    output_size: Pair


class Flatten(Layer):
    kind, shorthand = "flatten", "start_dim"
    start_dim: int = 1
    end_dim: int = -1


class Dropout(Layer):
    kind, shorthand = "dropout", "p"
    p: float = Field(0.5, ge=0.0, lt=1.0, description="Probability of zeroing an element.")


class BatchNorm1d(Layer):
    kind = "batchnorm1d"
    eps: float = Field(1e-5, gt=0)
    momentum: float = Field(0.1, ge=0.0, le=1.0)
    affine: bool = True


class BatchNorm2d(BatchNorm1d):
    kind = "batchnorm2d"


class ReLU(Layer):
    kind = "relu"


class LeakyReLU(Layer):
    kind, shorthand = "leaky_relu", "negative_slope"
    negative_slope: float = Field(0.01, ge=0.0)


class ELU(Layer):
    kind, shorthand = "elu", "alpha"
    alpha: float = Field(1.0, gt=0.0)


class GELU(Layer):
    kind, shorthand = "gelu", "approximate"
    approximate: Literal["none", "tanh"] = "none"


class Sigmoid(Layer):
    kind = "sigmoid"


class Tanh(Layer):
    kind = "tanh"


class Softmax(Layer):
    kind, shorthand = "softmax", "dim"
    dim: int = 1


class LogSoftmax(Softmax):
    kind = "log_softmax"


LAYERS: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (
        Linear, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, BatchNorm1d,
        BatchNorm2d, ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax,
    )
}  # fmt: skip


def _layer_tag(raw: Any) -> str | None:
    if isinstance(raw, Layer):
        return raw.kind
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and len(raw) == 1:
        return next(iter(raw))
    return None


AnyLayer = Annotated[
    Annotated[Linear, Tag("linear")]
    | Annotated[Conv2d, Tag("conv2d")]
    | Annotated[MaxPool2d, Tag("maxpool2d")]
    | Annotated[AvgPool2d, Tag("avgpool2d")]
    | Annotated[AdaptiveAvgPool2d, Tag("adaptive_avgpool2d")]
    | Annotated[Flatten, Tag("flatten")]
    | Annotated[Dropout, Tag("dropout")]
    | Annotated[BatchNorm1d, Tag("batchnorm1d")]
    | Annotated[BatchNorm2d, Tag("batchnorm2d")]
    | Annotated[ReLU, Tag("relu")]
    | Annotated[LeakyReLU, Tag("leaky_relu")]
    | Annotated[ELU, Tag("elu")]
    | Annotated[GELU, Tag("gelu")]
    | Annotated[Sigmoid, Tag("sigmoid")]
    | Annotated[Tanh, Tag("tanh")]
    | Annotated[Softmax, Tag("softmax")]
    | Annotated[LogSoftmax, Tag("log_softmax")],
    Discriminator(_layer_tag),
]
