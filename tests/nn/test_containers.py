"""Sequential, ModuleList and ModuleDict."""

from collections import OrderedDict

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn


def _seq():
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))


def test_sequential_forward_indexing_and_len():
    s = _seq()
    x = gradcli.randn(4, 2)
    expected = s[2](s[1](s[0](x)))
    np.testing.assert_array_equal(s(x).detach().numpy(), expected.detach().numpy())
    assert len(s) == 3 and isinstance(s[-1], nn.Linear) and s[-3] is s[0]
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear"]
    head = s[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is s[0]
    assert list(s[::-1]._modules) == ["2", "1", "0"]
    with pytest.raises(IndexError, match="out of range"):
        s[3]
    with pytest.raises(IndexError, match="out of range"):
        s[-4]


def test_sequential_mutation():
    s = _seq()
    s.append(nn.Sigmoid())
    assert len(s) == 4 and repr(s[3]) == "Sigmoid()"
    s[1] = nn.Tanh()
    assert isinstance(s[1], nn.Tanh)
    del s[0]
    assert list(s._modules) == ["0", "1", "2"] and isinstance(s[0], nn.Tanh)
    del s[1:]
    assert len(s) == 1
    assert repr(nn.Sequential()) == "Sequential()"


def test_sequential_from_ordered_dict():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert s.fc is s[0] and list(s.state_dict()) == ["fc.weight", "fc.bias"]
    assert repr(s) == (
        "Sequential(\n  (fc): Linear(in_features=2, out_features=2, bias=True)\n  (act): ReLU()\n)"
    )


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6
    assert repr(ml) == (
        "ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): ReLU()\n)"
    )
    assert isinstance(ml[1:3], nn.ModuleList) and ml[-1] is ml[3]
    ml.insert(0, nn.Tanh())
    assert isinstance(ml[0], nn.Tanh) and len(ml) == 5
    del ml[0]
    assert isinstance(ml[0], nn.Linear) and list(ml._modules) == ["0", "1", "2", "3"]
    ml += [nn.Sigmoid()]
    assert len(ml) == 5
    ml[4] = nn.Identity()
    assert isinstance(ml[4], nn.Identity)
    assert repr(nn.ModuleList()) == "ModuleList()"
    with pytest.raises(NotImplementedError):
        ml(gradcli.ones(1))


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b", "c"]
    assert [type(m).__name__ for m in md.values()] == ["Linear", "ReLU", "Tanh"]
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    md.pop("b")
    del md["c"]
    assert list(dict(md.items())) == ["a"]
    md.update([("z", nn.Sigmoid())])
    assert repr(md) == (
        "ModuleDict(\n  (a): Linear(in_features=2, out_features=2, bias=True)\n  (z): Sigmoid()\n)"
    )
    md.clear()
    assert len(md) == 0
