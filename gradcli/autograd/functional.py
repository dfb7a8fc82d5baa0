"""`gradcli.autograd.functional`: vjp, jvp, jacobian, hessian, hvp and vhp of a function.

>>> f = lambda x: (x**3).sum()
>>> gradcli.autograd.functional.hessian(f, gradcli.tensor([1.0, 2.0]))
tensor([[ 6.,  0.],
        [ 0., 12.]])

All are built on `autograd.grad`; forward-mode products (jvp) use the double-backward trick
(the vjp is linear in its vector, so differentiating it by that vector gives the jvp), hence
need create_graph support through the ops involved.
"""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.grad_api import grad
from gradcli.backend import get_array_module


def _tuple(x):
    is_tuple = not isinstance(x, _tensor.Tensor)
    return (tuple(x) if is_tuple else (x,)), is_tuple


def _prepare(inputs, create_graph):
    """Inputs to differentiate by: views of them keep their graph under create_graph, detached
    copies otherwise (so the caller's graph is left alone)."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.reshape(t.shape))
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _zeros_for_none(grads, like):
    Tensor = _tensor.Tensor
    return tuple(
        Tensor._make(get_array_module(t._data).zeros_like(t._data)) if g is None else g
        for g, t in zip(grads, like)
    )


def _outputs(func, xs):
    out, is_tuple = _tuple(func(*xs))
    return out, is_tuple


def _finish(values, create_graph):
    return tuple(v if create_graph else v.detach() for v in values)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product."""
    inputs, in_tuple = _tuple(inputs)
    xs = _prepare(inputs, create_graph)
    outs, out_tuple = _outputs(func, xs)
    vs = None if v is None else _tuple(v)[0]
    gs = _zeros_for_none(grad(outs, xs, vs, create_graph=create_graph, allow_unused=True), xs)
    outs, gs = _finish(outs, create_graph), _finish(gs, create_graph)
    return (outs if out_tuple else outs[0]), (gs if in_tuple else gs[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product."""
    inputs, in_tuple = _tuple(inputs)
    xs = _prepare(inputs, True)
    outs, out_tuple = _outputs(func, xs)
    vs = _tuple(v)[0] if v is not None else tuple(_ones(x) for x in xs)
    us = tuple(_zeros(o).requires_grad_(True) for o in outs)
    gs = grad(outs, xs, us, create_graph=True, allow_unused=True)
    used = [(g, w) for g, w in zip(gs, vs) if g is not None]
    jv = grad(
        [g for g, _ in used], us, [w for _, w in used], create_graph=create_graph, allow_unused=True
    )
    jv = _finish(_zeros_for_none(jv, outs), create_graph)
    outs = _finish(outs, create_graph)
    return (outs if out_tuple else outs[0]), (jv if out_tuple else jv[0])


def _ones(t):
    return _tensor.Tensor._make(get_array_module(t._data).ones_like(t._data))


def _zeros(t):
    return _tensor.Tensor._make(get_array_module(t._data).zeros_like(t._data))


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """d func / d inputs, shaped output.shape + input.shape (tuples follow func's and inputs')."""
    inputs, in_tuple = _tuple(inputs)
    xs = _prepare(inputs, create_graph)
    outs, out_tuple = _outputs(func, xs)
    rows = []
    for o in outs:
        xp = get_array_module(o._data)
        per_input = [[] for _ in xs]
        for j in range(o.numel() if o.requires_grad else 0):  # no graph: the rows are zeros
            e = xp.zeros(o._data.size, dtype=o._data.dtype)
            e[j] = 1
            seed = _tensor.Tensor._make(e.reshape(o._data.shape))
            gs = grad(o, xs, seed, retain_graph=True, create_graph=create_graph, allow_unused=True)
            for i, g in enumerate(_zeros_for_none(gs, xs)):
                per_input[i].append(g if create_graph else g.detach())
        rows.append(tuple(_stack_rows(r, o.shape, x.shape, x) for r, x in zip(per_input, xs)))
    rows = [r if in_tuple else r[0] for r in rows]
    return tuple(rows) if out_tuple else rows[0]


def _stack_rows(rows, out_shape, in_shape, like):
    from gradcli.ops.shape import reshape, stack

    if not rows:
        return _tensor.Tensor._make(
            get_array_module(like._data).zeros(tuple(out_shape) + tuple(in_shape), like._data.dtype)
        )
    return reshape(stack(rows), tuple(out_shape) + tuple(in_shape))


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """Second derivatives of a scalar func: shape input.shape + input.shape."""
    inputs, in_tuple = _tuple(inputs)

    def gradient(*xs):
        (out,) = _tuple(func(*xs))[0]
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        return _zeros_for_none(gs, xs)

    h = jacobian(gradient, inputs, create_graph=create_graph)  # rows: one per input's gradient
    return h if in_tuple else h[0][0]


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func."""
    inputs, in_tuple = _tuple(inputs)
    xs = _prepare(inputs, True)
    (out,) = _tuple(func(*xs))[0]
    gs = _zeros_for_none(grad(out, xs, create_graph=True, allow_unused=True), xs)
    vs = _tuple(v)[0] if v is not None else tuple(_ones(x) for x in xs)
    dot = sum((g * w).sum() for g, w in zip(gs, vs))
    if dot.requires_grad:
        hv = grad(dot, xs, create_graph=create_graph, allow_unused=True)
    else:  # the gradient does not depend on the inputs: func is linear, H is zero
        hv = (None,) * len(xs)
    hv = _zeros_for_none(hv, xs)
    hv = _finish(hv, create_graph)
    out = out if create_graph else out.detach()
    return out, (hv if in_tuple else hv[0])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H); the same as hvp for twice continuously differentiable funcs."""
    return hvp(func, inputs, v, create_graph, strict)
