"""The graph frees itself: saved arrays go at backward, nodes go with their tensors."""

import gc
import tracemalloc

import numpy as np

import gradcli


def _step(w, x):
    h = (x @ w).relu()
    loss = (h.exp() * h).mean() + (h - 1).pow(2).sum()
    loss.backward()
    return loss


def _walk(node):
    seen, stack = set(), [node]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(m for m, _ in n.next_functions)


def test_freed_graph_holds_no_arrays():
    w = gradcli.randn(8, 4, requires_grad=True)
    loss = _step(w, gradcli.randn(16, 8))
    nodes = list(_walk(loss.grad_fn))
    assert len(nodes) > 5
    for node in nodes:
        if node.name() == "AccumulateGrad":
            continue
        assert node._saved is None, f"{node.name()} kept its saved arrays after backward"
        arrays = [k for k, v in vars(node).items() if isinstance(v, np.ndarray)]
        assert not arrays, f"{node.name()} holds arrays outside save_for_backward: {arrays}"


def test_training_iterations_do_not_grow_memory():
    w = gradcli.randn(8, 4, requires_grad=True)
    x = gradcli.randn(16, 8)

    def run(n):
        for _ in range(n):
            _step(w, x)
            with gradcli.no_grad():
                w.sub_(1e-6 * w.grad)
            w.grad = None

    run(200)  # warm caches and allocator pools
    gc.collect()
    tracemalloc.start()
    try:
        run(200)
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        run(10_000)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"memory grew by {grown} bytes over 10,000 iterations"


def test_graph_is_freed_by_reference_counting():
    import weakref

    w = gradcli.randn(4, 4, requires_grad=True)
    y = (w * 2).exp().sum()
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None  # no cycles: freed without waiting for the garbage collector
