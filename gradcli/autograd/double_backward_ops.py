"""Tensor-level backward rules of the elementwise ops and activations (see double_backward.py).

Each mirrors the array formula of the op's own `backward`. Masks (relu, clamp, where, ties of
maximum) enter as constants: their derivative is zero almost everywhere.
"""

from __future__ import annotations

from gradcli.autograd.double_backward import (
    const,
    rule,
    saved_input,
    saved_output,
    sum_to_tensor,
)
from gradcli.backend import get_array_module
from gradcli.ops import activation as act
from gradcli.ops import arithmetic as ar
from gradcli.ops.dropout import Dropout


def _pair(node, ga, gb):
    """Gradients of a binary op, each summed back to its input's shape (None where unneeded)."""
    na, nb = node.needs_input_grad
    sa, sb = node.shapes
    return (sum_to_tensor(ga(), sa) if na else None), (sum_to_tensor(gb(), sb) if nb else None)


@rule(ar.Add)
def _add(node, g):
    return _pair(node, lambda: g, lambda: g)


@rule(ar.Sub)
def _sub(node, g):
    return _pair(node, lambda: g, lambda: -g)


@rule(ar.Mul)
def _mul(node, g):
    a, b = node.saved_tensors
    ga = sum_to_tensor(g * saved_input(node, 1, b), node.shapes[0]) if b is not None else None
    gb = sum_to_tensor(g * saved_input(node, 0, a), node.shapes[1]) if a is not None else None
    return ga, gb


@rule(ar.Div)
def _div(node, g):
    a, b = node.saved_tensors
    bt = saved_input(node, 1, b)
    return _pair(node, lambda: g / bt, lambda: -g * saved_input(node, 0, a) / (bt * bt))


@rule(ar.Pow)
def _pow(node, g):
    (x,) = node.saved_tensors
    p = node.p
    if p == 0:
        return g * 0
    return g * (p * saved_input(node, 0, x) ** (p - 1))


@rule(ar.PowTensor)
def _pow_tensor(node, g):
    a, b, out = node.saved_tensors
    at, bt = saved_input(node, 0, a), saved_input(node, 1, b)
    # (the b == 0 and a <= 0 special cases of the array rule are not mirrored here)
    return _pair(
        node, lambda: g * bt * at ** (bt - 1), lambda: g * saved_output(node, out) * at.log()
    )


@rule(ar.Neg)
def _neg(node, g):
    return -g


@rule(ar.Abs)
def _abs(node, g):
    (x,) = node.saved_tensors
    return g * const(get_array_module(x).sign(x))


@rule(ar.Exp)
def _exp(node, g):
    (out,) = node.saved_tensors
    return g * saved_output(node, out)


@rule(ar.Log)
def _log(node, g):
    (x,) = node.saved_tensors
    return g / saved_input(node, 0, x)


@rule(ar.Sqrt)
def _sqrt(node, g):
    (out,) = node.saved_tensors
    o = saved_output(node, out)
    return g / (o + o)


@rule(ar.Sin)
def _sin(node, g):
    (x,) = node.saved_tensors
    return g * saved_input(node, 0, x).cos()


@rule(ar.Cos)
def _cos(node, g):
    (x,) = node.saved_tensors
    return -g * saved_input(node, 0, x).sin()


@rule(ar.Maximum, ar.Minimum)
def _extremum(node, g):
    a, b = node.saved_tensors
    wins = (a < b) if type(node) is ar.Minimum else (a > b)
    share = wins + 0.5 * (a == b)  # ties split the gradient in half, as the array rule does
    dt = g._data.dtype
    return _pair(
        node, lambda: g * const(share.astype(dt)), lambda: g * const((1 - share).astype(dt))
    )


@rule(ar.Clamp)
def _clamp(node, g):
    (x,) = node.saved_tensors
    keep = get_array_module(x).ones(x.shape, dtype=bool)
    if node.lo is not None:
        keep &= x >= node.lo
    if node.hi is not None:
        keep &= x <= node.hi
    return g * const(keep.astype(g._data.dtype))


@rule(ar.Where)
def _where(node, g):
    (cond,) = node.saved_tensors
    dt = g._data.dtype
    return _pair(node, lambda: g * const(cond.astype(dt)), lambda: g * const((~cond).astype(dt)))


@rule(act.Relu)
def _relu(node, g):
    (out,) = node.saved_tensors
    return g * const((out > 0).astype(out.dtype))


@rule(act.LeakyRelu)
def _leaky_relu(node, g):
    (positive,) = node.saved_tensors
    slope = get_array_module(positive).where(positive, 1.0, node.slope)
    return g * const(slope.astype(g._data.dtype))


@rule(act.Elu)
def _elu(node, g):
    (x,) = node.saved_tensors
    xt = saved_input(node, 0, x)
    inside = const((x > 0).astype(g._data.dtype))
    # where x <= 0 the derivative is alpha * exp(x); x is clamped so exp never overflows
    return g * (inside + (1 - inside) * node.alpha * xt.clamp(max=0).exp())


@rule(Dropout)
def _dropout(node, g):
    (mask,) = node.saved_tensors
    return g * const(mask)


@rule(act.Sigmoid)
def _sigmoid(node, g):
    (out,) = node.saved_tensors
    o = saved_output(node, out)
    return g * o * (1 - o)


@rule(act.Tanh)
def _tanh(node, g):
    (out,) = node.saved_tensors
    o = saved_output(node, out)
    return g * (1 - o * o)


@rule(act.Softmax)
def _softmax(node, g):
    (out,) = node.saved_tensors
    o = saved_output(node, out)
    gy = g * o
    return gy - o * gy.sum(node.dim, keepdim=True)


@rule(act.LogSoftmax)
def _log_softmax(node, g):
    (out,) = node.saved_tensors
    return g - saved_output(node, out).exp() * g.sum(node.dim, keepdim=True)
