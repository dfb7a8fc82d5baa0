"""Recurrent layers in the YAML: `- lstm: 64`, `- gru: {hidden_size: 32, bidirectional: true}`.

Input is a sequence of feature vectors, (T, F) per sample (batch-first). `output: last` (the
default) gives the top layer's final hidden state, (D * hidden_size,) with D = 2 when
bidirectional: what a sequence classifier puts a `linear` on. `output: sequence` gives every
step, (T, D * hidden_size), to stack another recurrent layer on. MNIST read row by row:

    - flatten: {start_dim: 1, end_dim: 2}   # (1, 28, 28) -> 28 steps of 28 features
    - lstm: 64                              # -> (64,)
    - linear: 10
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from gradcli.config.layers import LAYERS
from gradcli.config.spec import LayerSpec
from gradcli.nn.rnn import Recurrent

_SEQUENCE = (
    2,
    "it reads (steps, features); for images read row by row, put "
    "`- flatten: {start_dim: 1, end_dim: 2}` before it",
)


class _Recurrent(LayerSpec):
    shorthand, expects = "hidden_size", _SEQUENCE
    gates: ClassVar[int] = 1  # weight blocks per layer: LSTM 4, GRU 3
    hidden_size: PositiveInt = Field(description="Features of the hidden state.")
    num_layers: PositiveInt = Field(1, description="Stacked recurrent layers.")
    bidirectional: bool = Field(False, description="Also read the sequence backwards.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout between stacked layers.")
    bias: bool = True
    output: Literal["last", "sequence"] = Field(
        "last", description="last: the final hidden state (N, D*H); sequence: every step."
    )

    @model_validator(mode="after")
    def _dropout_needs_layers(self):
        if self.dropout and self.num_layers == 1:
            raise ValueError(
                f"dropout ({self.dropout}) acts between stacked layers and this has one; set "
                "num_layers of 2 or more, or put a `- dropout` layer after it"
            )
        return self

    def num_params(self, shape):
        hidden, directions = self.hidden_size, 1 + self.bidirectional
        total = 0
        for layer in range(self.num_layers):
            width = shape[-1] if layer == 0 else hidden * directions
            total += self.gates * hidden * (width + hidden + 2 * self.bias) * directions
        return total

    def _options(self):
        return dict(
            num_layers=self.num_layers, bias=self.bias, dropout=self.dropout,
            bidirectional=self.bidirectional,
        )  # fmt: skip


@LAYERS.register("rnn")
class Rnn(_Recurrent):
    nonlinearity: Literal["tanh", "relu"] = "tanh"

    def build(self, shape):
        return Recurrent(self.kind, shape[-1], self.hidden_size, self.output,
                         nonlinearity=self.nonlinearity, **self._options())  # fmt: skip


@LAYERS.register("lstm")
class Lstm(_Recurrent):
    gates = 4

    def build(self, shape):
        return Recurrent(self.kind, shape[-1], self.hidden_size, self.output, **self._options())


@LAYERS.register("gru")
class Gru(Lstm):
    gates = 3
