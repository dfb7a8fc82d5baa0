"""Tensor-level backward rules, used when a backward pass itself is recorded (`create_graph`).

The ops' own `backward` works on raw arrays (fast, and what plain training runs). When the
gradient must be differentiated again (a gradient penalty, a Hessian-vector product), the engine
calls the rule registered here for the node's op instead: the same formula written with Tensor
ops, so its computation becomes part of the graph. A saved input takes part as a Tensor that
carries the saved array and the node's edge to that input (`saved_input`), a saved output as a
Tensor whose grad_fn is the node itself (`saved_output`): the second pass then flows into the
original graph exactly where the first one came from.

Rules by op family live in `double_backward_ops.py` (elementwise, activations),
`double_backward_shape.py` (shape, reductions, indexing, products, losses) and
`double_backward_norm.py` (layer, group and batch norm).
"""

from __future__ import annotations

import weakref

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import AccumulateGrad
from gradcli.backend import get_array_module
from gradcli.errors import AutogradError

RULES = {}


def rule(*op_classes):
    """Register `fn(node, g) -> gradient or tuple of gradients` for these op classes."""

    def register(fn):
        for cls in op_classes:
            RULES[cls] = fn
        return fn

    return register


def tensor_backward(node, g):
    """The engine's call under create_graph: node's gradients as Tensors, recorded."""
    own = getattr(node, "backward_tensors", None)  # user Functions: their backward is Tensor ops
    if own is not None:
        return own(g)
    if not RULES:
        _load_rules()
    fn = RULES.get(type(node))
    if fn is None:
        raise AutogradError(f"create_graph is not supported through {node.name()} yet")
    return fn(node, g)


def const(array):
    return _tensor.Tensor._make(array)


def saved_input(node, i, array):
    """`array` (a saved copy of input i's value) as a Tensor whose gradient goes where input i's
    gradient went: into its grad_fn, or into the leaf's AccumulateGrad."""
    nxt = node.next_functions[i][0]
    Tensor = _tensor.Tensor
    if nxt is None:
        return Tensor._make(array)
    if type(nxt) is AccumulateGrad:
        t = Tensor._make(array, True)
        t._acc = weakref.ref(nxt)
        return t
    return Tensor._make(array, True, nxt)


def saved_output(node, array):
    """The node's own output as a Tensor: differentiating through it runs the node again."""
    return _tensor.Tensor._make(array, True, node)


def zero_input(node, i, like, shape):
    """A zero Tensor (of `like`'s dtype and device) routed to input i. Added to a constant, it
    gives a Tensor with a saved value and input i's derivative, for ops that saved only some
    function of their inputs (mse_loss keeps 2 * (x - y), not x and y)."""
    return saved_input(node, i, get_array_module(like).zeros(shape, dtype=like.dtype))


def sum_to_tensor(t, shape):
    """Sum a broadcast gradient Tensor back to `shape` (recorded)."""
    shape = tuple(shape)
    if tuple(t.shape) == shape:
        return t
    lead = t.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and t.shape[i + lead] != 1
    )
    return t.sum(dims, keepdim=True).reshape(shape)


def expand_reduced_tensor(g, shape, axes, keepdim):
    """Broadcast a reduction's gradient Tensor back to the input `shape` (recorded)."""
    shape = tuple(shape)
    if not shape:
        return g.reshape(())
    if axes is None:
        g = g.reshape((1,) * len(shape))
    elif not keepdim:
        for a in sorted(axes):
            g = g.unsqueeze(a)
    return g.expand(shape)


def _load_rules():
    # the rule modules import the ops, which import this package: loaded on first use
    from gradcli.autograd import (  # noqa: F401
        double_backward_norm,
        double_backward_ops,
        double_backward_shape,
    )
