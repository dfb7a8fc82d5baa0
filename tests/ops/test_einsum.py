"""einsum: values against np.einsum (shapes and rules checked against PyTorch 2.14.1), and a
float64 finite-difference gradient for every kind of equation."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
from gradcli.errors import ShapeError


def _rand(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


# equation, operand shapes, and "bcast" where NumPy needs the named size-1 dims broadcast first
CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)], None),  # matmul
    ("ij,jk", [(2, 3), (3, 4)], None),  # implicit output
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], None),  # batched
    ("ij->ji", [(2, 3)], None),  # transpose
    ("ij->i", [(2, 3)], None),  # j only in this operand: summed, broadcast back in backward
    ("ij->", [(2, 3)], None),
    ("i,j->ij", [(3,), (4,)], None),  # outer
    ("i,i->", [(3,), (3,)], None),  # dot
    ("ii->", [(3, 3)], None),  # trace
    ("ii->i", [(3, 3)], None),  # diagonal
    ("iij->ji", [(3, 3, 2)], None),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 4)], None),  # ellipsis broadcasting
    ("...ij", [(5, 2, 3)], None),
    ("i...j->j...i", [(2, 5, 6, 3)], None),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)], None),  # three operands (bilinear)
    (",i->i", [(), (3,)], None),  # a 0-d operand
    ("b i , b j -> b i j", [(2, 3), (2, 4)], None),  # spaces are ignored
    ("i,i->i", [(1,), (3,)], "bcast"),  # named size-1 dims broadcast, as in PyTorch
    ("ij,ij->ij", [(2, 1), (2, 3)], "bcast"),
]


def _numpy(eq, arrays, alt):
    if alt == "bcast":
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
        arrays = [np.broadcast_to(a, shape) for a in arrays]
    return np.einsum(eq.replace(" ", ""), *arrays)


@pytest.mark.parametrize("eq,shapes,alt", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients(eq, shapes, alt):
    arrays = _rand(0, *shapes)
    out = gradcli.einsum(eq, *[gradcli.tensor(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), _numpy(eq, arrays, alt), rtol=1e-12, atol=1e-12)
    gradcheck(lambda *ts: gradcli.einsum(eq, *ts), *arrays)


def test_implicit_output_is_in_ascii_order_as_in_torch():
    assert gradcli.einsum("bA", gradcli.ones(2, 3)).shape == (3, 2)
    assert gradcli.einsum("ba", gradcli.ones(2, 3)).shape == (3, 2)
    assert gradcli.einsum("Ba,aC", gradcli.ones(2, 3), gradcli.ones(3, 4)).shape == (2, 4)
    shape = gradcli.einsum("...ij,...jk->...ik", gradcli.ones(5, 1, 2, 3), gradcli.ones(4, 3, 4))
    assert shape.shape == (5, 4, 2, 4)


def test_operands_as_a_list_ints_and_float32():
    a, b = gradcli.ones(2, 3), gradcli.ones(3, 4)
    assert gradcli.einsum("ij,jk->ik", [a, b]).shape == (2, 4)
    i = gradcli.einsum("i,i->", gradcli.tensor([1, 2]), gradcli.tensor([3, 4]))
    assert i.item() == 11 and i.dtype == gradcli.int64
    x = gradcli.ones(2, 3, requires_grad=True)
    y = gradcli.einsum("ij,jk->ik", x, b)
    assert y.dtype == gradcli.float32 and y.grad_fn.name() == "EinsumBackward0"
    y.sum().backward()
    assert x.grad.dtype == gradcli.float32 and x.grad.tolist() == [[4.0] * 3] * 2


def test_trace_gradient_matches_torch():
    x = gradcli.arange(9.0, requires_grad=True)
    gradcli.einsum("ii->", x.reshape(3, 3)).backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda a: gradcli.einsum("ij,jk->ik", a), "fewer operands"),
        (lambda a: gradcli.einsum("ij,jk->ik", a, a), "subscript j has size 2"),
        (lambda a: gradcli.einsum("ij->ii", a), "more than once"),
        (lambda a: gradcli.einsum("ij->k", a), "does not appear"),
        (lambda a: gradcli.einsum("ijk", a), "does not fit"),
        (lambda a: gradcli.einsum("i1", a), "invalid subscript"),
        (lambda a: gradcli.einsum("ii", a), "repeated in operand 0"),
    ],
)
def test_errors_name_the_problem(call, match):
    with pytest.raises(ShapeError, match=match):
        call(gradcli.ones(2, 3))


def test_type_errors():
    with pytest.raises(TypeError, match="different dtypes"):
        gradcli.einsum("i,i->", gradcli.tensor([1, 2]), gradcli.tensor([3.0, 4.0]))
    with pytest.raises(TypeError, match="sublist"):
        gradcli.einsum(gradcli.ones(2), [0])
