"""Module-level functions with PyTorch's signatures: keyword names, alpha=, out=, dtype=, and
the NumPy-style aliases (axis=, keepdims=). Values recorded from PyTorch 2.14.1 (CPU)."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli as torch
from gradcli.errors import AutogradError

T = [[1.0, 2.0], [3.0, 4.0]]
U = [10.0, 20.0]


def close(tensor, want):
    np.testing.assert_allclose(tensor.numpy(), want, rtol=1e-6)


def t():
    return torch.tensor(T)


def u():
    return torch.tensor(U)


def test_add_sub_with_alpha_and_keywords():
    assert torch.add(t(), u(), alpha=2).tolist() == [[21.0, 42.0], [23.0, 44.0]]
    assert torch.add(input=t(), other=u()).tolist() == [[11.0, 22.0], [13.0, 24.0]]
    assert torch.add(t(), alpha=2, other=u()).tolist() == [[21.0, 42.0], [23.0, 44.0]]
    assert torch.add(t(), u(), alpha=2.5).tolist() == [[26.0, 52.0], [28.0, 54.0]]
    assert torch.add(t(), 2, alpha=3).tolist() == [[7.0, 8.0], [9.0, 10.0]]
    assert torch.add(2, t()).tolist() == [[3.0, 4.0], [5.0, 6.0]]  # a number first
    assert torch.sub(2, t(), alpha=3).tolist() == [[-1.0, -4.0], [-7.0, -10.0]]
    assert torch.sub(t(), u(), alpha=2).tolist() == [[-19.0, -38.0], [-17.0, -36.0]]
    assert torch.subtract(t(), u()).tolist() == [[-9.0, -18.0], [-7.0, -16.0]]
    ints = torch.tensor([1, 2])
    r = torch.add(ints, 2.5)
    assert r.tolist() == [3.5, 4.5] and r.dtype == torch.float32
    with pytest.raises(TypeError, match="alpha=2.5 is a float but both inputs are integer"):
        torch.add(ints, 2, alpha=2.5)
    with pytest.raises(TypeError):
        torch.add(t(), u(), 2)  # alpha is keyword-only, as in PyTorch


def test_mul_div_and_aliases():
    assert torch.mul(t(), u()).tolist() == [[10.0, 40.0], [30.0, 80.0]]
    assert torch.multiply(t(), 3).tolist() == [[3.0, 6.0], [9.0, 12.0]]
    assert torch.mul(input=t(), other=3).tolist() == [[3.0, 6.0], [9.0, 12.0]]
    close(torch.div(t(), u()), [[0.1, 0.1], [0.3, 0.2]])
    half = torch.div(torch.tensor([1, 2]), 2)
    assert half.tolist() == [0.5, 1.0] and half.dtype == torch.float32
    assert torch.divide(t(), 2).tolist() == [[0.5, 1.0], [1.5, 2.0]]
    assert torch.true_divide(torch.tensor([1, 2]), 2).tolist() == [0.5, 1.0]
    sevens = torch.tensor([-7, 7])
    floor = torch.div(sevens, 2, rounding_mode="floor")
    assert floor.tolist() == [-4, 3] and floor.dtype == torch.int64
    assert torch.div(sevens, 2, rounding_mode="trunc").tolist() == [-3, 3]
    assert torch.div(torch.tensor([-7.0, 7.5]), 2, rounding_mode="floor").tolist() == [-4.0, 3.0]
    with pytest.raises(ValueError, match="rounding_mode"):
        torch.div(t(), 2, rounding_mode="bad")


def test_sum_and_reductions_take_dim_axis_keepdims_and_dtype():
    x = t()
    assert torch.sum(x).item() == 10.0 and torch.sum(input=x).item() == 10.0
    assert torch.sum(x, 0).tolist() == [4.0, 6.0]
    assert torch.sum(x, dim=1, keepdim=True).tolist() == [[3.0], [7.0]]
    assert torch.sum(x, axis=1, keepdims=True).tolist() == [[3.0], [7.0]]
    assert torch.sum(x, axis=1, keepdim=True).tolist() == [[3.0], [7.0]]
    assert torch.sum(x, 0, True).tolist() == [[4.0, 6.0]]
    assert torch.sum(x, (0, 1), True).tolist() == [[10.0]]
    assert torch.sum(x, dtype=torch.float64).dtype == torch.float64
    summed = torch.sum(torch.tensor([1, 2]), dtype=torch.float32)
    assert summed.item() == 3.0 and summed.dtype == torch.float32
    for flags in (torch.tensor([True, True]), torch.tensor([1, 2], dtype=torch.int32)):
        assert torch.sum(flags).dtype == torch.int64  # PyTorch sums small ints into int64
    with pytest.raises(TypeError, match="both 'dim' and its alias 'axis'"):
        torch.sum(x, dim=0, axis=0)
    assert torch.mean(x, axis=0).tolist() == [2.0, 3.0]
    assert torch.mean(x, axis=1, keepdims=True).tolist() == [[1.5], [3.5]]
    mean64 = torch.mean(x, 1, True, dtype=torch.float64)
    assert mean64.dtype == torch.float64 and mean64.tolist() == [[1.5], [3.5]]
    assert torch.mean(torch.tensor([1, 2]), dtype=torch.float32).item() == 1.5
    assert torch.var(x, axis=0).tolist() == [2.0, 2.0]
    assert torch.var(x, dim=0, correction=0).tolist() == [1.0, 1.0]
    close(torch.std(x, 1, keepdim=True), [[0.70710677], [0.70710677]])
    values, indices = torch.max(x, axis=1)
    assert values.tolist() == [2.0, 4.0] and indices.tolist() == [1, 1]
    assert torch.min(x, axis=0).values.tolist() == [1.0, 2.0]
    assert torch.argmax(x, axis=1).tolist() == [1, 1]
    assert torch.argmin(x, axis=0).tolist() == [0, 0]
    assert torch.max(x, torch.tensor([2.5, 1.0])).tolist() == [[2.5, 2.0], [3.0, 4.0]]


def test_other_functions_take_torchs_keywords():
    x = t()
    assert torch.cat([x, x], axis=1).shape == (2, 4)
    assert torch.concat([x, x]).shape == (4, 2) and torch.concatenate([x, x], 1).shape == (2, 4)
    assert torch.stack([x, x], axis=1).shape == (2, 2, 2)
    assert torch.softmax(x, 1, dtype=torch.float64).dtype == torch.float64
    close(torch.log_softmax(x, dim=0), [[-2.126928, -2.126928], [-0.126928, -0.126928]])
    assert torch.clamp(x, min=1.5, max=3.5).tolist() == [[1.5, 2.0], [3.0, 3.5]]
    assert torch.clip(x, 2, 3).tolist() == [[2.0, 2.0], [3.0, 3.0]]
    assert torch.maximum(x, torch.tensor([2.5, 1.0])).tolist() == [[2.5, 2.0], [3.0, 4.0]]
    close(torch.exp(input=x), np.exp(T))
    assert torch.matmul(input=x, other=x).tolist() == [[7.0, 10.0], [15.0, 22.0]]


def test_out_writes_into_the_given_tensor():
    o = torch.empty(2, 2)
    r = torch.add(t(), u(), out=o)
    assert r is o and o.tolist() == [[11.0, 22.0], [13.0, 24.0]]
    cases = [
        (lambda out: torch.mul(t(), u(), out=out), [[10.0, 40.0], [30.0, 80.0]]),
        (lambda out: torch.sub(t(), u(), out=out), [[-9.0, -18.0], [-7.0, -16.0]]),
        (lambda out: torch.matmul(t(), t(), out=out), [[7.0, 10.0], [15.0, 22.0]]),
        (lambda out: torch.mm(t(), t(), out=out), [[7.0, 10.0], [15.0, 22.0]]),
        (lambda out: torch.div(t(), 2, out=out), [[0.5, 1.0], [1.5, 2.0]]),
        (lambda out: torch.clamp(t(), 2, 3, out=out), [[2.0, 2.0], [3.0, 3.0]]),
    ]
    for fn, want in cases:
        out = torch.empty(2, 2)
        before = out._version
        assert fn(out) is out and out.tolist() == want and out._version == before + 1
    out = torch.empty(4, 2)
    assert torch.cat([t(), t()], out=out).tolist() == T + T
    out = torch.empty(2)
    assert torch.sum(t(), 0, out=out).tolist() == [4.0, 6.0]
    assert torch.mean(t(), 0, out=out).tolist() == [2.0, 3.0]
    exp_out = torch.empty(2, 2)
    torch.exp(t(), out=exp_out)
    close(exp_out, np.exp(T))


def test_out_casts_resizes_and_refuses_like_torch():
    # an integer result goes into a float64 out; an empty out is resized silently
    o = torch.zeros(2, dtype=torch.float64)
    r = torch.sum(torch.tensor([[1, 2], [3, 4]]), 1, out=o)
    assert r.tolist() == [3.0, 7.0] and r.dtype == torch.float64
    empty = torch.empty(0)
    assert torch.add(t(), u(), out=empty).shape == (2, 2)
    wrong = torch.empty(3)
    with pytest.warns(UserWarning, match=r"out of shape \(3,\) was resized to \(2, 2\)"):
        torch.add(t(), u(), out=wrong)
    assert wrong.shape == (2, 2) and wrong.tolist() == [[11.0, 22.0], [13.0, 24.0]]
    with pytest.raises(TypeError, match="float32 can't be cast to out's dtype gradcli.int64"):
        torch.add(t(), u(), out=torch.empty(2, 2, dtype=torch.long))
    g = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(AutogradError, match=r"add\(\): out= does not support autograd"):
        torch.add(g, 1, out=torch.empty(2))
    with pytest.raises(AutogradError, match="out= does not support autograd"):
        torch.add(g.detach(), 1, out=torch.empty(2, requires_grad=True))
    with torch.no_grad():
        assert torch.add(g, 1, out=torch.empty(2)).tolist() == [2.0, 3.0]


def test_out_writes_through_a_view():
    base = torch.zeros(2, 2)
    row = base[0]
    torch.add(torch.tensor([1.0, 2.0]), 1, out=row)
    assert base.tolist() == [[2.0, 3.0], [0.0, 0.0]]


def test_alpha_gradients_recorded_from_torch():
    g = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.add(g, g * 2, alpha=3).sum().backward()
    assert g.grad.tolist() == [7.0, 7.0]  # PyTorch 2.14.1
    g.grad = None
    torch.sub(g, g * 2, alpha=3).sum().backward()
    assert g.grad.tolist() == [-5.0, -5.0]


def test_alpha_gradient_float64_finite_differences():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    gradcheck(lambda x, y: torch.add(x, y, alpha=-1.5), a, b)
    gradcheck(lambda x, y: torch.sub(x, y, alpha=2.5), a, b)
    gradcheck(lambda x, y: torch.div(x, y * y + 1), a, b)
    gradcheck(lambda x: torch.sum(x * x, axis=1, keepdims=True), a)
    gradcheck(lambda x: torch.mean(x * x, axis=0), a)
