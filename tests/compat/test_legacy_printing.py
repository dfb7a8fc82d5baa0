"""Printed tensors as PyTorch prints them: line wrapping (80 columns), scientific notation when
values span more than three decades, and the elision of large tensors. Each expected string
was printed by PyTorch 2.14.1 for the same expression (with `torch.` in place of `gradcli.`)."""

import pytest

import gradcli  # noqa: F401 (the expressions name it)

CASES = [
    (
        "gradcli.linspace(5, -5, 20, dtype=gradcli.int32)",
        "tensor([ 5,  4,  3,  3,  2,  2,  1,  1,  0,  0,  0,  0, -1, -1, -2, -2, -3, -3,\n"
        "        -4, -5], dtype=gradcli.int32)",
    ),
    (
        "gradcli.arange(40).float() / 7",
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
        "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
        "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
        "        3.8571, 4.0000, 4.1429, 4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000,\n"
        "        5.1429, 5.2857, 5.4286, 5.5714])",
    ),
    (
        "gradcli.arange(24).reshape(2, 12).float() / 3",
        "tensor([[0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n"
        "         3.0000, 3.3333, 3.6667],\n"
        "        [4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667, 6.0000, 6.3333, 6.6667,\n"
        "         7.0000, 7.3333, 7.6667]])",
    ),
    ("gradcli.tensor([1., 2000.])", "tensor([1.0000e+00, 2.0000e+03])"),
    ("gradcli.tensor([0.5, 1000.])", "tensor([5.0000e-01, 1.0000e+03])"),
    ("gradcli.tensor([1.5e8, 1.])", "tensor([1.5000e+08, 1.0000e+00])"),
    ("gradcli.tensor([0.001, 0.5])", "tensor([0.0010, 0.5000])"),
    ('gradcli.tensor([float("inf"), 2000.])', "tensor([  inf, 2000.])"),
    (
        "gradcli.arange(3000).reshape(3, 1000)",
        "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n"
        "        [1000, 1001, 1002,  ..., 1997, 1998, 1999],\n"
        "        [2000, 2001, 2002,  ..., 2997, 2998, 2999]])",
    ),
    (
        "gradcli.arange(3000).float()",
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.9970e+03, 2.9980e+03,\n"
        "        2.9990e+03])",
    ),
    (
        "gradcli.arange(20) % 2 == 0",
        "tensor([ True, False,  True, False,  True, False,  True, False,  True, False,\n"
        "         True, False,  True, False,  True, False,  True, False,  True, False])",
    ),
]


@pytest.mark.parametrize(("expression", "printed"), CASES)
def test_repr_as_pytorch_prints_it(expression, printed):
    assert repr(eval(expression)) == printed
