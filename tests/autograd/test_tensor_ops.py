"""Tensor methods added for PyTorch scripts (tensor_ops.py, tensor_math.py): each forwards to
its op with PyTorch's signature; the ops' own tests check values and gradients."""

import numpy as np
import pytest

import gradcli


def test_arithmetic_methods_take_torch_keywords():
    x = gradcli.tensor([7.0, -7.0])
    assert x.add(1, alpha=2).tolist() == [9.0, -5.0]
    assert x.sub(gradcli.tensor([1.0, 1.0]), alpha=3).tolist() == [4.0, -10.0]
    assert x.div(2, rounding_mode="floor").tolist() == [3.0, -4.0]
    assert x.divide(2).tolist() == [3.5, -3.5] and x.true_divide(2).tolist() == [3.5, -3.5]
    assert x.floor_divide(2).tolist() == [3.0, -4.0] and x.remainder(2).tolist() == [1.0, 1.0]
    assert x.fmod(2).tolist() == [1.0, -1.0] and x.copysign(-1.0).tolist() == [-7.0, -7.0]
    assert (x // 2).tolist() == [3.0, -4.0] and (x % 2).tolist() == [1.0, 1.0]
    assert (15 // gradcli.tensor([4, -4])).tolist() == [3, -4]
    assert (15 % gradcli.tensor([4, -4])).tolist() == [3, -1]


def test_in_place_rounding_ops_bump_the_version():
    i = gradcli.tensor([7, -7])
    i //= 2
    assert i.tolist() == [3, -4] and i.dtype == gradcli.int64 and i._version == 1
    i %= 3
    assert i.tolist() == [0, 2] and i._version == 2
    f = gradcli.tensor([7.0, -7.0])
    assert f.div_(2, rounding_mode="trunc").tolist() == [3.0, -3.0]
    w = gradcli.ones(2, requires_grad=True)
    h = w * 3
    h.remainder_(2)
    h.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]  # d(3w mod 2)/dw = 3 away from the jumps


def test_every_new_method_reaches_its_op():
    x = gradcli.tensor(np.arange(12.0).reshape(3, 4))
    assert [p.shape for p in x.split(3, dim=1)] == [(3, 3), (3, 1)]
    assert len(x.chunk(2, axis=0)) == 2 and len(x.unbind(1)) == 4
    assert x.repeat(1, 2).shape == (3, 8)
    assert x.tril(-1).sum().item() == 4 + 8 + 9 and x.triu(1).sum().item() == 1 + 2 + 3 + 6 + 7 + 11
    assert x.masked_fill(x > 5, 0).sum().item() == 15
    assert x.sort(dim=1, descending=True).indices[0].tolist() == [3, 2, 1, 0]
    assert x.argsort(dim=0, descending=True)[:, 0].tolist() == [2, 1, 0]
    assert x.topk(1, dim=0).values.tolist() == [[8.0, 9.0, 10.0, 11.0]]
    assert x.cumsum(1)[:, -1].tolist() == [6.0, 22.0, 38.0]
    assert x[1].cumprod(0).tolist() == [4.0, 20.0, 120.0, 840.0]
    assert x.norm(p=1).item() == 66.0
    assert x.isclose(x + 1e-9).all().item()
    assert x[0].multinomial(2).shape == (2,)
    assert x.dtype == gradcli.float64 and x.view(gradcli.int64).dtype == gradcli.int64
    assert x.view(dtype=gradcli.int32).shape == (3, 8)  # 4-byte elements: twice as many
    assert x.float().view(gradcli.int32).shape == (3, 4)


def test_any_all_with_dims():
    b = gradcli.tensor([[True, False], [True, True]])
    assert b.all(dim=1).tolist() == [False, True] and b.any(0).tolist() == [True, True]
    assert b.all(axis=0, keepdims=True).tolist() == [[True, False]]
    with pytest.raises(IndexError, match="out of range"):
        b.any(2)


def test_reductions_take_a_dtype():
    i = gradcli.tensor([1, 2, 4], dtype=gradcli.int32)
    assert i.sum().dtype == gradcli.int64 and i.sum(dtype=gradcli.float64).dtype == gradcli.float64
    assert abs(i.mean(dtype=gradcli.float32).item() - 7 / 3) < 1e-6
    x = gradcli.tensor([[1.0, 2.0]], requires_grad=True)
    y = x.softmax(1, dtype=gradcli.float64)
    assert (
        y.dtype == gradcli.float64 and x.log_softmax(-1, gradcli.float64).dtype == gradcli.float64
    )
    y[0, 0].backward()
    assert x.grad.dtype == gradcli.float32
