"""The backward pass: count dependencies, then run each node once in topological order.

Iterative (no recursion limit), and it frees each node's saved arrays and incoming gradient as
soon as the node has run, so peak memory falls while backward proceeds.

Two options change what flows and where it ends up, without touching the plain path:
- `create_graph`: gradients are Tensors and each node's backward is itself recorded (the node's
  Tensor-level rule from `double_backward`), so the result can be differentiated again.
- `capture`: the gradients reaching the given nodes are returned instead of accumulated into
  leaves' `.grad` (`autograd.grad`, `backward(inputs=...)`); nodes that lead to none of them
  are skipped.
"""

from __future__ import annotations

from gradcli.autograd import grad_mode
from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import AccumulateGrad


def _dependencies(roots) -> dict:
    """How many edges point at each node reachable from `roots` (0 for roots nothing reaches).

    The dict doubles as the set of nodes already visited."""
    deps = dict.fromkeys(roots, 0)
    stack = list(roots)
    pop, push = stack.pop, stack.append
    while stack:
        for nxt, _ in pop().next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                push(nxt)
    return deps


def _leading_to(roots, targets) -> set:
    """The nodes reachable from `roots` with an edge into some node of `targets` or into a node
    of this set: those whose backward must run for the targets' gradients."""
    needed = set()
    done = set()
    stack = [(r, False) for r in roots]
    while stack:  # iterative post-order: a node is decided after all of its children
        node, expanded = stack.pop()
        if expanded:
            if any(n in targets or n in needed for n, _ in node.next_functions):
                needed.add(node)
            continue
        if node in done:
            continue
        done.add(node)
        stack.append((node, True))
        stack.extend((n, False) for n, _ in node.next_functions if n is not None and n not in done)
    return needed


def run_backward(roots, retain_graph=False, create_graph=False, capture=None):
    """`roots`: (node, gradient) pairs, gradients as arrays (Tensors with `create_graph`).

    Without `capture`, accumulates into the leaves' `.grad`. With `capture` (a dict whose keys
    are nodes), stores the gradient reaching each key as its value and leaves `.grad` alone.
    """
    if create_graph:
        with grad_mode.enable_grad():  # the gradient computation is recorded
            _run(roots, retain_graph, True, capture)
    elif capture is not None:
        with grad_mode.no_grad():  # custom Functions' backward and hooks record nothing
            _run(roots, retain_graph, False, capture)
    else:
        _run(roots, retain_graph, False, None)


def _run(roots, retain_graph, create_graph, capture):
    grads = {}
    for node, g in roots:
        if node is not None:
            grads[node] = grads[node] + g if node in grads else g
    deps = _dependencies(list(grads))
    if capture is None and not create_graph:
        return _run_plain(grads, deps, retain_graph)
    needed = None if capture is None else _leading_to(list(grads), capture)
    call = _tensor_rules() if create_graph else None
    ready = [n for n in grads if not deps[n]]
    stored = set()  # ids of arrays already stored as some leaf's .grad: a second leaf copies
    while ready:
        node = ready.pop()
        g = grads.pop(node, None)
        if needed is not None and g is not None:
            if node in capture:
                g = _run_tensor_hooks(node, g, create_graph, retain=False)
                capture[node] = g
            if node not in needed:
                g = None  # leads to no requested input: skip it and everything only it reaches
            elif node not in capture:
                g = _run_tensor_hooks(node, g, create_graph, retain=False)
        if type(node) is AccumulateGrad:
            if g is not None and capture is None:
                if create_graph:
                    _accumulate_tensor(node.variable, g)
                else:
                    _accumulate(node.variable, g, stored)
            continue
        in_grads = None
        if g is not None:
            if capture is None and (node._hooks or node._retain is not None):
                g = _run_tensor_hooks(node, g, create_graph)
            in_grads = call(node, g) if create_graph else node.backward(g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
        if not retain_graph:
            node._saved = None  # free what forward saved as soon as it is used
        _pass_on(node, in_grads, grads, deps, ready)


def _run_plain(grads, deps, retain_graph):
    """`_run` for a plain `loss.backward()` (arrays, into `.grad`): the same steps without the
    capture and create_graph branches, which every training step would pay for once per
    node."""
    ready = [n for n in grads if not deps[n]]
    stored = set()  # ids of arrays already stored as some leaf's .grad: a second leaf copies
    pop = ready.pop
    while ready:
        node = pop()
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
        _pass_on(node, in_grads, grads, deps, ready)


def _pass_on(node, in_grads, grads, deps, ready):
    """Add each input gradient to what its next node has received; queue the nodes whose
    every incoming edge has now been handled."""
    i = -1
    for nxt, _ in node.next_functions:
        i += 1
        if nxt is None:
            continue
        if in_grads is not None:
            ig = in_grads[i]
            if ig is not None:
                prev = grads.get(nxt)
                # out of place: the same array may also have been passed to another node
                grads[nxt] = ig if prev is None else prev + ig
        remaining = deps[nxt] - 1
        deps[nxt] = remaining
        if not remaining:
            ready.append(nxt)


def _tensor_rules():
    # imported on first use: double_backward builds on the ops, which import this package
    from gradcli.autograd.double_backward import tensor_backward

    return tensor_backward


def _wrap(array):
    return _tensor.Tensor._make(array)


def _run_tensor_hooks(node, g, tensors=False, retain=True):
    """Hooks of the tensor whose gradient reached `node` (a leaf's or a non-leaf's), and
    retain_grad's copy into a non-leaf's `.grad`."""
    if type(node) is AccumulateGrad:
        return _call_hooks(node.variable._hooks, g, tensors)
    g = _call_hooks(node._hooks, g, tensors)
    t = node._retain() if retain and node._retain is not None else None
    if t is not None:
        if tensors:
            t.grad = g if t.grad is None else t.grad + g
        elif t.grad is None:
            t.grad = _wrap(g.copy())
        else:
            t.grad._data = t.grad._data + g
    return g


def _call_hooks(hooks, g, tensors):
    for hook in hooks or ():
        result = hook(g if tensors else _wrap(g))
        if result is not None:
            g = result if tensors else result._data
    return g


def _accumulate(variable, g, stored: set) -> None:
    if variable._hooks:
        g = _call_hooks(variable._hooks, g, False)
    if variable.grad is None:
        # Take ownership of g unless it may be shared: a view, or already given to a leaf.
        if g.base is not None or id(g) in stored:
            g = g.copy()
        stored.add(id(g))
        variable.grad = _tensor.wrap(g)
    else:
        variable.grad._data += g


def _accumulate_tensor(variable, g) -> None:
    """create_graph: `.grad` keeps the gradient's own graph, and sums out of place."""
    g = _call_hooks(variable._hooks, g, True)
    if variable.grad is None:
        # a gradient with no graph may be the caller's own tensor (grad_outputs): never alias it
        variable.grad = g.clone() if g.grad_fn is None else g
    else:
        variable.grad = variable.grad + g
