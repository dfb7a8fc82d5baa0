"""interpolate (nearest, linear, bilinear with align_corners False/True): values and
gradients against numbers recorded from PyTorch 2.14.1 (CPU, float64), float64 finite
differences, float32 kept, errors."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.ops.interpolate import interpolate


def s(shape, k=0.7, off=0.3):
    """Deterministic inputs (the same formula made the recorded PyTorch numbers)."""
    return np.sin(np.arange(int(np.prod(shape))) * k + off).reshape(shape)


# output and x.grad for the upstream gradient s(y.shape, 0.9, 0.2), x = s(x shape)
# F.interpolate(x (1,2,3,4), size=(5,3), mode="bilinear", align_corners=False)
BL = [
    np.array(
        [
            [
                [
                    [0.386512, 0.9165679, 0.72816345],
                    [0.2049769, 0.23206314, 0.07724451],
                    [-0.06732576, -0.794694, -0.8991339],
                    [-0.1827145, 0.03071579, 0.22006923],
                    [-0.25964033, 0.58098899, 0.96620464],
                ],
                [
                    [0.5566036, -0.30014761, -0.9216253],
                    [0.01826281, -0.18623954, -0.24475628],
                    [-0.78924836, -0.01537742, 0.77054725],
                    [0.24271542, 0.19132434, -0.01003812],
                    [0.93069128, 0.32912551, -0.53042837],
                ],
            ]
        ]
    ),
    np.array(
        [
            [
                [
                    [0.28518244, 0.3190828, 0.31360356, 0.25778623],
                    [-0.14558181, 0.00065004, 0.07121815, 0.20725878],
                    [-0.38223926, -0.31864943, -0.26612368, -0.11961047],
                ],
                [
                    [0.43590894, 0.23464505, 0.12139122, -0.13036018],
                    [0.05715517, 0.13775631, 0.16724428, 0.204595],
                    [-0.3978046, -0.14280535, -0.00989242, 0.26676004],
                ],
            ]
        ]
    ),
]

# F.interpolate(x (1,2,3,4), scale_factor=1.5, mode="bilinear", align_corners=True)
BLAC = [
    np.array(
        [
            [
                [
                    [0.29552021, 0.62309067, 0.87150975, 0.96162605, 0.86518416, 0.67546318],
                    [0.12622718, -0.02595809, -0.16615831, -0.28238843, -0.33820524, -0.36381538],
                    [-0.09690511, -0.22119693, -0.31688809, -0.35537793, -0.3245982, -0.25918369],
                    [-0.37387666, 0.03737415, 0.41932041, 0.74265757, 0.90600527, 0.98935825],
                ],
                [
                    [0.66296923, 0.28005295, -0.10519379, -0.49510143, -0.76741688, -0.98093623],
                    [-0.36264504, -0.28339464, -0.18245696, -0.03814468, 0.10429397, 0.2457958],
                    [-0.2547108, -0.11511846, 0.02654861, 0.17236517, 0.27661134, 0.36007232],
                    [0.98677196, 0.78488149, 0.52182291, 0.13642812, -0.25046476, -0.63810668],
                ],
            ]
        ]
    ),
    np.array(
        [
            [
                [
                    [0.37341273, 1.6528365, 0.35121523, -1.42330464],
                    [-1.1949758, 0.68265958, 1.56210233, 0.01897951],
                    [-1.45376481, -1.03565856, 1.06104811, 1.44046361],
                ],
                [
                    [0.24581973, -1.51711462, -0.94053872, 1.0417071],
                    [1.4821733, -0.07571967, -1.59075429, -0.60913319],
                    [1.09418147, 1.44865808, -0.49762824, -1.5924114],
                ],
            ]
        ]
    ),
]

# F.interpolate(x (1,1,3,4), scale_factor=(1.7, 0.8), mode="nearest")
NN = [
    np.array(
        [
            [
                [
                    [0.29552021, 0.84147098, 0.99166481],
                    [0.29552021, 0.84147098, 0.99166481],
                    [0.04158066, -0.61185789, -0.97753012],
                    [0.04158066, -0.61185789, -0.97753012],
                    [-0.37387666, 0.31154136, 0.85043662],
                ]
            ]
        ]
    ),
    np.array(
        [
            [
                [
                    [0.43791866, 0.27934947, -0.09062583, 0.0],
                    [0.2709052, 0.4380099, 0.27363745, 0.0],
                    [-0.99999021, -0.61813711, 0.23150983, 0.0],
                ]
            ]
        ]
    ),
]


@pytest.mark.parametrize(
    "shape, kwargs, expected",
    [((1, 2, 3, 4), dict(size=(5, 3), mode="bilinear", align_corners=False), BL),
     ((1, 2, 3, 4), dict(scale_factor=1.5, mode="bilinear", align_corners=True), BLAC),
     ((1, 1, 3, 4), dict(scale_factor=(1.7, 0.8), mode="nearest"), NN)],
)  # fmt: skip
def test_matches_pytorch(shape, kwargs, expected):
    x = gradcli.tensor(s(shape), requires_grad=True)
    y = interpolate(x, **kwargs)
    y.backward(gradcli.tensor(s(tuple(y.shape), 0.9, 0.2)))
    np.testing.assert_allclose(y.detach().numpy(), expected[0], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(x.grad.numpy(), expected[1], rtol=1e-7, atol=1e-8)


def test_nearest_doubling_repeats_pixels():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    y = interpolate(gradcli.tensor(x), scale_factor=2).numpy()
    np.testing.assert_array_equal(y, x.repeat(2, axis=2).repeat(2, axis=3))
    assert interpolate(gradcli.tensor(x), size=(2, 3)).grad_fn is None


CASES = [
    ((1, 2, 3, 4), dict(scale_factor=2)), ((2, 1, 5, 4), dict(size=(3, 7))),
    ((1, 2, 5, 4), dict(scale_factor=(0.6, 2.5))), ((1, 2, 5), dict(size=8)),
    ((1, 1, 2, 3, 2), dict(scale_factor=2)),
    ((2, 2, 3, 4), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 5, 4), dict(size=(3, 7), mode="bilinear", align_corners=True)),
    ((1, 2, 5, 4), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 5), dict(scale_factor=2.3, mode="linear")),
    ((1, 1, 2, 4), dict(size=(1, 1), mode="bilinear", align_corners=True)),
]  # fmt: skip


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_gradients_finite_differences(shape, kwargs):
    gradcheck(lambda x: interpolate(x, **kwargs), s(shape))


@pytest.mark.parametrize("shape, kwargs", CASES)
def test_against_torch_when_installed(shape, kwargs):
    torch = pytest.importorskip("torch")
    x = s(shape)
    expected = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).numpy()
    np.testing.assert_allclose(interpolate(gradcli.tensor(x), **kwargs).numpy(), expected,
                               atol=1e-12)  # fmt: skip


def test_float32_stays_float32():
    x = gradcli.tensor(s((1, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = interpolate(x, scale_factor=2, mode="bilinear")
    y.sum().backward()
    assert y.dtype == x.grad.dtype == gradcli.float32


def test_errors():
    x = gradcli.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="'bilinear' expects a 4-D input"):
        interpolate(gradcli.zeros(1, 1, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match="mode 'bicubic' is not supported"):
        interpolate(x, scale_factor=2, mode="bicubic")
