"""A float32 forward and backward through every layer family produces only float32 arrays."""

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn

pytest.importorskip("gradcli.ops.pool", reason="pooling (gradcli.ops.pool) not available yet")


def _graph_nodes(root):
    seen, stack, out = set(), [root], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(n for n, _ in node.next_functions)
    return out


def test_float32_end_to_end():
    gradcli.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding="same", bias=False),
        nn.GELU(),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 8),
        nn.BatchNorm1d(8),
        nn.LeakyReLU(),
        nn.Dropout(0.2),
        nn.Linear(8, 5),
    )
    outputs = []
    for m in net:
        m.register_forward_hook(lambda mod, args, out: outputs.append((repr(mod), out)))
    x = gradcli.randn(4, 3, 8, 8, requires_grad=True)
    logits = net(x)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, gradcli.tensor([0, 1, 2, 4]))
    loss = loss + nn.MSELoss()(logits, gradcli.zeros(4, 5))
    floats = [(name, out._data) for name, out in outputs] + [("loss", loss._data)]
    for node in _graph_nodes(loss.grad_fn):
        for i, a in enumerate(getattr(node, "_saved", None) or ()):
            if a is not None and a.dtype.kind == "f":
                floats.append((f"{node.name()} saved[{i}]", a))
    loss.backward()
    floats += [(f"grad of {n}", p.grad._data) for n, p in net.named_parameters()]
    floats += [("grad of x", x.grad._data)]
    floats += [(f"buffer {n}", b._data) for n, b in net.named_buffers() if b.is_floating_point()]
    bad = [(name, a.dtype) for name, a in floats if a.dtype != np.float32]
    assert not bad, bad
    assert len(floats) > 40
