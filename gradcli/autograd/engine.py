"""The backward pass: count dependencies, then run each node once in topological order.

Iterative (no recursion limit), and it frees each node's saved arrays and incoming gradient as
soon as the node has run, so peak memory falls while backward proceeds.
"""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import AccumulateGrad


def _dependencies(roots) -> dict:
    """How many edges point at each node reachable from `roots`."""
    deps = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def run_backward(roots, retain_graph: bool = False) -> None:
    """`roots`: (node, gradient array) pairs. Accumulates into the leaves' `.grad`."""
    grads = {}
    for node, g in roots:
        grads[node] = grads[node] + g if node in grads else g
    deps = _dependencies(list(grads))
    ready = [n for n in grads if n not in deps]
    stored = set()  # ids of arrays already stored as some leaf's .grad: a second leaf copies
    while ready:
        node = ready.pop()
        g = grads.pop(node, None)
        if type(node) is AccumulateGrad:
            if g is not None:
                _accumulate(node.variable, g, stored)
            continue
        in_grads = None
        if g is not None:
            if node._hooks or node._retain is not None:
                g = _run_tensor_hooks(node, g)
            in_grads = node.backward(g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
        if not retain_graph:
            node._saved = None  # free what forward saved as soon as it is used
        i = -1
        for nxt, _ in node.next_functions:
            i += 1
            if nxt is None:
                continue
            ig = in_grads[i] if in_grads is not None else None
            if ig is not None:
                prev = grads.get(nxt)
                # out of place: the same array may also have been passed to another node
                grads[nxt] = ig if prev is None else prev + ig
            remaining = deps[nxt] - 1
            deps[nxt] = remaining
            if not remaining:
                ready.append(nxt)


def _wrap(array):
    return _tensor.Tensor._make(array)


def _run_tensor_hooks(node, g):
    for hook in node._hooks or ():
        result = hook(_wrap(g))
        if result is not None:
            g = result._data
    if node._retain is not None:
        t = node._retain()
        if t is not None:
            if t.grad is None:
                t.grad = _wrap(g.copy())
            else:
                t.grad._data = t.grad._data + g
    return g


def _accumulate(variable, g, stored: set) -> None:
    for hook in variable._hooks or ():
        result = hook(_wrap(g))
        if result is not None:
            g = result._data
    if variable.grad is None:
        # Take ownership of g unless it may be shared: a view, or already given to a leaf.
        if g.base is not None or id(g) in stored:
            g = g.copy()
        stored.add(id(g))
        variable.grad = _wrap(g)
    else:
        variable.grad._data += g
