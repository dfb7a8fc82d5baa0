"""Recurrent-layer and attention cases run the same way on gradcli and on PyTorch.

`run_*(lib, case)` takes the library as an argument (`gradcli` or `torch`: the same API), loads
the same float64 weights into the module, runs forward and backward of a fixed random weighting
of every output, and returns named numbers: each output and each gradient as its sum against a
fixed random array (a random projection: two tensors that agree on it agree everywhere, bar
chance). `python tests/nn/_seq_cases.py` (with PyTorch installed) rewrites _seq_torch_numbers.py.
"""

from __future__ import annotations

import numpy as np

RNN_CASES = {
    "lstm": dict(mode="LSTM", args=(3, 4)),
    "lstm_deep_bi_bf_state": dict(
        mode="LSTM", args=(3, 4), kw=dict(num_layers=2, bidirectional=True, batch_first=True),
        state=True,
    ),
    "lstm_nobias_unbatched_state": dict(
        mode="LSTM", args=(3, 4), kw=dict(bias=False), unbatched=True, state=True
    ),
    "lstm_dropout1_train": dict(mode="LSTM", args=(3, 4), kw=dict(num_layers=2, dropout=1.0)),
    "gru_deep_bi_state": dict(
        mode="GRU", args=(3, 4), kw=dict(num_layers=2, bidirectional=True), state=True
    ),
    "gru_bf_nobias": dict(mode="GRU", args=(3, 4), kw=dict(batch_first=True, bias=False)),
    "gru_unbatched": dict(mode="GRU", args=(3, 4), unbatched=True),
    "rnn_tanh_deep_bi_bf_state": dict(
        mode="RNN", args=(3, 4), kw=dict(num_layers=2, bidirectional=True, batch_first=True),
        state=True,
    ),
    "rnn_relu_nobias": dict(mode="RNN", args=(3, 4), kw=dict(nonlinearity="relu", bias=False)),
    "rnn_relu_bi_dropout1": dict(
        mode="RNN", args=(3, 4),
        kw=dict(nonlinearity="relu", num_layers=3, bidirectional=True, dropout=1.0),
    ),
    "lstmcell_state": dict(mode="LSTMCell", args=(3, 4), state=True),
    "lstmcell_unbatched": dict(mode="LSTMCell", args=(3, 4), unbatched=True),
    "grucell_state": dict(mode="GRUCell", args=(3, 4), state=True),
    "grucell_nobias_unbatched": dict(
        mode="GRUCell", args=(3, 4), kw=dict(bias=False), unbatched=True, state=True
    ),
    "rnncell_relu_state": dict(mode="RNNCell", args=(3, 4), kw=dict(nonlinearity="relu"),
                               state=True),
    "rnncell_tanh": dict(mode="RNNCell", args=(3, 4)),
}  # fmt: skip
T, N = 5, 2


def _rng(name, salt):
    return np.random.default_rng([sum(map(ord, name)), salt])


def _fill(lib, module, name):
    """Load deterministic float64 weights into `module` through load_state_dict."""
    rng = _rng(name, 1)
    state = {
        k: lib.tensor(rng.uniform(-0.6, 0.6, tuple(v.shape)))
        for k, v in sorted(module.state_dict().items())
    }
    module.load_state_dict(state)


def _project(values, name):
    """Each named tensor as its sum against a fixed random array of its shape."""
    out = {}
    for i, (key, t) in enumerate(values.items()):
        if t is None:
            continue
        a = t.detach().numpy()
        out[key] = float((a * _rng(name, 100 + i).standard_normal(a.shape)).sum())
    return out


def run_rnn(lib, name):
    case = RNN_CASES[name]
    cell = case["mode"].endswith("Cell")
    module = getattr(lib.nn, case["mode"])(*case["args"], **case.get("kw", {})).double()
    _fill(lib, module, name)
    module.train()
    size_in, hidden = case["args"]
    rng = _rng(name, 2)
    unbatched, batch_first = case.get("unbatched", False), case.get("kw", {}).get("batch_first")
    shape = (() if cell else (T,)) + (() if unbatched else (N,)) + (size_in,)
    if batch_first and not unbatched:
        shape = (N, T, size_in)
    x = lib.tensor(rng.standard_normal(shape), requires_grad=True)
    layers = 1 if cell else case.get("kw", {}).get("num_layers", 1)
    layers *= 2 if case.get("kw", {}).get("bidirectional") else 1
    sshape = (() if cell else (layers,)) + (() if unbatched else (N,)) + (hidden,)
    states = []
    if case.get("state"):
        count = 2 if "LSTM" in case["mode"] else 1
        states = [lib.tensor(rng.standard_normal(sshape), requires_grad=True) for _ in range(count)]
    hx = None if not states else tuple(states) if len(states) == 2 else states[0]
    result = module(x, hx)
    if cell:
        outs = {"h": result[0], "c": result[1]} if "LSTM" in case["mode"] else {"h": result}
    else:
        out, hn = result
        outs = (
            {"out": out, "h_n": hn[0], "c_n": hn[1]}
            if case["mode"] == "LSTM"
            else {"out": out, "h_n": hn}
        )
    loss = 0
    for i, t in enumerate(outs.values()):
        loss = loss + (t * lib.tensor(_rng(name, 50 + i).standard_normal(tuple(t.shape)))).sum()
    loss.backward()
    grads = {"grad_x": x.grad}
    grads.update({f"grad_state{i}": s.grad for i, s in enumerate(states)})
    grads.update({f"grad_{k}": p.grad for k, p in module.named_parameters()})
    names = {k: list(v.shape) for k, v in module.state_dict().items()}
    return {**_project(outs, name), **_project(grads, name)}, names


# L query positions, S key positions, N batch, E embedding
L, S, E = 4, 3, 6
MHA_CASES = {
    "self_seqfirst": dict(kw=dict(embed_dim=E, num_heads=2), self_attn=True),
    "bf_bool_masks_per_head": dict(
        kw=dict(embed_dim=E, num_heads=3, batch_first=True), mask="bool2d", pad="bool",
        call=dict(average_attn_weights=False),
    ),
    "kdim_vdim_nobias_float3d": dict(
        kw=dict(embed_dim=E, num_heads=2, bias=False, kdim=5, vdim=7), mask="float3d"
    ),
    "unbatched_causal_noweights": dict(
        kw=dict(embed_dim=E, num_heads=2), self_attn=True, unbatched=True, mask="causal",
        call=dict(is_causal=True, need_weights=False),
    ),
    "causal_weights_floatpad": dict(
        kw=dict(embed_dim=E, num_heads=1), self_attn=True, mask="causal", pad="float",
        call=dict(is_causal=True),
    ),
    "dropout1_train": dict(kw=dict(embed_dim=E, num_heads=2, dropout=1.0)),
}  # fmt: skip


def _mask(lib, kind, rng, n, heads, size_l, size_s):
    if kind == "bool2d":
        return lib.tensor(rng.random((size_l, size_s)) < 0.3)
    if kind == "causal":
        return lib.tensor(np.triu(np.ones((size_l, size_s), dtype=bool), 1))
    if kind == "float3d":
        return lib.tensor(rng.standard_normal((n * heads, size_l, size_s)))
    return None


def run_mha(lib, name):
    case = MHA_CASES[name]
    kw = case["kw"]
    module = lib.nn.MultiheadAttention(**kw).double()
    _fill(lib, module, name)
    module.train()
    rng = _rng(name, 2)
    unbatched, bf = case.get("unbatched", False), kw.get("batch_first", False)
    size_s = L if case.get("self_attn") else S

    def seq(length, dim):
        shape = (length, dim) if unbatched else (N, length, dim) if bf else (length, N, dim)
        return lib.tensor(rng.standard_normal(shape), requires_grad=True)

    q = seq(L, E)
    k = q if case.get("self_attn") else seq(size_s, kw.get("kdim", E))
    v = q if case.get("self_attn") else seq(size_s, kw.get("vdim", E))
    mask = _mask(lib, case.get("mask"), rng, N, kw["num_heads"], L, size_s)
    pad = None
    if case.get("pad") == "bool":
        keep = rng.random((N, size_s)) < 0.3
        keep[:, 0] = False  # every row keeps a key: a fully padded row is NaN in PyTorch too
        pad = lib.tensor(keep)
    elif case.get("pad") == "float":
        pad = lib.tensor(rng.standard_normal((N, size_s)))
    out, weights = module(q, k, v, key_padding_mask=pad, attn_mask=mask, **case.get("call", {}))
    outs = {"out": out, "weights": weights}
    loss = 0
    for i, t in enumerate(outs.values()):
        if t is not None:
            w = lib.tensor(_rng(name, 50 + i).standard_normal(tuple(t.shape)))
            loss = loss + (t * w).sum()
    loss.backward()
    grads = {"grad_q": q.grad, "grad_k": None if k is q else k.grad}
    grads["grad_v"] = None if v is q else v.grad
    grads.update({f"grad_{n}": p.grad for n, p in module.named_parameters()})
    names = {k: list(v.shape) for k, v in module.state_dict().items()}
    return {**_project(outs, name), **_project(grads, name)}, names


SDPA_CASES = {
    "plain_4d": dict(shape=(2, 3, L, S, 4, 5)),
    "causal_l_ne_s": dict(shape=(2, 2, L, S + 2, 4, 4), call=dict(is_causal=True)),
    "bool_mask_empty_row_3d": dict(shape=(2, L, S, 4, 3), mask="bool_empty_row"),
    "float_mask_broadcast_scale": dict(shape=(2, 2, L, S, 3, 3), mask="float",
                                       call=dict(scale=0.3)),
}  # fmt: skip


def run_sdpa(lib, name):
    case = SDPA_CASES[name]
    *batch, size_l, size_s, e, ev = case["shape"]
    rng = _rng(name, 2)

    def arr(*shape):
        return lib.tensor(rng.standard_normal(tuple(batch) + shape), requires_grad=True)

    q, k, v = arr(size_l, e), arr(size_s, e), arr(size_s, ev)
    mask = None
    if case.get("mask") == "bool_empty_row":
        allowed = rng.random((size_l, size_s)) < 0.6
        allowed[1] = False
        mask = lib.tensor(allowed)
    elif case.get("mask") == "float":
        mask = lib.tensor(rng.standard_normal((size_l, size_s)))
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                         **case.get("call", {}))  # fmt: skip
    (out * lib.tensor(_rng(name, 50).standard_normal(tuple(out.shape)))).sum().backward()
    grads = {"grad_q": q.grad, "grad_k": k.grad, "grad_v": v.grad}
    return {**_project({"out": out}, name), **_project(grads, name)}, {}


def record():
    """Run every case on PyTorch and write the numbers into _seq_torch_numbers.py."""
    import pathlib
    import pprint

    import torch

    torch.set_default_dtype(torch.float64)
    numbers = {"rnn": {k: run_rnn(torch, k) for k in RNN_CASES},
               "mha": {k: run_mha(torch, k) for k in MHA_CASES},
               "sdpa": {k: run_sdpa(torch, k) for k in SDPA_CASES}}  # fmt: skip
    path = pathlib.Path(__file__).with_name("_seq_torch_numbers.py")
    path.write_text(
        f'"""Written by `python tests/nn/_seq_cases.py` with PyTorch {torch.__version__}\n'
        '(CPU, float64): each case\'s (numbers, state_dict shapes)."""\n\n'
        f"TORCH_VERSION = {torch.__version__!r}\n"
        f"NUMBERS = {pprint.pformat(numbers, width=99, sort_dicts=False)}\n"
    )


if __name__ == "__main__":
    record()
