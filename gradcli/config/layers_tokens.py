"""YAML layers for token and sequence models: `embedding` (token ids -> vectors), `conv1d` over
(channels, length) and `layernorm` over the trailing dims. Importing this module registers them
in LAYERS (layers.py does, so they are wherever LAYERS is).

    model:
      input_shape: [32]                      # 32 token ids per sample
      layers:
        - embedding: {num_embeddings: 1000, embedding_dim: 16, transpose: true}   # [16, 32]
        - conv1d: {out_channels: 8, kernel_size: 3, padding: same}                # [8, 32]
        - layernorm                                                               # over the 32
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from gradcli import nn
from gradcli.config.layers import LAYERS, Init, _init
from gradcli.config.spec import LayerSpec
from gradcli.errors import ShapeError


class TokenEmbedding(nn.Embedding):
    """nn.Embedding for a config's data: datasets load token ids as float32 features, so whole
    numbers are taken as ids (anything else is refused); `transpose` gives (N, dim, length).
    Its state_dict is nn.Embedding's."""

    def __init__(self, *args, transpose: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.transpose = transpose

    def forward(self, input):
        if input.dtype.is_floating_point:
            ids = input.long()
            if not (ids == input).all().item():
                raise ShapeError(
                    f"{self!r}: token ids must be whole numbers, got values such as "
                    f"{input.flatten()[:4].tolist()}; check the data (no scaling transforms)"
                )
            input = ids
        out = super().forward(input)
        return out.transpose(-1, -2) if self.transpose else out

    def extra_repr(self) -> str:
        return super().extra_repr() + (", transpose=True" if self.transpose else "")


@LAYERS.register("embedding")
class Embedding(LayerSpec):
    expects = (1, "an embedding takes token ids: set model.input_shape to [length]")
    num_embeddings: PositiveInt = Field(description="Vocabulary size: ids are 0 to this - 1.")
    embedding_dim: PositiveInt = Field(description="Length of each token's vector.")
    padding_idx: NonNegativeInt | None = Field(
        None, description="An id whose vector stays 0 and gets no gradient."
    )
    transpose: bool = Field(
        False, description="Output [embedding_dim, length] (what conv1d takes), not the reverse."
    )

    @model_validator(mode="after")
    def _padding_in_range(self):
        if self.padding_idx is not None and self.padding_idx >= self.num_embeddings:
            raise ValueError(
                f"padding_idx {self.padding_idx} must be below num_embeddings {self.num_embeddings}"
            )
        return self

    def num_params(self, shape):
        return self.num_embeddings * self.embedding_dim

    def build(self, shape):
        return TokenEmbedding(
            self.num_embeddings, self.embedding_dim, self.padding_idx, transpose=self.transpose
        )


@LAYERS.register("conv1d")
class Conv1d(LayerSpec):
    shorthand = "out_channels"
    expects = (2, "conv1d takes [channels, length]; after an embedding set transpose: true")
    out_channels: PositiveInt
    kernel_size: PositiveInt = Field(3, description="Kernel length.")
    stride: PositiveInt = 1
    padding: NonNegativeInt | Literal["same", "valid"] = 0
    dilation: PositiveInt = 1
    groups: PositiveInt = 1
    bias: bool = True
    init: Init = Field("default", description="Weight initialisation: default is PyTorch's.")

    @model_validator(mode="after")
    def _same_needs_stride_1(self):
        if self.padding == "same" and self.stride != 1:
            raise ValueError(
                f"padding 'same' needs stride 1 (got {self.stride}); give the padding as a "
                "number, e.g. (kernel_size - 1) // 2"
            )
        if self.out_channels % self.groups:
            raise ValueError(f"groups {self.groups} must divide out_channels {self.out_channels}")
        return self

    def num_params(self, shape):
        return self.out_channels * (shape[0] // self.groups * self.kernel_size + self.bias)

    def build(self, shape):
        conv = nn.Conv1d(
            shape[0], self.out_channels, self.kernel_size, self.stride,
            self.padding, self.dilation, self.groups, self.bias,
        )  # fmt: skip
        return _init(conv, self.init)


@LAYERS.register("layernorm")
class LayerNorm(LayerSpec):
    shorthand = "dims"
    dims: PositiveInt = Field(1, description="How many trailing dims to normalise over.")
    eps: float = Field(1e-5, gt=0)
    elementwise_affine: bool = True
    bias: bool = True

    def _normalized(self, shape):
        if self.dims > len(shape):
            raise ValueError(
                f"layernorm: dims {self.dims} is more than the input's {len(shape)} dims "
                f"{list(shape)}"
            )
        return tuple(shape[len(shape) - self.dims :])

    def num_params(self, shape):
        if not self.elementwise_affine or self.dims > len(shape):
            return 0
        return (1 + self.bias) * math.prod(self._normalized(shape))

    def build(self, shape):
        return nn.LayerNorm(
            self._normalized(shape), self.eps, self.elementwise_affine, bias=self.bias
        )
