"""PyTorch 0.3-era scripts: `Variable`, `weight.grad.data` unpacking and f-string formatting.

Expected outputs recorded from PyTorch 2.14.1 (CPU) running the same lines with `import torch`.
"""

import warnings

import pytest

import gradcli as torch
from gradcli import FloatTensor
from gradcli.autograd import Variable
from gradcli.errors import AutogradError


def test_classic_variable_example_prints_torchs_numbers(capsys):
    # the tutorial's lines, unchanged but for the import
    a = Variable(FloatTensor([4]))
    weights = [Variable(FloatTensor([i]), requires_grad=True) for i in (2, 5, 9, 7)]
    w1, w2, w3, w4 = weights
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    L.backward()
    for index, weight in enumerate(weights, start=1):
        gradient, *_ = weight.grad.data
        print(f"Gradient of w{index} w.r.t to L: {gradient}")
        print("as an argument:", gradient)
    assert capsys.readouterr().out.splitlines() == [
        "Gradient of w1 w.r.t to L: -36.0",
        "as an argument: tensor(-36.)",
        "Gradient of w2 w.r.t to L: -28.0",
        "as an argument: tensor(-28.)",
        "Gradient of w3 w.r.t to L: -8.0",
        "as an argument: tensor(-8.)",
        "Gradient of w4 w.r.t to L: -20.0",
        "as an argument: tensor(-20.)",
    ]


def test_variable_returns_a_detached_tensor_sharing_storage():
    t = torch.tensor([1.0, 2.0])
    v = Variable(t)
    assert type(v) is torch.Tensor and v is not t and not v.requires_grad
    v[0] = 5.0  # same storage, as in PyTorch
    assert t.tolist() == [5.0, 2.0]
    assert isinstance(t, Variable) and not isinstance([1.0], Variable)

    leaf = torch.tensor([1.0, 2.0], requires_grad=True)
    for made in (Variable(leaf), Variable(leaf * 2), Variable(leaf, requires_grad=False)):
        assert made.is_leaf and not made.requires_grad and made.grad_fn is None
    cut = Variable(leaf * 2, requires_grad=True)  # a new leaf: gradients stop there
    (cut * 3).sum().backward()
    assert cut.grad.tolist() == [3.0, 3.0] and leaf.grad is None
    assert Variable(torch.ones(1), True).requires_grad  # requires_grad is the 2nd positional
    assert Variable().shape == (0,)


def test_variable_volatile_warns_and_errors_are_torchs():
    with pytest.warns(UserWarning, match=r"volatile.*no effect.*no_grad"):
        v = Variable(torch.ones(2), volatile=True)
    assert not v.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Variable(torch.ones(2), volatile=False)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        Variable([1, 2])
    assert Variable(torch.tensor([1, 2])).tolist() == [1, 2]
    with pytest.raises(AutogradError, match="floating point"):
        Variable(torch.tensor([1, 2]), requires_grad=True)


def test_variable_importable_as_torch_autograd_variable():
    from gradcli.autograd.variable import Variable as V

    assert V is Variable


def test_format_of_0d_tensors_is_the_numbers():
    t = torch.tensor(-36.0)
    # recorded: f"{t}", f"{t:.4f}", f"{t:>10}" in PyTorch 2.14.1
    assert (f"{t}", f"{t:.4f}", f"{t:>10}") == ("-36.0", "-36.0000", "     -36.0")
    assert f"{torch.tensor(3)}" == "3" and f"{torch.tensor(3):d}" == "3"
    assert f"{torch.tensor(True)}" == "True"
    assert f"{torch.tensor(2.5, dtype=torch.float64)}" == "2.5"
    assert f"{torch.tensor(1e-8)}" == "9.99999993922529e-09"  # float32's value, as torch
    x = torch.tensor(3.0, requires_grad=True) * 2
    assert (f"{x}", f"{x:.2f}") == ("6.0", "6.00")
    assert str(t) == "tensor(-36.)"


def test_format_of_other_tensors_is_their_repr_without_spec():
    t = torch.tensor([1.0, 2.0])
    assert f"{t}" == "tensor([1., 2.])" == format(t, "")
    for bad in (t, torch.tensor([5.0])):  # PyTorch: TypeError for a spec on a 1-d tensor
        with pytest.raises(TypeError, match="only 0-d tensors take a format spec"):
            f"{bad:.2f}"


@pytest.mark.parametrize(
    ("values", "dtype", "text"),
    [  # recorded from PyTorch 2.14.1
        ([True], None, "tensor([True])"),
        ([[True], [True]], None, "tensor([[True],\n        [True]])"),
        ([True, False], None, "tensor([ True, False])"),
        ([], torch.bool, "tensor([], dtype=gradcli.bool)"),
        ([], torch.int64, "tensor([], dtype=gradcli.int64)"),
        ([], None, "tensor([])"),
        ([-1, 100], None, "tensor([ -1, 100])"),
    ],
)
def test_repr_of_bool_and_empty_tensors(values, dtype, text):
    assert repr(torch.tensor(values, dtype=dtype)) == text


def test_repr_of_empty_tensors_names_their_size():
    assert repr(torch.zeros(0, 3, dtype=torch.int64)) == (
        "tensor([], size=(0, 3), dtype=gradcli.int64)"
    )
    assert (
        repr(torch.zeros(2, 0, dtype=torch.bool)) == "tensor([], size=(2, 0), dtype=gradcli.bool)"
    )
    assert repr(torch.zeros(2, 0)) == "tensor([], size=(2, 0))"
