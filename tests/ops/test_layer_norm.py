"""layer_norm and group_norm: values and gradients against numbers recorded from PyTorch
2.14.1 (CPU, float64), float64 finite-difference gradients, float32 kept, errors."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import ShapeError
from gradcli.ops.layer_norm import group_norm, layer_norm


def s(shape, k=0.7, off=0.3):
    """Deterministic inputs (the same formula made the recorded PyTorch numbers)."""
    return np.sin(np.arange(int(np.prod(shape))) * k + off).reshape(shape)


def leaves(*arrays):
    return [gradcli.tensor(a, requires_grad=True) for a in arrays]


# F.layer_norm(x (2,3,4), (3,4), w, b): output, then x.grad, w.grad, b.grad for the upstream
# gradient s(y.shape, 0.9, 0.2)
LN = [
    np.array(
        [
            [
                [0.85803203, 1.91614044, 1.46901608, 0.27290782],
                [0.67882578, -0.21031968, -1.90332423, -0.94961956],
                [-0.17776185, -1.12458242, -0.47202448, 0.34288416],
            ],
            [
                [0.9401971, 1.01693574, 0.57105106, 1.92560624],
                [1.61236379, -0.0278464, 0.22978599, -0.32586896],
                [-2.16863755, -1.66633616, -0.95549523, -1.70175263],
            ],
        ]
    ),
    np.array(
        [
            [
                [0.12404827, 1.13625331, 0.37973226, -0.30991682],
                [0.92051208, 0.00373257, -0.30935091, 0.62176515],
                [-0.77181551, -0.80269497, 0.04204854, -1.03431397],
            ],
            [
                [-0.12255266, -0.7728513, 0.4043796, -0.70883388],
                [-0.81616176, 0.30505308, -0.86905563, -0.34186095],
                [0.76743258, -0.22833188, 0.83986044, 1.54292236],
            ],
        ]
    ),
    np.array(
        [
            [-0.95594221, 0.82193512, 0.83533187, -1.16795565],
            [-1.05919256, 1.01600199, 0.73127422, -1.60879287],
            [-1.60060079, 0.41064272, 0.21950864, -1.57562864],
        ]
    ),
    np.array(
        [
            [-0.80132088, 0.27307025, 1.14080725, 1.14520407],
            [0.28293328, -0.79345578, -1.26937332, -0.78465444],
            [0.29387527, 1.15000604, 1.13583516, 0.26208688],
        ]
    ),
]


# F.group_norm(x (2,6,2,2), 3, w, b): output and gradients, as above
GN = [
    np.array(
        [
            [
                [[0.8752486, 0.94933437], [0.96971574, 0.92680704]],
                [[0.9787168, 0.10344164], [-0.38637307, -0.26035982]],
                [[0.66890766, 1.1031932], [1.44464092, 1.53266261]],
                [[0.18515385, 0.90119984], [1.63031953, 2.02959655]],
                [[1.78094975, 1.12343], [0.25172895, -0.42417878]],
                [[0.55359422, 0.39347316], [0.08781326, -0.21962885]],
            ],
            [
                [[0.69204398, 0.70847497], [0.78225115, 0.87867444]],
                [[2.08037865, 2.24173491], [1.7608633, 0.86392525]],
                [[0.60127585, 0.40961685], [0.48275895, 0.78630226]],
                [[0.4478951, -0.07421303], [-0.18016779, 0.17986298]],
                [[0.45742109, 1.20178329], [1.58197762, 1.41919276]],
                [[0.0383715, 0.33772133], [0.56010321, 0.60092748]],
            ],
        ]
    ),
    np.array(
        [
            [
                [[0.22943657, 0.10604895], [0.04870547, 0.08367245]],
                [[-0.51599745, -0.77564694], [-0.13624558, 0.96002652]],
                [[0.58439662, 0.31149988], [-0.33518249, -0.92821206]],
                [[0.72080998, 0.5485133], [-0.14396599, -0.75785924]],
                [[-0.78316719, -0.181156], [0.5305546, 0.70966912]],
                [[-0.91647336, -0.33310285], [0.32245684, 0.65121884]],
            ],
            [
                [[0.25463235, 0.07263354], [-0.2626299, -0.57944926]],
                [[-0.4158622, 0.43057071], [0.56353798, -0.06343322]],
                [[-0.04709938, -0.2225125], [0.01157748, 0.47630799]],
                [[-0.65109137, -0.6195526], [0.09714611, 0.95522428]],
                [[1.15219522, 0.64983193], [-0.35214553, -1.09495493]],
                [[0.36678389, 0.04750786], [-0.31716678, -0.45205166]],
            ],
        ]
    ),
    np.array([3.35790473, 3.64230103, 1.49762631, -1.36040794, -3.83912571, -4.37553386]),
    np.array([0.1868143, 0.20856358, -0.56087659, 0.79737803, -0.86923432, 0.76160836]),
]


def _check(out, ins, expected):
    out.backward(gradcli.tensor(s(tuple(out.shape), 0.9, 0.2)))
    np.testing.assert_allclose(out.detach().numpy(), expected[0], rtol=1e-6, atol=1e-7)
    for t, e in zip(ins, expected[1:]):
        np.testing.assert_allclose(t.grad.numpy(), e, rtol=1e-6, atol=1e-7)


def test_layer_norm_matches_pytorch():
    x, w, b = leaves(s((2, 3, 4)), s((3, 4), 1.3, 0.1), s((3, 4), 0.4, 1.0))
    out = layer_norm(x, (3, 4), w, b)
    assert out.grad_fn.name() == "NativeLayerNormBackward0"
    _check(out, (x, w, b), LN)


def test_group_norm_matches_pytorch():
    x, w, b = leaves(s((2, 6, 2, 2)), s(6, 1.3, 0.1), s(6, 0.4, 1.0))
    _check(group_norm(x, 3, w, b), (x, w, b), GN)


def test_layer_norm_rows_have_zero_mean_unit_variance():
    y = layer_norm(gradcli.tensor(s((4, 10)) * 3 + 1), 10).numpy()
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1, atol=1e-4)  # eps=1e-5 shrinks it a little


@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_layer_norm_gradients_finite_differences(affine):
    x, w, b = s((2, 3, 4)), s((4,), 1.3), s((4,), 0.4)
    if affine == "both":
        gradcheck(lambda x, w, b: layer_norm(x, 4, w, b), x, w, b)
    elif affine == "weight":
        gradcheck(lambda x, w: layer_norm(x, [4], w), x, w)
    elif affine == "bias":
        gradcheck(lambda x, b: layer_norm(x, (4,), None, b), x, b)
    else:
        gradcheck(lambda x: layer_norm(x, (3, 4), eps=1e-3), x)


@pytest.mark.parametrize("shape, groups", [((2, 6, 3, 2), 3), ((3, 4), 2), ((2, 4, 5), 1)])
def test_group_norm_gradients_finite_differences(shape, groups):
    c = shape[1]
    gradcheck(lambda x, w, b: group_norm(x, groups, w, b), s(shape), s(c, 1.3), s(c, 0.4))
    gradcheck(lambda x: group_norm(x, groups), s(shape))


def test_float32_stays_float32():
    x = gradcli.tensor(s((2, 4, 3)).astype(np.float32), requires_grad=True)
    w = gradcli.ones(4, requires_grad=True)
    for y in (layer_norm(x, 3), group_norm(x, 2, w, gradcli.zeros(4))):
        y.sum().backward()
        assert y.dtype == gradcli.float32 and x.grad.dtype == gradcli.float32


def test_errors_name_the_shapes():
    x = gradcli.zeros(2, 3, 4)
    with pytest.raises(ShapeError, match=r"normalized_shape \[3\] must be the trailing dims"):
        layer_norm(x, 3)
    with pytest.raises(ShapeError, match=r"weight has shape \(3,\), expected \(4,\)"):
        layer_norm(x, 4, gradcli.ones(3))
    with pytest.raises(ShapeError, match="3 channels .* num_groups=2"):
        group_norm(x, 2)


def test_against_torch_when_installed():
    torch = pytest.importorskip("torch")
    x = s((3, 4, 5))
    expected = torch.nn.functional.group_norm(torch.tensor(x), 2).numpy()
    np.testing.assert_allclose(group_norm(gradcli.tensor(x), 2).numpy(), expected, atol=1e-12)
