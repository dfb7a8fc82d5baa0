"""pad: constant (negative amounts crop), reflect, replicate and circular padding, values
against numpy.pad, float64 finite-difference gradients, errors."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import ShapeError
from gradcli.ops.padding import pad


def rng(seed=0):
    return np.random.default_rng(seed)


def t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


def test_pad_constant_values_and_node():
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    y = pad(t(x, True), (1, 2), value=-1.5)
    np.testing.assert_array_equal(
        y.detach().numpy(), np.pad(x, ((0, 0), (0, 0), (1, 2)), constant_values=-1.5)
    )
    assert y.grad_fn.name() == "ConstantPadNdBackward0" and y.dtype == gradcli.float32
    y4 = pad(t(x), (0, 1, 2, 0, 1, 1))
    np.testing.assert_array_equal(y4.numpy(), np.pad(x, ((1, 1), (2, 0), (0, 1))))


def test_pad_negative_amounts_crop():
    x = np.arange(20, dtype=np.float32).reshape(1, 4, 5)
    y = pad(t(x), (-1, 2, 1, -3))
    expected = np.pad(x[:, :1, 1:], ((0, 0), (1, 0), (0, 2)))
    np.testing.assert_array_equal(y.numpy(), expected)
    assert pad(t(x), (-3, -2)).shape == (1, 4, 0)


@pytest.mark.parametrize(
    "amounts, mode",
    [((1, 2), "constant"), ((-1, 2, 1, -2), "constant"), ((2, 1, 1, 3), "reflect"),
     ((2, 1, 1, 3), "replicate"), ((2, 1, 4, 3), "circular"), ((3, 0), "reflect")],
)  # fmt: skip
def test_pad_gradients_finite_differences(amounts, mode):
    x = rng(4).standard_normal((2, 2, 5, 4))
    gradcheck(lambda x: pad(x, amounts, mode), x)


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                           ("circular", "wrap")])  # fmt: skip
def test_pad_index_modes_match_numpy(mode, np_mode):
    x = rng(5).standard_normal((2, 3, 5, 4)).astype(np.float32)
    y = pad(t(x, True), (3, 1, 0, 4), mode)
    expected = np.pad(x, ((0, 0), (0, 0), (0, 4), (3, 1)), mode=np_mode)
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    kind = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular"}[mode]
    assert y.grad_fn.name() == f"{kind}Pad2DBackward0"


def test_pad_errors():
    x = gradcli.randn(1, 2, 3)
    with pytest.raises(ShapeError, match="even length"):
        pad(x, (1, 2, 3))
    with pytest.raises(ShapeError, match="at most 2 \\* 3"):
        pad(x, (1,) * 8)
    with pytest.raises(ShapeError, match="negative size"):
        pad(x, (-2, -2))
    with pytest.raises(ShapeError, match="reflect padding \\(3, 0\\) of dim 2 must be at most 2"):
        pad(x, (3, 0), mode="reflect")
    with pytest.raises(ShapeError, match="unknown mode"):
        pad(x, (1, 1), mode="mirror")
    with pytest.raises(ShapeError, match="takes no value"):
        pad(x, (1, 1), mode="replicate", value=2.0)


# recorded from PyTorch 2.14.1: F.pad(arange(12.).reshape(1, 3, 4), amounts, mode)
RECORDED = [
    ((-1, 1), "replicate", [[1, 2, 3, 3], [5, 6, 7, 7], [9, 10, 11, 11]]),
    ((5, 2), "replicate", [[0] * 6 + [1, 2, 3, 3, 3], [4] * 6 + [5, 6, 7, 7, 7],
                           [8] * 6 + [9, 10, 11, 11, 11]]),
    ((-1, 2), "reflect", [[1, 2, 3, 2, 1], [5, 6, 7, 6, 5], [9, 10, 11, 10, 9]]),
    ((3, 1), "reflect", [[3, 2, 1, 0, 1, 2, 3, 2], [7, 6, 5, 4, 5, 6, 7, 6],
                         [11, 10, 9, 8, 9, 10, 11, 10]]),
    ((4, 1), "circular", [[0, 1, 2, 3, 0, 1, 2, 3, 0], [4, 5, 6, 7, 4, 5, 6, 7, 4],
                          [8, 9, 10, 11, 8, 9, 10, 11, 8]]),
    ((-1, 2), "circular", [[1, 2, 3, 1, 2], [5, 6, 7, 5, 6], [9, 10, 11, 9, 10]]),
    ((1, 1, -1, 2), "constant", [[0, 4, 5, 6, 7, 0], [0, 8, 9, 10, 11, 0], [0] * 6, [0] * 6]),
]  # fmt: skip


@pytest.mark.parametrize("amounts, mode, expected", RECORDED)
def test_pad_crops_and_pads_like_pytorch(amounts, mode, expected):
    x = t(np.arange(12.0).reshape(1, 3, 4))
    np.testing.assert_array_equal(pad(x, amounts, mode).numpy(), [expected])
    gradcheck(lambda x: pad(x, amounts, mode), rng(5).standard_normal((2, 3, 4)))
