"""ONNX converter for the YAML's recurrent layers (`rnn`, `lstm`, `gru`: nn.Recurrent), as
ONNX's own RNN, LSTM and GRU operators, one node per stacked layer.

ONNX orders the gate blocks differently: LSTM i, o, f, c where gradcli (as PyTorch) has
i, f, g, o; GRU z, r, h where gradcli has r, z, n. GRU's `linear_before_reset=1` is the form
gradcli computes (the reset gate multiplies W_hn h + b_hn). Dropout between layers is off in
eval mode, so there is none in the graph.
"""

from __future__ import annotations

import numpy as np

from gradcli.deploy.onnx_export import Builder, Unsupported, Value, converts
from gradcli.nn.rnn import Recurrent

# gradcli's gate blocks in ONNX's order
_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}
_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _blocks(array: np.ndarray, order: list[int]) -> np.ndarray:
    parts = np.split(array, len(order), axis=0)
    return np.concatenate([parts[i] for i in order], axis=0)


def _layer_weights(m, layer: int):
    """W (D, G*H, I), R (D, G*H, H) and B (D, 2*G*H) or None, in ONNX's gate order."""
    order = _ORDER[m.mode]
    ws, rs, bs = [], [], []
    for d in range(m.num_directions):
        w_ih, w_hh, b_ih, b_hh = (
            None if p is None else p.detach().cpu().numpy() for p in m._weights(layer, d)
        )
        ws.append(_blocks(w_ih, order))
        rs.append(_blocks(w_hh, order))
        if b_ih is not None:
            bs.append(np.concatenate([_blocks(b_ih, order), _blocks(b_hh, order)]))
    return np.stack(ws), np.stack(rs), (np.stack(bs) if bs else None)


@converts(Recurrent)
def recurrent(b: Builder, m, x: Value) -> str:
    if len(x.shape) != 3:
        raise Unsupported(m, f"unbatched input of shape {x.shape[1:]} (expected (N, T, F))")
    directions = m.num_directions
    attrs = {
        "hidden_size": m.hidden_size,
        "direction": "bidirectional" if directions == 2 else "forward",
    }
    if m.mode == "GRU":
        attrs["linear_before_reset"] = 1
    if m.mode.startswith("RNN"):
        attrs["activations"] = ["Relu" if m.mode == "RNN_RELU" else "Tanh"] * directions
    seq = b.op("Transpose", [x.name], perm=[1, 0, 2])  # ONNX's recurrences are time-major
    for layer in range(m.num_layers):
        w, r, bias = _layer_weights(m, layer)
        inputs = [seq, b.const(w, f"W_l{layer}"), b.const(r, f"R_l{layer}")]
        if bias is not None:
            inputs.append(b.const(bias, f"B_l{layer}"))
        y, y_h = b.op(_OP[m.mode], inputs, outputs=2, **attrs)
        # Y is (T, D, N, H): the next layer reads (T, N, D * H), each direction's features joined
        y = b.op("Transpose", [y], perm=[0, 2, 1, 3])
        seq = b.op("Reshape", [y, b.ints([0, 0, -1])])
    if m.output == "sequence":
        return b.op("Transpose", [seq], perm=[1, 0, 2])
    # "last": the top layer's final state per direction (D, N, H) -> (N, D * H), forward first
    last = b.op("Transpose", [y_h], perm=[1, 0, 2])
    return b.op("Reshape", [last, b.ints([0, -1])])
