"""conv1d and conv_transpose2d: values and gradients against numbers recorded from PyTorch
2.14.1 (CPU, float64), the adjoint identity with conv2d, float64 finite-difference gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import ShapeError
from gradcli.ops.conv import conv1d, conv2d
from gradcli.ops.conv_transpose import conv_transpose2d


def s(shape, k=0.7, off=0.3):
    """Deterministic inputs (the same formula made the recorded PyTorch numbers)."""
    return np.sin(np.arange(int(np.prod(shape))) * k + off).reshape(shape)


def leaves(*arrays):
    return [gradcli.tensor(a, requires_grad=True) for a in arrays]


def _check(out, ins, expected):
    out.backward(gradcli.tensor(s(tuple(out.shape), 0.9, 0.2)))
    np.testing.assert_allclose(out.detach().numpy(), expected[0], rtol=1e-7, atol=1e-7)
    for t, e in zip(ins, expected[1:]):
        np.testing.assert_allclose(t.grad.numpy(), e, rtol=1e-7, atol=1e-7)


# F.conv1d(x (2,4,7), w (6,2,3), b, stride=2, padding=1, dilation=2, groups=2): output, then
# x.grad, w.grad, b.grad for the upstream gradient s(y.shape, 0.9, 0.2)
C1 = [
    np.array(
        [
            [
                [2.53548927, 1.11131958, -0.88943067],
                [1.20985711, 3.84691118, 1.27124864],
                [-0.69595467, 1.01278174, 2.73559009],
                [1.80296177, 3.36277569, 0.27193351],
                [-0.71845801, 1.69987541, 2.26137987],
                [-0.98650295, -2.28535248, 0.86608212],
            ],
            [
                [1.81399444, -0.58680138, -0.85285369],
                [2.34225987, 3.0596059, 0.06339642],
                [0.1477387, 2.62594393, 2.56867275],
                [2.50474241, 1.78216478, -0.69099666],
                [0.50255077, 2.78613874, 1.51764475],
                [-1.55652351, -0.58752198, 1.74875521],
            ],
        ]
    ),
    np.array(
        [
            [
                [0.0, 0.33547824, 0.0, -0.16172591, 0.0, 0.61595226, 0.0],
                [0.0, -0.7071072, 0.0, 0.1799047, 0.0, -0.825905, 0.0],
                [0.0, -0.1034206, 0.0, -0.01752193, 0.0, -0.36530735, 0.0],
                [0.0, 0.63927834, 0.0, -0.11367443, 0.0, 0.71823239, 0.0],
            ],
            [
                [0.0, 0.0507491, 0.0, 0.07200643, 0.0, -0.32798678, 0.0],
                [0.0, 0.50523598, 0.0, -0.11890797, 0.0, 0.77322008, 0.0],
                [0.0, -0.27147869, 0.0, 0.06975255, 0.0, -0.0344773, 0.0],
                [0.0, -0.30777507, 0.0, 0.09433185, 0.0, -0.49442753, 0.0],
            ],
        ]
    ),
    np.array(
        [
            [[0.38579087, 0.19072223, 0.58124258], [-0.51207697, 0.09233622, 0.15962466]],
            [[-0.29987157, -0.23993976, -0.36721934], [0.57628015, -0.31111175, 0.01746093]],
            [[0.15642019, 0.24312349, 0.08274296], [-0.52992069, 0.47019871, -0.19119654]],
            [[0.12541421, -0.00142587, -0.09516275], [-0.33511031, 0.53854348, -0.36374807]],
            [[0.12732674, 0.07030591, 0.32613198], [0.20809283, -0.47830148, 0.52398213]],
            [[-0.35563931, -0.12569737, -0.49453093], [-0.04115154, 0.32629461, -0.58368722]],
        ]
    ),
    np.array([-0.24353982, 0.67540517, -0.97769018, 1.09239974, -0.99752616, 0.71127149]),
]


# F.conv_transpose2d(x (1,4,2,2), w (4,1,3,2), b, stride=2, padding=(1,0), output_padding=(1,0),
# groups=2): output and gradients, as above
CT = [
    np.array(
        [
            [
                [
                    [0.93119204, 0.58898332, 1.73934755, 0.62898244],
                    [-0.26082434, 1.73304466, -0.98517203, 0.98150055],
                    [2.12521767, 0.76891824, 1.90732167, 0.94297673],
                    [-0.48109125, 0.20645603, -0.17007437, 0.19879085],
                ],
                [
                    [1.72657317, 1.23905398, 0.84312743, 1.21691524],
                    [1.01064794, -0.20550419, 2.2385388, 0.26561865],
                    [0.02661809, 1.08591465, -0.33893775, 0.90766384],
                    [1.99802987, 1.42671281, 2.26822194, 1.74951575],
                ],
            ]
        ]
    ),
    np.array(
        [
            [
                [[-0.39184873, 0.79995238], [-0.70545009, 0.80684641]],
                [[-2.06965543, -1.07919923], [-3.35591684, 0.64737896]],
                [[-0.91452085, 0.277465], [-0.74264242, 0.01709581]],
                [[0.89997978, -2.54583754], [-0.83794014, -3.01180028]],
            ]
        ]
    ),
    np.array(
        [
            [[[-1.03315531, -0.84628308], [1.86562933, 0.937131], [-1.54728767, -0.11552605]]],
            [[[1.15580497, 0.78740634], [-1.62352737, -0.43900816], [1.13379613, -0.36932262]]],
            [[[0.38885793, 1.0884839], [-1.36040848, -1.5273311], [1.60505969, 1.13746071]]],
            [[[-0.51747783, -1.02515885], [1.43888058, 1.09909321], [-1.40595173, -0.55872285]]],
        ]
    ),
    np.array([1.12853209, 1.09136394]),
]


def test_conv1d_matches_pytorch():
    x, w, b = leaves(s((2, 4, 7)), s((6, 2, 3), 1.3, 0.1), s(6, 0.4, 1.0))
    _check(conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), (x, w, b), C1)


def test_conv_transpose2d_matches_pytorch():
    x, w, b = leaves(s((1, 4, 2, 2)), s((4, 1, 3, 2), 1.3, 0.1), s(2, 0.4, 1.0))
    out = conv_transpose2d(x, w, b, stride=2, padding=(1, 0), output_padding=(1, 0), groups=2)
    assert out.shape == (1, 2, 4, 4)
    _check(out, (x, w, b), CT)


@pytest.mark.parametrize(
    "xs, ws, stride, padding, dilation, groups",
    [((2, 3, 9), (4, 3, 3), 1, 0, 1, 1), ((2, 4, 9), (6, 2, 3), 1, "same", 2, 2),
     ((1, 2, 8), (2, 2, 4), 1, "same", 1, 1), ((2, 2, 10), (3, 2, 2), 3, (2,), 1, 1),
     ((3, 9), (4, 3, 3), 2, "valid", 1, 1)],
)  # fmt: skip
def test_conv1d_gradients_and_shapes(xs, ws, stride, padding, dilation, groups):
    x, w, b = s(xs), s(ws, 1.3), s(ws[0], 0.4)
    y = conv1d(gradcli.tensor(x), gradcli.tensor(w), None, stride, padding, dilation, groups)
    if padding == "same":
        assert y.shape[-1] == xs[-1]
    # the same numbers as a height-1 conv2d
    pad2 = padding if isinstance(padding, str) else (0, np.ravel(padding)[0])
    x4, w4 = gradcli.tensor(x.reshape(-1, xs[-2], 1, xs[-1])), gradcli.tensor(w[:, :, None])
    y2 = conv2d(x4, w4, None, (1, stride), pad2, (1, dilation), groups)
    np.testing.assert_allclose(y.numpy().reshape(-1), y2.numpy().reshape(-1))
    gradcheck(lambda x, w, b: conv1d(x, w, b, stride, padding, dilation, groups), x, w, b)


@pytest.mark.parametrize(
    "xs, ws, stride, padding, output_padding, groups, dilation",
    [((2, 3, 3, 4), (3, 2, 3, 3), 1, 0, 0, 1, 1), ((1, 2, 3, 3), (2, 3, 3, 3), 2, 1, 1, 1, 1),
     ((1, 4, 2, 3), (4, 1, 2, 3), (2, 3), (1, 0), (1, 2), 2, 1),
     ((1, 2, 3, 3), (2, 2, 3, 2), 2, 1, 0, 1, (2, 3))],
)  # fmt: skip
def test_conv_transpose2d_is_the_adjoint_of_conv2d(xs, ws, stride, padding, output_padding,
                                                   groups, dilation):  # fmt: skip
    z, w = s(xs), s(ws, 1.3)
    y = conv_transpose2d(gradcli.tensor(z), gradcli.tensor(w), None, stride, padding,
                         output_padding, groups, dilation).numpy()  # fmt: skip
    # <conv_transpose(z), u> == <z, conv2d(u)> for the conv2d with the same weight and geometry
    u = s(y.shape, 0.37)
    cu = conv2d(gradcli.tensor(u), gradcli.tensor(w), None, stride, padding, dilation, groups)
    np.testing.assert_allclose((y * u).sum(), (z * cu.numpy()).sum(), rtol=1e-10)
    b = s(ws[1] * groups, 0.4)
    gradcheck(lambda z, w, b: conv_transpose2d(z, w, b, stride, padding, output_padding,
                                               groups, dilation), z, w, b)  # fmt: skip


def test_float32_stays_float32():
    x = gradcli.tensor(s((1, 2, 5)).astype(np.float32), requires_grad=True)
    w = gradcli.tensor(s((3, 2, 2)).astype(np.float32), requires_grad=True)
    y = conv1d(x, w)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == gradcli.float32
    z = gradcli.tensor(s((1, 2, 3, 3)).astype(np.float32), requires_grad=True)
    wt = gradcli.tensor(s((2, 3, 2, 2)).astype(np.float32), requires_grad=True)
    y = conv_transpose2d(z, wt, stride=2)
    y.sum().backward()
    assert y.dtype == z.grad.dtype == wt.grad.dtype == gradcli.float32


def test_errors():
    with pytest.raises(ShapeError, match="conv1d: input has 3 channels but weight"):
        conv1d(gradcli.zeros(1, 3, 5), gradcli.zeros(2, 2, 3))
    with pytest.raises(ShapeError, match="conv1d: expected a 3-D input"):
        conv1d(gradcli.zeros(1, 1, 3, 5), gradcli.zeros(2, 1, 3))
    with pytest.raises(ShapeError, match="output_padding .* must be smaller"):
        conv_transpose2d(gradcli.zeros(1, 2, 3, 3), gradcli.zeros(2, 1, 3, 3), stride=2,
                         output_padding=2)  # fmt: skip
    with pytest.raises(ShapeError, match="input has 3 channels but weight"):
        conv_transpose2d(gradcli.zeros(1, 3, 3, 3), gradcli.zeros(2, 1, 3, 3))


def test_against_torch_when_installed():
    torch = pytest.importorskip("torch")
    z, w = s((2, 4, 5, 4)), s((4, 3, 3, 3), 1.3)
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(z), torch.tensor(w), stride=(2, 1), padding=1, output_padding=(1, 0), groups=2
    ).numpy()
    y = conv_transpose2d(gradcli.tensor(z), gradcli.tensor(w), None, (2, 1), 1, (1, 0), 2)
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-12)
