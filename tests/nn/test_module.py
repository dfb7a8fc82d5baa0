"""Module mechanics: registration, iteration, state dicts, modes, hooks, devices, printing."""

import copy

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
from gradcli.nn import StateDictError


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(gradcli.ones(1))
        self.register_buffer("steps", gradcli.zeros(1))
        self.register_buffer("cache", gradcli.zeros(2), persistent=False)
        self.block = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return self.block(self.fc(x) * self.scale)


def test_print_matches_pytorch():
    # the LeNet tutorial's print is checked in test_acceptance.py
    assert repr(Small()) == (
        "Small(\n"
        "  (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (block): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        ")"
    )


def test_registration_and_order():
    m = Small()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "fc.weight", "fc.bias", "block.1.weight", "block.1.bias",
    ]  # fmt: skip
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in m.named_children()] == ["fc", "block"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "block", "block.0", "block.1"]
    assert len(list(m.modules())) == 5 and len(list(m.children())) == 2
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    assert isinstance(m.fc.weight, nn.Parameter) and m.fc.weight.requires_grad
    assert m.get_submodule("block.1") is m.block[1]


def test_reassignment_and_deletion():
    m = Small()
    m.scale = None
    assert "scale" not in [n for n, _ in m.named_parameters()]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        m.scale = gradcli.ones(1)
    m.fc = nn.Linear(3, 5)  # replacing a module keeps its place in the order
    assert [n for n, _ in m.named_children()] == ["fc", "block"]
    m.steps = gradcli.ones(1)
    assert m.state_dict()["steps"].item() == 1
    m.fc = None
    assert [n for n, _ in m.named_children()] == ["block"]
    del m.block
    assert not hasattr(m, "block")
    m.plain = 3
    assert m.plain == 3 and "plain" not in m.state_dict()
    with pytest.raises(AttributeError, match="'Small' object has no attribute 'nope'"):
        m.nope  # noqa: B018
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", gradcli.zeros(1))


def test_assign_before_init_and_missing_forward():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Bad()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(gradcli.ones(1))


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_state_dict_round_trip():
    gradcli.manual_seed(0)
    a, b = Small(), Small()
    sd = a.state_dict()
    assert list(sd) == ["scale", "steps", "fc.weight", "fc.bias", "block.1.weight", "block.1.bias"]
    assert all(isinstance(v, gradcli.Tensor) and not v.requires_grad for v in sd.values())
    assert not isinstance(sd["scale"], nn.Parameter)
    assert sd["fc.weight"]._data is a.fc.weight._data  # shares storage, like PyTorch
    w_before = b.fc.weight
    result = b.load_state_dict(sd)
    assert repr(result) == "<All keys matched successfully>"
    assert b.fc.weight is w_before  # copied in place
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    assert b.fc.weight._data is not a.fc.weight._data
    x = gradcli.randn(2, 3)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    assert b.fc.weight.requires_grad and b.fc.weight.grad_fn is None


def test_load_state_dict_errors_list_every_problem():
    m = Small()
    sd = m.state_dict()
    del sd["fc.bias"], sd["steps"]
    sd["extra.weight"] = gradcli.zeros(1)
    sd["block.1.weight"] = gradcli.zeros(3, 3)
    before = m.block[1].weight.detach().numpy().copy()
    with pytest.raises(StateDictError) as e:
        m.load_state_dict(sd)
    assert str(e.value) == (
        "Error(s) in loading state_dict for Small:\n"
        '\tMissing key(s) in state_dict: "steps", "fc.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra.weight". \n'
        "\tsize mismatch for block.1.weight: copying a param with shape (3, 3) from checkpoint, "
        "the shape in current model is (2, 4)."
    )
    np.testing.assert_array_equal(m.block[1].weight.detach().numpy(), before)  # nothing copied
    del sd["block.1.weight"]
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["steps", "fc.bias", "block.1.weight"]
    assert result.unexpected_keys == ["extra.weight"]


def test_load_state_dict_accepts_arrays_and_casts():
    m = nn.Linear(2, 1)
    m.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
    assert m.weight.dtype == gradcli.float32
    np.testing.assert_array_equal(m.weight.detach().numpy(), [[1.0, 2.0]])


def test_train_eval_requires_grad_and_apply():
    m = Small()
    assert m.training and m.block[0].training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError, match="boolean"):
        m.train("no")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Small"]


def test_zero_grad():
    m = Small()
    m(gradcli.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.numpy().sum() == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_hooks_and_handles():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = m(gradcli.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 1)
    assert calls == [(1, 2)]
    h1.remove()
    h2.remove()
    h2.remove()  # removing twice is harmless
    x = gradcli.ones(1, 2)
    np.testing.assert_allclose(
        m(x).detach().numpy(), F.linear(x, m.weight, m.bias).detach().numpy()
    )
    with m.register_forward_hook(lambda mod, args, out: out * 0):
        assert m(x).abs().sum().item() == 0
    assert m(x).abs().sum().item() > 0


def test_to_dtype_keeps_parameter_identity():
    m = nn.BatchNorm1d(3)
    m(gradcli.randn(4, 3)).sum().backward()
    w = m.weight
    assert m.double() is m and m.weight is w
    assert w.dtype == gradcli.float64 and w.grad.dtype == gradcli.float64
    assert m.running_mean.dtype == gradcli.float64
    assert m.num_batches_tracked.dtype == gradcli.int64
    m.to(gradcli.float32)
    assert m.weight.dtype == gradcli.float32
    assert m.cpu() is m and m.to("cpu").weight.device == gradcli.device("cpu")
    with pytest.raises(TypeError, match="floating point"):
        m.to(gradcli.int64)


def test_deepcopy_is_independent():
    m = Small()
    c = copy.deepcopy(m)
    assert c.fc.weight is not m.fc.weight and isinstance(c.fc.weight, nn.Parameter)
    np.testing.assert_array_equal(c.fc.weight.detach().numpy(), m.fc.weight.detach().numpy())
    with gradcli.no_grad():
        c.fc.weight.fill_(0)
        c.steps.fill_(5)
    assert m.fc.weight.abs().sum().item() > 0 and m.steps.item() == 0


def test_parameter():
    data = gradcli.ones(2)
    p = nn.Parameter(data)
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert p._data is data._data and p.is_leaf and p.requires_grad
    q = nn.Parameter(gradcli.zeros(2), requires_grad=False)
    assert repr(q) == "Parameter containing:\ntensor([0., 0.])"
    assert type(p * 2) is gradcli.Tensor and type(p > 0) is gradcli.Tensor
    assert nn.Parameter().shape == (0,)
