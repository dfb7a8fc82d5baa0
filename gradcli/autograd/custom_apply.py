"""How `F.apply` links a user Function into the graph (see custom_function.py).

Forward runs without recording; then the returned Tensors get the `FBackward` node as grad_fn
(an input returned as-is comes back as a new view of it), and what ctx saved is stored so that
saved outputs do not keep their own node alive.
"""

from __future__ import annotations

import weakref

from gradcli.autograd import function as _function
from gradcli.autograd import grad_mode
from gradcli.autograd import tensor as _tensor
from gradcli.backend import get_array_module


class _OutputSlot(_function.Function):
    """grad_fn of output k of a Function with several differentiable outputs. The engine moves
    one gradient per edge; this node hands its gradient to slot k of the shared node, which
    runs once with all of them."""

    def __init__(self, node, k):
        self.next_functions = ((node, 0),)
        self._k = k

    def name(self) -> str:
        return self.next_functions[0][0].name()

    def backward(self, g):
        self.next_functions[0][0]._put(self._k, g)
        return _ARRIVED

    backward_tensors = backward


class _Arrived:
    """What an _OutputSlot passes on: the shared node's real gradients are in its slots."""

    def __add__(self, other):
        return self


_ARRIVED = _Arrived()


def apply_function(fn, args, kwargs, own_context):
    """`fn.apply(*args, **kwargs)`; `own_context`: fn has a setup_context (forward takes no ctx)."""
    Tensor = _tensor.Tensor
    ctx = fn._backward_cls()
    needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
    record = grad_mode._state.enabled and True in needs
    ctx.needs_input_grad = needs if record else (False,) * len(args)
    with grad_mode.no_grad():
        if own_context:
            out = fn.forward(*args, **kwargs)
            fn.setup_context(ctx, args, out)
        else:
            out = fn.forward(ctx, *args, **kwargs)
    if not record:
        return out
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    diff = [
        k
        for k, o in enumerate(outs)
        if isinstance(o, Tensor) and id(o) not in ctx._non_diff and o._data.dtype.kind == "f"
    ]
    ctx.next_functions = tuple([a._edge() for a in args if isinstance(a, Tensor)])
    ctx._arg_meta = [
        (tuple(a._data.shape), a._data.dtype) if isinstance(a, Tensor) else None for a in args
    ]
    ctx._out_meta = [
        (o._data.shape, o._data.dtype, get_array_module(o._data)) if isinstance(o, Tensor) else None
        for o in outs
    ]
    if len(diff) == 1:
        ctx._slot = diff[0]
    results, grad_fns = list(outs), {}
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        if id(o) in input_ids or o.grad_fn is not None or o._requires_grad:
            r = Tensor._make(o._data)  # an input returned as-is comes back as a view of it
            r._vc = o._vc
        else:
            r = o
        if k in diff:
            gf = ctx if ctx._slot is not None else _OutputSlot(ctx, k)
            r.grad_fn, r._requires_grad = gf, True
            grad_fns[k] = gf
        results[k] = r
    _store_saved(ctx, input_ids, outs, results, grad_fns)
    return results[0] if single else tuple(results)


def _store_saved(ctx, input_ids, outs, results, grad_fns):
    """Saved inputs are kept as they are; a saved output is kept as its array and rebuilt on
    unpack with its grad_fn (a strong reference would make node -> output -> node a cycle)."""
    if not ctx._to_save:
        return
    out_index = {id(o): k for k, o in enumerate(outs) if o is not None}
    entries = []
    for t in ctx._to_save:
        if t is None:
            entries.append(None)
        elif id(t) in input_ids or id(t) not in out_index:
            entries.append((t, t._vc, t._vc[0], None))
        else:
            k = out_index[id(t)]
            r = results[k]
            gf = grad_fns.get(k)
            if gf is None:  # a non-differentiable output: a plain tensor, no node to point at
                entries.append((r, r._vc, r._vc[0], None))
            else:
                ref = True if gf is ctx else weakref.ref(gf)  # True: ctx itself, without a cycle
                entries.append((r._data, r._vc, r._vc[0], ref))
    ctx._saved, ctx._had_saved, ctx._to_save = tuple(entries), True, ()
