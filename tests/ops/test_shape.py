"""Shape ops, cat and stack: values against NumPy, float64 finite-difference gradients."""

import numpy as np
import pytest
from gradcheck import gradcheck
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradcli
from gradcli.errors import ShapeError

FAST = settings(max_examples=15, deadline=None)
seeds = st.integers(0, 2**16)
shapes = array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3)


def _normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _t(a, requires_grad=False):
    return gradcli.tensor(np.asarray(a), requires_grad=requires_grad)


def _check(fn, ref, x):
    """fn on a tensor equals ref on the array, and its gradient passes gradcheck."""
    out = fn(_t(x))
    expected = ref(x)
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(out.numpy(), expected)
    gradcheck(fn, x)


# ---- reshape view flatten ------------------------------------------------------------------------


@FAST
@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape_and_view(shape, seed, data):
    x = _normal(seed, shape)
    target = tuple(data.draw(st.permutations(list(shape))))
    _check(lambda t: t.reshape(*target), lambda a: a.reshape(target), x)
    _check(lambda t: t.view(target), lambda a: a.reshape(target), x)
    _check(lambda t: gradcli.reshape(t, (-1,)), lambda a: a.reshape(-1), x)
    _check(lambda t: t.view(shape[0], -1), lambda a: a.reshape(shape[0], -1), x)


def test_view_as_and_reshape_errors():
    x = _t(_normal(0, (2, 3)))
    assert x.view_as(_t(np.zeros((3, 2)))).shape == (3, 2)
    with pytest.raises(ShapeError, match=r"view: shape \[4, 2\] is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(ShapeError, match="view"):
        x.view(-1, -1)
    with pytest.raises(ShapeError, match="view"):
        x.view(4, -1)


@FAST
@given(shape=shapes, seed=seeds, data=st.data())
def test_flatten(shape, seed, data):
    nd = len(shape)
    start = data.draw(st.integers(0, nd - 1))
    end = data.draw(st.integers(start, nd - 1))
    start_neg = start - nd if data.draw(st.booleans()) else start
    x = _normal(seed, shape)
    expected_shape = shape[:start] + (int(np.prod(shape[start : end + 1])),) + shape[end + 1 :]
    _check(lambda t: t.flatten(start_neg, end), lambda a: a.reshape(expected_shape), x)
    _check(lambda t: gradcli.flatten(t), lambda a: a.reshape(-1), x)


def test_flatten_0d():
    assert _t(3.0).flatten().shape == (1,)


# ---- squeeze unsqueeze ---------------------------------------------------------------------------


@FAST
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2), seed=seeds)
def test_squeeze(shape, seed):
    x = _normal(seed, shape)
    _check(lambda t: t.squeeze(), np.squeeze, x)
    for d in range(-len(shape), len(shape)):
        expected = np.squeeze(x, d) if shape[d] == 1 else x  # a non-1 dim is left alone
        _check(lambda t, d=d: t.squeeze(d), lambda a, e=expected: e, x)
    ones = tuple(i for i, n in enumerate(shape) if n == 1)
    _check(lambda t: gradcli.squeeze(t, ones), lambda a: np.squeeze(a, ones), x)


@FAST
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=3), seed=seeds, data=st.data())
def test_unsqueeze(shape, seed, data):
    d = data.draw(st.integers(-len(shape) - 1, len(shape)))
    x = _normal(seed, shape)
    _check(lambda t: t.unsqueeze(d), lambda a: np.expand_dims(a, d), x)
    _check(lambda t: gradcli.unsqueeze(t, d), lambda a: np.expand_dims(a, d), x)


# ---- transpose permute T expand ------------------------------------------------------------------


@FAST
@given(shape=shapes, seed=seeds, data=st.data())
def test_transpose_and_permute(shape, seed, data):
    nd = len(shape)
    d0 = data.draw(st.integers(-nd, nd - 1))
    d1 = data.draw(st.integers(-nd, nd - 1))
    perm = data.draw(st.permutations(range(nd)))
    x = _normal(seed, shape)
    _check(lambda t: t.transpose(d0, d1), lambda a: np.swapaxes(a, d0, d1), x)
    _check(lambda t: gradcli.transpose(t, d0, d1), lambda a: np.swapaxes(a, d0, d1), x)
    _check(lambda t: t.permute(*perm), lambda a: np.transpose(a, perm), x)
    neg = [p - nd for p in perm]
    _check(lambda t: gradcli.permute(t, neg), lambda a: np.transpose(a, perm), x)
    _check(lambda t: t.T, lambda a: a.T, x)


def test_t_and_T_of_a_matrix():
    x = _normal(0, (2, 3))
    _check(lambda t: t.t(), lambda a: a.T, x)
    _check(lambda t: t.T, lambda a: a.T, x)


def test_transpose_of_a_vector_is_tracked():
    x = _t([1.0, 2.0], requires_grad=True)
    y = x.transpose(0, -1)
    assert y.tolist() == [1.0, 2.0] and y.grad_fn is not None


@FAST
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=2), seed=seeds)
def test_expand(shape, seed):
    x = _normal(seed, shape)
    target = (2,) + tuple(3 if n == 1 else n for n in shape)
    _check(lambda t: t.expand(*target), lambda a: np.broadcast_to(a, target), x)
    keep = (2,) + (-1,) * len(shape)
    _check(lambda t: t.expand(keep), lambda a: np.broadcast_to(a, (2,) + shape), x)
    _check(lambda t: t.expand_as(_t(np.zeros(target))), lambda a: np.broadcast_to(a, target), x)


def test_expand_errors_name_the_shapes():
    with pytest.raises(ShapeError, match=r"expand: cannot expand shape \(3,\) to \(2, 4\)"):
        gradcli.ones(3).expand(2, 4)
    with pytest.raises(ShapeError, match="expand"):
        gradcli.ones(3).expand(-1, 3)  # -1 is not allowed for a new leading dim
    with pytest.raises(ShapeError, match="expand"):
        gradcli.ones(2, 3).expand(3)


def test_permute_rejects_bad_dims():
    x = gradcli.ones(2, 3)
    with pytest.raises(IndexError, match="permute: dim 3"):
        x.permute(0, 3)
    with pytest.raises(ValueError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="permute"):
        x.permute(0)


def test_squeeze_unsqueeze_transpose_bad_dim_names_the_op():
    x = gradcli.ones(2, 1)
    with pytest.raises(IndexError, match="squeeze: dim 3"):
        x.squeeze(3)
    with pytest.raises(IndexError, match="unsqueeze: dim 4"):
        x.unsqueeze(4)
    with pytest.raises(IndexError, match="transpose: dim 2"):
        x.transpose(0, 2)


# ---- cat stack -----------------------------------------------------------------------------------


@FAST
@given(shape=shapes, seed=seeds, data=st.data())
def test_cat(shape, seed, data):
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    arrays = []
    for i, n in enumerate(sizes):
        s = list(shape)
        s[dim] = n
        arrays.append(_normal(seed + i, s))
    out = gradcli.cat([_t(a) for a in arrays], dim=dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(arrays, axis=dim))
    gradcheck(lambda *ts: gradcli.cat(ts, dim), *arrays)


@FAST
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=3), seed=seeds, data=st.data())
def test_stack(shape, seed, data):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    count = data.draw(st.integers(1, 3))
    arrays = [_normal(seed + i, shape) for i in range(count)]
    out = gradcli.stack([_t(a) for a in arrays], dim=dim)
    np.testing.assert_array_equal(out.numpy(), np.stack(arrays, axis=dim))
    gradcheck(lambda *ts: gradcli.stack(list(ts), dim=dim), *arrays)


def test_cat_stack_errors_and_dtypes():
    with pytest.raises(ShapeError) as info:
        gradcli.cat([gradcli.ones(2, 3), gradcli.ones(2, 4)])
    assert "cat" in str(info.value) and "(2, 3)" in str(info.value) and "(2, 4)" in str(info.value)
    with pytest.raises(ShapeError, match="stack"):
        gradcli.stack([gradcli.ones(2), gradcli.ones(3)])
    with pytest.raises(ValueError, match="cat"):
        gradcli.cat([])
    with pytest.raises(IndexError, match="cat: dim 2"):
        gradcli.cat([gradcli.ones(2, 3)], dim=2)
    a = gradcli.ones(2, requires_grad=True)
    b = gradcli.zeros(1, requires_grad=True)
    y = gradcli.cat([a, b])
    assert y.dtype == gradcli.float32 and y.grad_fn.name() == "CatBackward0"
    y.sum().backward()
    assert a.grad.dtype == gradcli.float32 and b.grad.tolist() == [1.0]
    s = gradcli.stack([a, a])
    assert s.dtype == gradcli.float32 and s.grad_fn.name() == "StackBackward0"
    assert gradcli.cat([gradcli.ones(1), gradcli.tensor([2])]).dtype == gradcli.float32


# ---- names and float32 ---------------------------------------------------------------------------


def test_grad_fn_names():
    x = gradcli.ones(2, 3, requires_grad=True)
    assert x.view(6).grad_fn.name() == "ViewBackward0"
    assert x.reshape(3, 2).grad_fn.name() == "ViewBackward0"
    assert x.flatten().grad_fn.name() == "ViewBackward0"
    assert x.permute(1, 0).grad_fn.name() == "PermuteBackward0"
    assert x.T.grad_fn.name() == "PermuteBackward0"
    assert x.transpose(0, 1).grad_fn.name() == "TransposeBackward0"
    assert x.unsqueeze(0).grad_fn.name() == "UnsqueezeBackward0"
    assert x.unsqueeze(0).squeeze(0).grad_fn.name() == "SqueezeBackward0"
    assert x.expand(4, 2, 3).grad_fn.name() == "ExpandBackward0"
    assert x[[0, 1]].grad_fn.name() == "IndexBackward0"


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.view(-1),
        lambda t: t.flatten(),
        lambda t: t.unsqueeze(1).squeeze(),
        lambda t: t.transpose(0, 1),
        lambda t: t.permute(1, 0),
        lambda t: t.T,
        lambda t: t.expand(2, 3, 4),
        lambda t: t[1:, None],
        lambda t: gradcli.stack([t, t], 1),
    ],
)
def test_shape_ops_keep_float32(fn):
    x = gradcli.ones(3, 4, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    assert y.dtype == gradcli.float32 and x.grad.dtype == gradcli.float32


# ---- repeat, view(dtype) -------------------------------------------------------------------------


def test_repeat_values_match_torch():
    assert gradcli.tensor([1, 2]).repeat(2, 2).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert gradcli.tensor([1, 2]).repeat((2,)).tolist() == [1, 2, 1, 2]
    a = _normal(0, (2, 3))
    np.testing.assert_array_equal(_t(a).repeat(3, 1, 2).numpy(), np.tile(a, (3, 1, 2)))
    assert _t(a).repeat(1, 0).shape == (2, 0)
    with pytest.raises(ShapeError, match="at least as many"):
        _t(a).repeat(2)


@pytest.mark.parametrize("reps", [(2, 1), (1, 3), (2, 2), (3, 2, 1), (2, 1, 2, 1)])
def test_repeat_gradient(reps):
    gradcheck(lambda t: t.repeat(*reps), _normal(1, (2, 3)))
    x = gradcli.ones(2, 3, requires_grad=True)
    x.repeat(*reps).sum().backward()
    assert x.grad.dtype == gradcli.float32 and set(x.grad.tolist()[0]) == {float(np.prod(reps))}


def test_view_dtype_reads_the_same_bits_as_torch():
    y = gradcli.tensor([1.0, 2.0], requires_grad=True)
    i = y.view(gradcli.int32)
    assert i.tolist() == [1065353216, 1073741824] and i.dtype == gradcli.int32
    assert not i.requires_grad and not y.view(gradcli.float32).requires_grad  # never tracked
    assert gradcli.tensor([1.0, 2.0]).view(gradcli.int16).tolist() == [0, 16256, 0, 16384]
    d = gradcli.tensor([1.0, 2.0]).view(dtype=gradcli.float64)
    assert d.shape == (1,) and d.item() == np.array([1.0, 2.0], np.float32).view(np.float64)[0]
    assert gradcli.tensor(1.0).view(gradcli.int32).item() == 1065353216
    assert gradcli.tensor([1, 0], dtype=gradcli.uint8).view(gradcli.bool).tolist() == [True, False]
    assert gradcli.ones(2, 2).t().view(gradcli.int32).shape == (2, 2)
    assert gradcli.ones(2, 3).view(6).shape == (6,)  # still a reshape


def test_view_dtype_errors_and_shared_storage():
    with pytest.raises(ShapeError, match="last dim of size 3"):
        gradcli.tensor([1.0, 2.0, 3.0]).view(gradcli.float64)
    with pytest.raises(ShapeError, match="0-d"):
        gradcli.tensor(1.0).view(gradcli.int16)
    with pytest.raises(ShapeError, match="contiguous"):
        gradcli.ones(2, 2).t().view(gradcli.int16)
    z = gradcli.zeros(2)
    w = z.view(gradcli.int32)
    w[0] = 1
    assert z.tolist()[0] == np.array(1, np.int32).view(np.float32) and z._version == 1
