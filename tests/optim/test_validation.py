"""Constructor arguments are checked up front, with PyTorch's messages."""

from __future__ import annotations

import re

import pytest

import gradcli
import gradcli.optim as optim
from gradcli.errors import GradcliError


def _p():
    return [gradcli.zeros(2, requires_grad=True)]


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (optim.SGD, {"lr": -0.1}, "Invalid learning rate: -0.1"),
        (optim.SGD, {"lr": 0.1, "momentum": -1}, "Invalid momentum value: -1"),
        (optim.SGD, {"lr": 0.1, "weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
        (
            optim.SGD,
            {"lr": 0.1, "nesterov": True},
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (
            optim.SGD,
            {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (optim.Adam, {"lr": -1.0}, "Invalid learning rate: -1.0"),
        (optim.Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        (optim.Adam, {"betas": (-0.1, 0.999)}, "Invalid beta parameter at index 0: -0.1"),
        (optim.Adam, {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
        (optim.Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        (optim.Adam, {"weight_decay": -0.5}, "Invalid weight_decay value: -0.5"),
        (optim.AdamW, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        (optim.AdamW, {"weight_decay": -1}, "Invalid weight_decay value: -1"),
        (optim.RMSprop, {"alpha": -0.5}, "Invalid alpha value: -0.5"),
        (optim.RMSprop, {"momentum": -0.9}, "Invalid momentum value: -0.9"),
        (optim.RMSprop, {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        (optim.Adagrad, {"lr_decay": -1}, "Invalid lr_decay value: -1"),
        (
            optim.Adagrad,
            {"initial_accumulator_value": -0.1},
            "Invalid initial_accumulator_value value: -0.1",
        ),
        (optim.Adagrad, {"lr": float("nan")}, "Invalid learning rate: nan"),
    ],
)
def test_invalid_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$") as info:
        cls(_p(), **kwargs)
    assert isinstance(info.value, GradcliError)  # typed: the CLI can report it cleanly


def test_non_numeric_hyper_parameter_is_a_type_error():
    with pytest.raises(TypeError, match="Invalid learning rate: '0.1' \\(expected a number\\)"):
        optim.SGD(_p(), lr="0.1")


def test_zero_values_are_accepted():
    optim.SGD(_p(), lr=0.0, momentum=0.0, weight_decay=0.0)
    optim.Adam(_p(), lr=0.0, betas=(0.0, 0.0), eps=0.0)
    optim.RMSprop(_p(), alpha=0.0)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ([], ValueError, "optimizer got an empty parameter list"),
        (gradcli.zeros(2, requires_grad=True), TypeError, "should be an iterable of Tensors"),
        ([1.0], TypeError, "optimizer can only optimize Tensors, but one of the params is float"),
        (
            [{"params": [gradcli.zeros(1, requires_grad=True)]}, [gradcli.zeros(1)]],
            TypeError,
            "param_group must be a dict, but got list",
        ),
    ],
)
def test_invalid_params(params, error, message):
    with pytest.raises(error, match=re.escape(message)):
        optim.SGD(params, lr=0.1)


def test_sets_are_refused_as_params():
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {gradcli.zeros(1, requires_grad=True)}}], lr=0.1)


def test_non_leaf_tensor_is_refused():
    x = gradcli.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([x * 2], lr=0.1)


def test_duplicate_parameters_are_refused():
    p = gradcli.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_required_option_must_be_given_by_every_group():
    class Plain(optim.Optimizer):
        def __init__(self, params, lr=optim.required):
            super().__init__(params, {"lr": lr})

    Plain([gradcli.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="didn't specify a value of required optimization"):
        Plain([gradcli.zeros(1, requires_grad=True)])
