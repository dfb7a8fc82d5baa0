"""Numbers gradcli got wrong: integer linspace (PyTorch truncates toward zero) and regression
losses with an integer target (PyTorch promotes it). Values recorded from PyTorch 2.14.1."""

import math

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli as torch
import gradcli.nn.functional as F

# the example, torch.linspace(5, -5, 20, dtype=torch.int32)
FIVE_TO_MINUS_FIVE = [5, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, -1, -1, -2, -2, -3, -3, -4, -5]


@pytest.mark.parametrize(
    ("start", "end", "steps", "dtype", "want"),
    [
        (5, -5, 20, torch.int32, FIVE_TO_MINUS_FIVE),
        (5, -5, 20, torch.int64, FIVE_TO_MINUS_FIVE),
        (0, 10, 4, torch.int32, [0, 3, 6, 10]),
        (-5, 5, 7, torch.int64, [-5, -3, -1, 0, 1, 3, 5]),
        (0, 1, 5, torch.int32, [0, 0, 0, 0, 1]),
        (-1, 10, 6, torch.uint8, [255, 206, 157, 108, 59, 10]),  # -1 wraps to 255 first
        (0, 255, 7, torch.uint8, [0, 42, 85, 127, 170, 212, 255]),
        (2.7, -3.7, 5, torch.int32, [2, 0, 0, -1, -3]),  # the ends are truncated first
        (3, 10, 1, torch.int32, [3]),
        (3, 10, 0, torch.int32, []),
        (0, 100, 7, torch.int16, [0, 16, 33, 50, 66, 83, 100]),
        (100, 0, 7, torch.int8, [100, 83, 66, 50, 33, 16, 0]),
    ],
)  # fmt: skip
def test_integer_linspace_matches_torch(start, end, steps, dtype, want):
    got = torch.linspace(start, end, steps, dtype=dtype)
    assert got.dtype == dtype and got.tolist() == want


def test_float_linspace_is_torchs_bit_for_bit():
    # numpy's linspace differs from PyTorch's in the last bit of 604 of these 2000 points (the
    # x of "Learning PyTorch with Examples"); PyTorch 2.14.1 printed these
    x = torch.linspace(-math.pi, math.pi, 2000).numpy()
    picked = {1: -3.1384496688842773, 3: -3.1321632862091064, 6: -3.1227338314056396}
    assert {i: float(x[i]) for i in picked} == picked
    assert float(x.sum(dtype=np.float64)) == 0.0  # symmetric, as PyTorch's
    assert torch.linspace(5, -5, 20).tolist() == [
        5.0, 4.473684310913086, 3.9473683834075928, 3.4210524559020996, 2.8947367668151855,
        2.3684210777282715, 1.8421051502227783, 1.3157893419265747, 0.7894735336303711,
        0.2631577253341675, -0.2631577253341675, -0.7894735336303711, -1.3157893419265747,
        -1.8421051502227783, -2.3684210777282715, -2.8947367668151855, -3.4210524559020996,
        -3.9473683834075928, -4.473684310913086, -5.0,
    ]  # fmt: skip
    assert torch.linspace(-7, 13, 7, dtype=torch.float64).tolist() == [
        -7.0, -3.6666666666666665, -0.33333333333333304, 2.9999999999999996, 6.333333333333333,
        9.666666666666666, 13.0,
    ]  # fmt: skip
    assert torch.linspace(-7, 13, 7, dtype=torch.int32).tolist() == [-7, -3, 0, 2, 6, 9, 13]
    assert torch.linspace(-7.9, 13.2, 7, dtype=torch.float16).tolist() == [
        -7.8984375, -4.3828125, -0.8671875, 2.65625, 6.171875, 9.6875, 13.203125,
    ]  # fmt: skip


def test_linspace_floats_and_tensor_ends():
    got = torch.linspace(torch.tensor(0), torch.tensor(10), 5)
    assert got.dtype == torch.float32 and got.tolist() == [0.0, 2.5, 5.0, 7.5, 10.0]
    with pytest.raises(TypeError, match="bool dtype is not supported"):
        torch.linspace(0, 1, 3, dtype=torch.bool)  # PyTorch: not implemented for 'Bool'


X = [1.5, 2.5, 3.0]
Y = [1, 2, 4]


@pytest.mark.parametrize(
    ("loss", "reduction", "want"),
    [
        (F.mse_loss, "mean", 0.5),
        (F.mse_loss, "sum", 1.5),
        (F.mse_loss, "none", [0.25, 0.25, 1.0]),
        (F.l1_loss, "mean", 0.6666667),
        (F.smooth_l1_loss, "mean", 0.25),
    ],
)
def test_regression_losses_promote_an_integer_target(loss, reduction, want):
    x = torch.tensor(X, requires_grad=True)
    got = loss(x, torch.tensor(Y), reduction=reduction)
    assert got.dtype == torch.float32 and got.requires_grad
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-6)


def test_mse_loss_integer_target_dtypes_and_gradient():
    x = torch.tensor(X, requires_grad=True)
    F.mse_loss(x, torch.tensor(Y)).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.33333334, 0.33333334, -0.6666667], rtol=1e-6)
    assert x.grad.dtype == torch.float32
    # recorded: the result takes the promoted dtype, as PyTorch's does
    assert F.mse_loss(torch.tensor(Y), x).item() == 0.5  # an integer input, a float target
    assert F.mse_loss(x, torch.tensor(Y, dtype=torch.int32)).item() == 0.5
    assert F.mse_loss(x, torch.tensor([True, False, True])).item() == 3.5
    xd = torch.tensor(X, dtype=torch.float64)
    assert F.mse_loss(xd, torch.tensor(Y)).dtype == torch.float64
    half = F.mse_loss(torch.tensor([1.0, 2.0], dtype=torch.float16), torch.tensor([1, 3]))
    assert half.dtype == torch.float16 and half.item() == 0.5
    assert torch.nn.MSELoss()(x, torch.tensor(Y)).item() == 0.5
    with pytest.raises(TypeError, match="expected floating point input or target"):
        F.mse_loss(torch.tensor(Y), torch.tensor([1, 3, 4]))  # PyTorch: not implemented for Long


def test_cross_entropies_still_want_float_targets():
    # PyTorch refuses these too ("Found dtype Long but expected Float")
    p = torch.tensor([0.2, 0.7])
    with pytest.raises(TypeError, match="floating point input and target"):
        F.binary_cross_entropy(p, torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="floating point input and target"):
        F.binary_cross_entropy_with_logits(p, torch.tensor([0, 1]))


def test_integer_target_loss_gradient_float64_finite_differences():
    x = np.random.default_rng(0).standard_normal((3, 4))
    target = torch.tensor(np.arange(12).reshape(3, 4) % 3)
    gradcheck(lambda t: F.mse_loss(t, target), x)
    gradcheck(lambda t: F.smooth_l1_loss(t, target, reduction="sum"), x)
