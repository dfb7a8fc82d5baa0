"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional) and their one-step cells.

Parameter names, shapes, gate order (LSTM i, f, g, o; GRU r, z, n) and initialisation are
PyTorch's, so a PyTorch state_dict loads and gives the same outputs.

>>> lstm = LSTM(28, 64, batch_first=True)
>>> output, (h_n, c_n) = lstm(images.reshape(-1, 28, 28))   # output (N, 28, 64)
"""

from __future__ import annotations

import math
import numbers
import warnings

from gradcli import factories
from gradcli.errors import ShapeError
from gradcli.nn import functional as F
from gradcli.nn import init
from gradcli.nn.module import Module
from gradcli.nn.parameter import Parameter
from gradcli.ops.linalg import linear
from gradcli.ops.rnn import gru_recurrence, lstm_recurrence, rnn_recurrence
from gradcli.ops.shape import cat, stack

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _run(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """One layer in one direction over x (T, N, F): returns (output, h_n, c_n or None)."""
    if mode == "GRU":
        xw = linear(x, w_ih, b_ih)
        y = gru_recurrence(xw, h0, w_hh, b_hh, reverse=reverse)
        return y, y[0 if reverse else -1], None
    # both biases are added to every step's pre-activation, so they can join the input matmul
    xw = linear(x, w_ih, None if b_ih is None else b_ih + b_hh)
    if mode == "LSTM":
        y = lstm_recurrence(xw, h0, c0, w_hh, reverse=reverse)
        steps = x.shape[0]
        return y[:steps], y[0 if reverse else steps - 1], y[steps]
    y = rnn_recurrence(xw, h0, w_hh, reverse, "relu" if mode == "RNN_RELU" else "tanh")
    return y, y[0 if reverse else -1], None


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the weights of every layer and direction, and the loop."""

    def __init__(
        self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
        dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None,
    ):  # fmt: skip
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                f"element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        for name, value in (("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be an integer greater than zero, got {value!r}")
        if proj_size:
            raise ValueError(
                "gradcli does not support LSTM proj_size yet; leave proj_size=0 and add a "
                "Linear layer on the output instead"
            )
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, 0
        gates = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, width)), ("weight_hh", (gates, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for name, shape in shapes:
                    param = factories.empty(*shape, dtype=dtype, device=device)
                    self.register_parameter(name + suffix, Parameter(param))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op: the weights are not packed into one buffer here (cuDNN's layout)."""

    @property
    def all_weights(self):
        names = iter(self._flat_weights_names)
        per = 4 if self.bias else 2
        count = self.num_layers * self.num_directions
        return [[getattr(self, next(names)) for _ in range(per)] for _ in range(count)]

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return [get(n + suffix) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def _check_state(self, h, expected, which):
        if tuple(h.shape) != expected:
            raise ShapeError(
                f"{self._get_name()}: expected {which} of size {expected}, got "
                f"{tuple(h.shape)}; pass (num_layers * num_directions, batch, hidden_size)"
            )

    def forward(self, input, hx=None):
        name = self._get_name()
        if input.dim() not in (2, 3):
            raise ShapeError(
                f"{name}: expected input to be 2D (L, H_in) or 3D (batched), got "
                f"{input.dim()}D of shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )
        batched = input.dim() == 3
        if input.shape[1 if batched and self.batch_first else 0] == 0:
            raise ShapeError(
                f"{name}: expected a sequence of at least one step, got input of shape "
                f"{tuple(input.shape)}"
            )
        x = input if not batched else input.transpose(0, 1) if self.batch_first else input
        if not batched:
            x = x.unsqueeze(1)
        lstm = self.mode == "LSTM"
        h0, c0 = (hx if lstm else (hx, None)) if hx is not None else (None, None)
        states = self._initial_states(x, h0, c0, batched)
        h0, c0 = states
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                y, h, c = _run(
                    self.mode, x, h0[k], None if c0 is None else c0[k],
                    *self._weights(layer, d), reverse=d == 1,
                )  # fmt: skip
                outs.append(y)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if len(outs) == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = stack(h_n, 0)
        c_n = stack(c_n, 0) if lstm else None
        if not batched:
            x, h_n = x.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, ((h_n, c_n) if lstm else h_n)

    def _initial_states(self, x, h0, c0, batched):
        layers = self.num_layers * self.num_directions
        shape = (layers, x.shape[1], self.hidden_size)
        states = []
        for state, which in ((h0, "hidden[0]" if self.mode == "LSTM" else "hidden"),
                             (c0, "hidden[1]")):  # fmt: skip
            if which == "hidden[1]" and self.mode != "LSTM":
                states.append(None)
            elif state is None:
                states.append(factories.zeros(*shape, dtype=x.dtype, device=x.device))
            else:
                self._check_state(state, shape if batched else (layers, self.hidden_size), which)
                states.append(state if batched else state.unsqueeze(1))
        return states

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)  # fmt: skip
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n))."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)  # fmt: skip


class GRU(RNNBase):
    """Gated recurrent unit; n_t = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)  # fmt: skip


class Recurrent(RNNBase):
    """An RNN, LSTM or GRU that returns one tensor, as a layer of a Sequential (what the YAML's
    `rnn`/`lstm`/`gru` build): batch-first (N, T, F) -> every step (N, T, D * H) with
    output="sequence", or with output="last" the top layer's final state of each direction,
    joined (N, D * H). Its weights have the plain layer's names (`weight_ih_l0`, ...).

    For one direction "last" is output[:, -1]; for two it takes the backward direction's state
    after it has read the whole sequence (at t = 0), not its first step at t = T - 1.
    """

    _MODES = {"rnn": "RNN_TANH", "lstm": "LSTM", "gru": "GRU"}

    def __init__(self, kind, input_size, hidden_size, output="last", nonlinearity="tanh", **kw):
        if output not in ("sequence", "last"):
            raise ValueError(f"output must be 'sequence' or 'last', got {output!r}")
        mode = "RNN_RELU" if kind == "rnn" and nonlinearity == "relu" else self._MODES[kind]
        super().__init__(mode, input_size, hidden_size, batch_first=True, **kw)
        self.kind, self.output, self.nonlinearity = kind, output, nonlinearity

    def forward(self, input):
        out, h = super().forward(input)
        if self.output == "sequence":
            return out
        h = h[0] if isinstance(h, tuple) else h
        return h[-1] if self.num_directions == 1 else cat([h[-2], h[-1]], 1)

    def _get_name(self) -> str:
        return self.kind.upper()

    def extra_repr(self) -> str:
        relu = ", nonlinearity=relu" if self.mode == "RNN_RELU" else ""
        return f"{super().extra_repr()}{relu}, output={self.output!r}"
