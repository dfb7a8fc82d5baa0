"""Recurrences of RNN, LSTM and GRU layers: one graph node per layer and direction.

The input projection `x @ W_ih.T + b` is one matmul over every timestep, done by the caller
with `linear`; what is left is inherently sequential (`h_{t-1} @ W_hh.T` each step). Built from
graph ops, a step costs ~15 nodes and the slice `xw[t]` allocates a full-size gradient in
backward (O(T^2) work); here forward and backpropagation through time are plain array loops,
and the weight gradient is one matmul over all steps. `reverse` runs the sequence backwards
(the second direction of a bidirectional layer); outputs stay in input time order.
"""

from __future__ import annotations

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module


def _sigmoid_(a):
    """In place; sigmoid(a) = (1 + tanh(a / 2)) / 2 needs one transcendental call."""
    xp = get_array_module(a)
    a *= 0.5
    xp.tanh(a, out=a)
    a += 1
    a *= 0.5
    return a


def _transposed(w):
    """W.T as a contiguous copy, made once: the loop multiplies by it T times, and OpenBLAS was
    up to 2x slower per step on the transposed view (single-threaded, 64x64 @ 64x256)."""
    return get_array_module(w).ascontiguousarray(w.T)


def _steps(n, reverse):
    return range(n - 1, -1, -1) if reverse else range(n)


def _weight_grads(dgates, h_prev, needs_w, needs_b):
    """Sum over time of the per-step recurrent gradients, as one matmul."""
    width = dgates.shape[-1]
    flat = dgates.reshape(-1, width)
    gw = flat.T @ h_prev.reshape(-1, h_prev.shape[-1]) if needs_w else None
    gb = flat.sum(axis=0) if needs_b else None
    return gw, gb


class RnnTanh(Function):
    """h_t = act(xw_t + h_{t-1} @ W.T): xw (T, N, H), h0 (N, H), W (H, H) -> (T, N, H)."""

    relu = False

    def forward(self, xw, h0, w, reverse):
        xp = get_array_module(xw)
        self.reverse = reverse
        out = xp.empty_like(xw)
        h, wt = h0, _transposed(w)
        for t in _steps(xw.shape[0], reverse):
            a = xp.matmul(h, wt, out=out[t])
            a += xw[t]
            h = xp.maximum(a, 0, out=a) if self.relu else xp.tanh(a, out=a)
        self.save_for_backward(out, h0, w)
        return out

    def backward(self, g):
        out, h0, w = self.saved_tensors
        xp = get_array_module(g)
        n = out.shape[0]
        # h_prev[t] is the state step t read: shifted by one in the direction of travel
        h_prev = xp.empty_like(out)
        if self.reverse:
            h_prev[:-1], h_prev[-1] = out[1:], h0
        else:
            h_prev[1:], h_prev[0] = out[:-1], h0
        da = xp.empty_like(out)
        dh = xp.zeros_like(h0)
        for t in _steps(n, not self.reverse):
            dh += g[t]
            d = dh * (out[t] > 0) if self.relu else dh * (1 - out[t] * out[t])
            da[t] = d
            dh = d @ w
        gw, _ = _weight_grads(da, h_prev, self.needs_input_grad[2], False)
        return da, dh, gw


class RnnRelu(RnnTanh):
    relu = True


def rnn_recurrence(xw, h0, w_hh, reverse=False, nonlinearity="tanh"):
    op = RnnRelu if nonlinearity == "relu" else RnnTanh
    return op.apply(xw, h0, w_hh, reverse=reverse)


class Lstm(Function):
    """Gates i, f, g, o from xw_t + h_{t-1} @ W.T; c_t = f c_{t-1} + i g; h_t = o tanh(c_t).

    xw (T, N, 4H), h0 and c0 (N, H), W (4H, H) -> (T + 1, N, H): the T hidden states, then the
    final cell state (one output, so that c_n has a gradient path).
    """

    def forward(self, xw, h0, c0, w, reverse):
        xp = get_array_module(xw)
        self.reverse = reverse
        n, hid = xw.shape[0], h0.shape[-1]
        acts = xp.empty_like(xw)  # activated gates, kept for backward
        cs = xp.empty((n,) + h0.shape, dtype=xw.dtype)
        out = xp.empty((n + 1,) + h0.shape, dtype=xw.dtype)
        h, c, wt = h0, c0, _transposed(w)
        for t in _steps(n, reverse):
            a = xp.matmul(h, wt, out=acts[t])
            a += xw[t]
            _sigmoid_(a[:, : 2 * hid])
            xp.tanh(a[:, 2 * hid : 3 * hid], out=a[:, 2 * hid : 3 * hid])
            _sigmoid_(a[:, 3 * hid :])
            i, f, gg, o = a[:, :hid], a[:, hid : 2 * hid], a[:, 2 * hid : 3 * hid], a[:, 3 * hid :]
            c = f * c
            c += i * gg
            cs[t] = c
            h = xp.multiply(o, xp.tanh(c), out=out[t])
        out[n] = c
        self.save_for_backward(acts, cs, out, h0, c0, w)
        return out

    def backward(self, g):
        acts, cs, out, h0, c0, w = self.saved_tensors
        xp = get_array_module(g)
        n, hid = acts.shape[0], h0.shape[-1]
        hs, c_prev = xp.empty_like(cs), xp.empty_like(cs)
        if self.reverse:
            hs[:-1], hs[-1], c_prev[:-1], c_prev[-1] = out[1:n], h0, cs[1:], c0
        else:
            hs[1:], hs[0], c_prev[1:], c_prev[0] = out[: n - 1], h0, cs[:-1], c0
        da = xp.empty_like(acts)
        dh = xp.zeros_like(h0)
        dc = g[n].copy()
        for t in _steps(n, not self.reverse):
            dh += g[t]
            a = acts[t]
            i, f, gg, o = a[:, :hid], a[:, hid : 2 * hid], a[:, 2 * hid : 3 * hid], a[:, 3 * hid :]
            tc = xp.tanh(cs[t])
            dc += dh * o * (1 - tc * tc)
            d = da[t]
            d[:, :hid] = dc * gg * i * (1 - i)
            d[:, hid : 2 * hid] = dc * c_prev[t] * f * (1 - f)
            d[:, 2 * hid : 3 * hid] = dc * i * (1 - gg * gg)
            d[:, 3 * hid :] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = d @ w
        gw, _ = _weight_grads(da, hs, self.needs_input_grad[3], False)
        return da, dh, dc, gw


def lstm_recurrence(xw, h0, c0, w_hh, reverse=False):
    return Lstm.apply(xw, h0, c0, w_hh, reverse=reverse)


class Gru(Function):
    """r, z from xw + h @ W.T + b; n = tanh(xw_n + r * (h @ W_n.T + b_n)); h' = (1-z) n + z h.

    The recurrent bias sits inside the reset gate's product (PyTorch's form), so it is an input
    here. xw (T, N, 3H), h0 (N, H), W (3H, H), b (3H,) or None -> (T, N, H).
    """

    def forward(self, xw, h0, w, b=None, *, reverse):
        xp = get_array_module(xw)
        self.reverse, self.has_bias = reverse, b is not None
        n, hid = xw.shape[0], h0.shape[-1]
        rzn = xp.empty_like(xw)  # r, z, n after activation
        ghn = xp.empty(xw.shape[:2] + (hid,), dtype=xw.dtype)  # h @ W_n.T + b_n
        out = xp.empty_like(ghn)
        h, wt = h0, _transposed(w)
        for t in _steps(n, reverse):
            gh = h @ wt
            if b is not None:
                gh += b
            a = rzn[t]
            xp.add(xw[t, :, : 2 * hid], gh[:, : 2 * hid], out=a[:, : 2 * hid])
            _sigmoid_(a[:, : 2 * hid])
            r, z = a[:, :hid], a[:, hid : 2 * hid]
            ghn[t] = gh[:, 2 * hid :]
            nn_ = a[:, 2 * hid :]
            xp.tanh(xw[t, :, 2 * hid :] + r * ghn[t], out=nn_)
            h = nn_ + z * (h - nn_)
            out[t] = h
        self.save_for_backward(rzn, ghn, out, h0, w)
        return out

    def backward(self, g):
        rzn, ghn, out, h0, w = self.saved_tensors
        xp = get_array_module(g)
        n, hid = rzn.shape[0], h0.shape[-1]
        hs = xp.empty_like(out)
        if self.reverse:
            hs[:-1], hs[-1] = out[1:], h0
        else:
            hs[1:], hs[0] = out[:-1], h0
        dx = xp.empty_like(rzn)  # gradient of xw
        dgh = xp.empty_like(rzn)  # gradient of h @ W.T + b
        dh = xp.zeros_like(h0)
        for t in _steps(n, not self.reverse):
            dh += g[t]
            a = rzn[t]
            r, z, nn_ = a[:, :hid], a[:, hid : 2 * hid], a[:, 2 * hid :]
            dan = dh * (1 - z) * (1 - nn_ * nn_)
            dx[t, :, :hid] = dan * ghn[t] * r * (1 - r)
            dx[t, :, hid : 2 * hid] = dh * (hs[t] - nn_) * z * (1 - z)
            dx[t, :, 2 * hid :] = dan
            dgh[t, :, : 2 * hid] = dx[t, :, : 2 * hid]
            dgh[t, :, 2 * hid :] = dan * r
            dh = dh * z + dgh[t] @ w
        gw, gb = _weight_grads(dgh, hs, self.needs_input_grad[2], self.has_bias)
        return (dx, dh, gw, gb) if self.has_bias else (dx, dh, gw)


def gru_recurrence(xw, h0, w_hh, b_hh=None, reverse=False):
    if b_hh is None:
        return Gru.apply(xw, h0, w_hh, reverse=reverse)
    return Gru.apply(xw, h0, w_hh, b_hh, reverse=reverse)
