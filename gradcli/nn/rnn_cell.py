"""One-step recurrent cells: RNNCell, LSTMCell, GRUCell (PyTorch's names, shapes and init).

Each runs its layer's recurrence for a single timestep, so the maths lives in one place.

>>> cell = LSTMCell(10, 20)
>>> h, c = cell(x_t, (h, c))
"""

from __future__ import annotations

import math

from gradcli import factories
from gradcli.errors import ShapeError
from gradcli.nn import init
from gradcli.nn.module import Module
from gradcli.nn.parameter import Parameter
from gradcli.ops.linalg import linear
from gradcli.ops.rnn import gru_recurrence, lstm_recurrence, rnn_recurrence


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size

        def param(*shape):
            return Parameter(factories.empty(*shape, dtype=dtype, device=device))

        self.weight_ih = param(gates, input_size)
        self.weight_hh = param(gates, hidden_size)
        if bias:
            self.bias_ih, self.bias_hh = param(gates), param(gates)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, states):
        """(1, N, F) input and (N, H) states, whatever was given; `batched` to undo it."""
        name = self._get_name()
        if input.dim() not in (1, 2):
            raise ShapeError(
                f"{name}: expected input to be 1D or 2D, got {input.dim()}D of shape "
                f"{tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input has {input.shape[-1]} features, expected {self.input_size}"
            )
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        out = []
        for s in states:
            if s is None:
                s = factories.zeros(*expected, dtype=x.dtype, device=x.device)
            elif tuple(s.shape) != expected:
                raise ShapeError(
                    f"{name}: hidden state has shape {tuple(s.shape)}, expected {expected}"
                )
            out.append(s if batched else s.unsqueeze(0))
        return x.unsqueeze(0), out, batched

    def _bias(self):
        return None if self.bias_ih is None else self.bias_ih + self.bias_hh


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):  # fmt: skip
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}; use 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        xw = linear(x, self.weight_ih, self._bias())
        h = rnn_recurrence(xw, h, self.weight_hh, False, self.nonlinearity)[0]
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, [None, None] if hx is None else list(hx))
        y = lstm_recurrence(linear(x, self.weight_ih, self._bias()), h, c, self.weight_hh)
        h, c = y[0], y[1]
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        xw = linear(x, self.weight_ih, self.bias_ih)
        h = gru_recurrence(xw, h, self.weight_hh, self.bias_hh)[0]
        return h if batched else h.squeeze(0)
