"""A float32 training step makes no float64 array: not in forward, backward, or the update."""

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
from gradcli.autograd.function import Function


def _all_functions(cls=Function):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_functions(sub)


def _floats(values):
    for v in values if isinstance(values, tuple) else (values,):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            yield v


@pytest.fixture
def watched(monkeypatch):
    """Wrap every op's forward and backward to record the dtype of each float array they
    return or save."""
    seen = []

    def wrap(cls, name):
        original = cls.__dict__[name]

        def checked(self, *args, **kwargs):
            out = original(self, *args, **kwargs)
            seen.extend((cls.__name__, name, a.dtype) for a in _floats(out))
            seen.extend((cls.__name__, "saved", a.dtype) for a in _floats(tuple(self._saved or ())))
            return out

        monkeypatch.setattr(cls, name, checked)

    for cls in set(_all_functions()):
        for name in ("forward", "backward"):
            if name in cls.__dict__:
                wrap(cls, name)
    return seen


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_training_step_stays_float32(watched, opt):
    gradcli.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3), nn.AvgPool2d(2), nn.Flatten(), nn.Dropout(0.1),
        nn.Linear(36, 16), nn.GELU(), nn.Linear(16, 10),
    )  # fmt: skip
    optimizer = {
        "sgd": lambda p: gradcli.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        "adam": lambda p: gradcli.optim.AdamW(p, lr=1e-3),
        "rmsprop": lambda p: gradcli.optim.RMSprop(p, lr=1e-3, centered=True, momentum=0.5),
    }[opt](net.parameters())
    x, y = gradcli.randn(8, 1, 16, 16), gradcli.randint(0, 10, (8,))
    for _ in range(2):
        loss = F.cross_entropy(net(x), y, label_smoothing=0.1) + 0.5 * net[-1].weight.pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
    assert watched, "no op was observed"
    wide = sorted({(op, where) for op, where, dtype in watched if dtype != np.float32})
    assert not wide, f"float64 arrays made by: {wide}"
    for p in net.parameters():
        assert p.dtype == gradcli.float32 and p.grad.dtype == gradcli.float32
    for state in optimizer.state.values():
        for value in state.values():
            if isinstance(value, gradcli.Tensor) and value.is_floating_point():
                assert value.dtype == gradcli.float32
