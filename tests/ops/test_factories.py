"""Tensor factories: dtypes, shapes given as ints or tuples, seeding, memory sharing."""

import numpy as np
import pytest

import gradcli
from gradcli.errors import AutogradError

SHAPED = [gradcli.zeros, gradcli.ones, gradcli.empty, gradcli.randn, gradcli.rand]


# ---- tensor and from_numpy -----------------------------------------------------------------------


def test_tensor_default_dtypes():
    assert gradcli.tensor([1, 2]).dtype == gradcli.int64
    assert gradcli.tensor(3).dtype == gradcli.int64
    assert gradcli.tensor([1.0, 2.0]).dtype == gradcli.float32
    assert gradcli.tensor(2.5).dtype == gradcli.float32
    assert gradcli.tensor([[1, 2.5]]).dtype == gradcli.float32
    assert gradcli.tensor([True, False]).dtype == gradcli.bool
    assert gradcli.tensor([1, 2], dtype=gradcli.float64).dtype == gradcli.float64
    assert gradcli.tensor([1.7], dtype=gradcli.int64).tolist() == [1]


@pytest.mark.parametrize("npdtype", [np.float64, np.float32, np.float16, np.int32, np.uint8])
def test_tensor_from_numpy_array_keeps_its_dtype_and_copies(npdtype):
    a = np.arange(6).reshape(2, 3).astype(npdtype)
    t = gradcli.tensor(a)
    assert t.dtype == gradcli.dtypes.from_numpy_dtype(npdtype) and t.shape == (2, 3)
    np.testing.assert_array_equal(t.numpy(), a)
    a[0, 0] = 5
    assert t.numpy()[0, 0] == 0  # tensor() always copies


def test_tensor_values_and_nested_lists():
    t = gradcli.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert gradcli.tensor(7.0).shape == () and gradcli.tensor(7.0).item() == 7.0


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.zeros((2, 3), dtype=np.float64)
    t = gradcli.from_numpy(a)
    assert t.dtype == gradcli.float64 and t.shape == (2, 3)
    a[1, 2] = 7.0
    assert t[1, 2].item() == 7.0
    t.fill_(3.0)
    assert np.all(a == 3.0)
    assert np.shares_memory(t.numpy(), a)


def test_requires_grad_on_float_factories():
    for t in (
        gradcli.tensor([1.0], requires_grad=True),
        gradcli.zeros(2, requires_grad=True),
        gradcli.ones(2, requires_grad=True),
        gradcli.randn(2, requires_grad=True),
        gradcli.full((2,), 1.5, requires_grad=True),
        gradcli.eye(2, requires_grad=True),
        gradcli.arange(0.0, 2.0, requires_grad=True),
    ):
        assert t.requires_grad and t.is_leaf and t.grad_fn is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: gradcli.tensor([1, 2], requires_grad=True),
        lambda: gradcli.zeros(2, dtype=gradcli.int64, requires_grad=True),
        lambda: gradcli.ones(2, dtype=gradcli.int32, requires_grad=True),
        lambda: gradcli.arange(3, requires_grad=True),
        lambda: gradcli.full((2,), 3, requires_grad=True),
        lambda: gradcli.zeros_like(gradcli.tensor([1, 2]), requires_grad=True),
        lambda: gradcli.tensor([True], requires_grad=True),
    ],
)
def test_requires_grad_on_int_dtype_raises(make):
    with pytest.raises(AutogradError, match="floating point"):
        make()


# ---- zeros ones full empty eye arange ------------------------------------------------------------


@pytest.mark.parametrize("fn", SHAPED, ids=lambda f: f.__name__)
def test_shapes_as_ints_or_tuples(fn):
    for args in [(4, 3), ((4, 3),), ([4, 3],), (gradcli.Size([4, 3]),)]:
        t = fn(*args)
        assert t.shape == (4, 3) and t.dtype == gradcli.float32
    assert fn(5).shape == (5,)
    assert fn().shape == ()
    assert fn(2, 0).shape == (2, 0)
    assert fn(2, dtype=gradcli.float64).dtype == gradcli.float64


def test_zeros_ones_values_and_dtypes():
    np.testing.assert_array_equal(gradcli.zeros(2, 3).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(gradcli.ones(3).numpy(), np.ones(3))
    assert gradcli.zeros(2, dtype=gradcli.int64).dtype == gradcli.int64
    assert gradcli.ones(2, dtype="float64").dtype == gradcli.float64


def test_full():
    t = gradcli.full((2, 3), 1.5)
    assert t.dtype == gradcli.float32 and t.shape == (2, 3) and np.all(t.numpy() == 1.5)
    assert gradcli.full((2,), 7).dtype == gradcli.int64
    assert gradcli.full((2,), True).dtype == gradcli.bool
    assert gradcli.full(3, 2.0).shape == (3,)
    assert gradcli.full((2,), 7, dtype=gradcli.float64).dtype == gradcli.float64


def test_arange():
    assert gradcli.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert gradcli.arange(5).dtype == gradcli.int64
    assert gradcli.arange(2, 8, 3).tolist() == [2, 5]
    f = gradcli.arange(0, 1, 0.25)
    assert f.dtype == gradcli.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert gradcli.arange(3.0).dtype == gradcli.float32
    assert gradcli.arange(3, dtype=gradcli.float64).dtype == gradcli.float64
    assert gradcli.arange(5, 0, -2).tolist() == [5, 3, 1]


def test_eye():
    np.testing.assert_array_equal(gradcli.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(gradcli.eye(2, 4).numpy(), np.eye(2, 4))
    assert gradcli.eye(3).dtype == gradcli.float32
    assert gradcli.eye(2, dtype=gradcli.float64).dtype == gradcli.float64


def test_empty_has_shape_and_dtype():
    t = gradcli.empty(3, 2, dtype=gradcli.int32)
    assert t.shape == (3, 2) and t.dtype == gradcli.int32


# ---- *_like --------------------------------------------------------------------------------------


def test_like_factories_follow_shape_and_dtype():
    f64 = gradcli.zeros(2, 3, dtype=gradcli.float64)
    i64 = gradcli.tensor([[1, 2, 3]])
    for fn in (gradcli.zeros_like, gradcli.ones_like, gradcli.randn_like):
        t = fn(f64)
        assert t.shape == (2, 3) and t.dtype == gradcli.float64 and not t.requires_grad
        assert fn(f64, dtype=gradcli.float32).dtype == gradcli.float32
        assert fn(f64, requires_grad=True).requires_grad
    assert gradcli.zeros_like(i64).dtype == gradcli.int64
    assert gradcli.ones_like(i64).tolist() == [[1, 1, 1]]
    assert np.all(gradcli.zeros_like(f64).numpy() == 0)
    with pytest.raises(TypeError, match="randn"):
        gradcli.randn_like(i64)  # normal samples cannot be integers, as in PyTorch


def test_like_factories_do_not_track_the_source():
    x = gradcli.ones(2, requires_grad=True)
    for fn in (gradcli.zeros_like, gradcli.ones_like, gradcli.randn_like):
        t = fn(x)
        assert not t.requires_grad and t.grad_fn is None


# ---- random factories and manual_seed ------------------------------------------------------------


RANDOM = [
    ("randn", lambda: gradcli.randn(3, 4)),
    ("rand", lambda: gradcli.rand((3, 4))),
    ("randint", lambda: gradcli.randint(0, 10, (3, 4))),
    ("randn_like", lambda: gradcli.randn_like(gradcli.zeros(3, 4))),
]


@pytest.mark.parametrize("name,make", RANDOM, ids=[r[0] for r in RANDOM])
def test_manual_seed_makes_random_factories_reproducible(name, make):
    gradcli.manual_seed(123)
    first = make().numpy().copy()
    second = make().numpy().copy()
    gradcli.manual_seed(123)
    again = make().numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)  # the stream advances between calls


def test_manual_seed_reproduces_a_mixed_sequence():
    def draw():
        return [
            gradcli.randn(2).numpy().copy(),
            gradcli.randint(5, (3,)).numpy().copy(),
            gradcli.rand(2).numpy().copy(),
        ]

    gradcli.manual_seed(7)
    a = draw()
    gradcli.manual_seed(7)
    b = draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    gradcli.manual_seed(8)
    assert not np.array_equal(draw()[0], a[0])


def test_random_value_ranges_and_dtypes():
    gradcli.manual_seed(0)
    r = gradcli.rand(1000)
    assert r.dtype == gradcli.float32 and r.numpy().min() >= 0 and r.numpy().max() < 1
    n = gradcli.randn(20000)
    assert n.dtype == gradcli.float32
    assert abs(float(n.numpy().mean())) < 0.05 and abs(float(n.numpy().std()) - 1) < 0.05
    assert gradcli.randn(3, dtype=gradcli.float64).dtype == gradcli.float64
    i = gradcli.randint(3, 6, (1000,))
    assert i.dtype == gradcli.int64 and set(i.tolist()) == {3, 4, 5}
    j = gradcli.randint(4, (50,))
    assert j.shape == (50,) and j.numpy().min() >= 0 and j.numpy().max() < 4
    assert gradcli.randint(0, 10, size=(2, 2)).shape == (2, 2)


def test_random_factories_reject_int_dtypes():
    with pytest.raises(TypeError, match="randn"):
        gradcli.randn(3, dtype=gradcli.int64)
    with pytest.raises(TypeError, match="rand"):
        gradcli.rand(3, dtype=gradcli.int32)
