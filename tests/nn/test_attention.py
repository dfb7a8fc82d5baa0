"""MultiheadAttention and F.scaled_dot_product_attention: PyTorch's numbers, names and masks;
float64 gradient checks; init and errors."""

import math

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
from gradcli.errors import ShapeError
from gradcli.ops.attention import masked_softmax

from . import _seq_cases as cases
from ._seq_torch_numbers import NUMBERS, TORCH_VERSION


def _compare(numbers, expected):
    assert numbers.keys() == expected.keys()
    for key, value in expected.items():
        assert numbers[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


@pytest.mark.parametrize("name", list(cases.MHA_CASES))
def test_multihead_attention_matches_recorded_pytorch(name):
    numbers, shapes = cases.run_mha(gradcli, name)
    expected, torch_shapes = NUMBERS["mha"][name]
    assert shapes == torch_shapes, f"state_dict names/shapes differ from PyTorch {TORCH_VERSION}"
    _compare(numbers, expected)


@pytest.mark.parametrize("name", list(cases.SDPA_CASES))
def test_scaled_dot_product_attention_matches_recorded_pytorch(name):
    _compare(cases.run_sdpa(gradcli, name)[0], NUMBERS["sdpa"][name][0])


def test_recorded_cases_cover_every_option():
    mha = cases.MHA_CASES.values()
    kws = [c["kw"] for c in mha]
    calls = {k for c in mha for k in c.get("call", {})}
    assert {"dropout", "bias", "batch_first", "kdim", "vdim"} <= {k for kw in kws for k in kw}
    assert {"average_attn_weights", "is_causal", "need_weights"} <= calls
    assert {"bool2d", "float3d", "causal"} <= {c.get("mask") for c in mha}
    assert {"bool", "float"} <= {c.get("pad") for c in mha}
    assert any(c.get("unbatched") for c in mha)


def test_masked_softmax_gradcheck_with_a_broadcast_float_mask():
    rng = np.random.default_rng(0)
    x, mask = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4))
    gradcheck(lambda a, m: masked_softmax(a, m), x, mask)


def test_masked_softmax_safe_rows_are_zero_with_zero_gradient():
    rng = np.random.default_rng(1)
    mask = np.zeros((3, 4))
    mask[1] = -np.inf
    mask[2, :2] = -np.inf
    x = gradcli.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    out = masked_softmax(x, gradcli.tensor(mask), safe=True)
    np.testing.assert_array_equal(out.detach().numpy()[1], 0)
    np.testing.assert_allclose(out.detach().numpy().sum(-1), [1, 0, 1])
    assert np.isnan(masked_softmax(x, gradcli.tensor(mask)).detach().numpy()[1]).all()
    gradcheck(lambda a: masked_softmax(a, gradcli.tensor(mask), safe=True), x.detach().numpy())


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_gradcheck(causal):
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    v = rng.standard_normal((2, 5, 2))
    gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=causal), q, k, v)


def test_multihead_attention_gradcheck_with_masks():
    mha = nn.MultiheadAttention(4, 2, batch_first=True).double()
    rng = np.random.default_rng(3)
    pad = gradcli.tensor(np.array([[False, False, True], [False, True, True]]))
    mask = gradcli.tensor(rng.standard_normal((2, 3)))

    def fn(q, kv):
        return mha(q, kv, kv, key_padding_mask=pad, attn_mask=mask)[0]

    gradcheck(fn, rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 3, 4)))


def test_sdpa_against_a_plain_formula_and_causal_mask():
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((3, 4)) for _ in range(3))
    out = F.scaled_dot_product_attention(*(gradcli.tensor(a) for a in (q, k, v)), is_causal=True)
    scores = q @ k.T / 2 + np.triu(np.full((3, 3), -np.inf), 1)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    np.testing.assert_allclose(out.numpy(), (w / w.sum(-1, keepdims=True)) @ v, rtol=1e-12)


def test_sdpa_dropout_one_zeroes_the_output():
    q = gradcli.randn(2, 3, 4)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    np.testing.assert_array_equal(out.numpy(), 0)


def test_fully_masked_row_is_nan_with_weights_and_zero_without_as_pytorch():
    mha = nn.MultiheadAttention(4, 2)
    x = gradcli.randn(3, 1, 4)
    pad = gradcli.tensor(np.array([[True, True, True]]))
    with gradcli.no_grad():
        assert np.isnan(mha(x, x, x, key_padding_mask=pad)[0].numpy()).all()
        out, weights = mha(x, x, x, key_padding_mask=pad, need_weights=False)
    assert weights is None
    np.testing.assert_array_equal(out.numpy(), 0)  # out_proj's bias starts at 0


def test_init_names_and_shapes_like_pytorch():
    gradcli.manual_seed(0)
    mha = nn.MultiheadAttention(64, 8)
    assert [n for n, _ in mha.named_parameters()] == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]  # fmt: skip
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier-uniform over the (192, 64) matrix
    w = mha.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert not mha.in_proj_bias.detach().numpy().any()
    assert not mha.out_proj.bias.detach().numpy().any()
    other = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert [n for n, _ in other.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]  # fmt: skip
    assert other.in_proj_weight is None and other.head_dim == 4


def test_weights_shapes_and_averaging():
    mha = nn.MultiheadAttention(6, 3, batch_first=True)
    q, kv = gradcli.randn(2, 4, 6), gradcli.randn(2, 5, 6)
    out, avg = mha(q, kv, kv)
    _, per_head = mha(q, kv, kv, average_attn_weights=False)
    assert tuple(out.shape) == (2, 4, 6) and tuple(avg.shape) == (2, 4, 5)
    assert tuple(per_head.shape) == (2, 3, 4, 5)
    np.testing.assert_allclose(per_head.detach().numpy().mean(1), avg.detach().numpy())
    np.testing.assert_allclose(avg.detach().numpy().sum(-1), 1, rtol=1e-6)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(4, 2)
    x = gradcli.randn(3, 2, 4)
    with pytest.raises(ValueError, match="is_causal=True is a hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(ShapeError, match=r"attn_mask has shape \(2, 2\)"):
        mha(x, x, x, attn_mask=gradcli.zeros(2, 2))
    with pytest.raises(ShapeError, match="key_padding_mask has shape"):
        mha(x, x, x, key_padding_mask=gradcli.zeros(3, 3))
    with pytest.raises(ShapeError, match="expected"):
        mha(gradcli.randn(3, 2, 5), x, x)
    with pytest.raises(ShapeError, match="same length"):
        mha(x, x, gradcli.randn(4, 2, 4))
    with pytest.raises(ShapeError, match="same batch size"):
        mha(gradcli.randn(3, 1, 4), x, x)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=gradcli.zeros(2, 2), is_causal=True)
    with pytest.raises(TypeError, match="bool or float"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=gradcli.tensor(np.ones((2, 2), int)))


def test_float32_stays_float32():
    mha = nn.MultiheadAttention(4, 2)
    x = gradcli.randn(3, 2, 4, requires_grad=True)
    out, w = mha(x, x, x, attn_mask=gradcli.tensor(np.triu(np.ones((3, 3), bool), 1)))
    out.sum().backward()
    assert out.dtype == w.dtype == x.grad.dtype == gradcli.float32


def test_pytorch_state_dict_loads_and_matches_live():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(16, 4, batch_first=True)
    ours = nn.MultiheadAttention(16, 4, batch_first=True)
    ours.load_state_dict({k: gradcli.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 5, 16)).astype(np.float32)
    mask = np.triu(np.ones((5, 5), bool), 1)
    expected = ref(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(mask))
    got = ours(*[gradcli.tensor(x)] * 3, attn_mask=gradcli.tensor(mask))
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=2e-6)


def test_second_derivatives_through_attention_create_graph():
    # a gradient penalty or Hessian-vector product through attention needs the backward recorded
    rng = np.random.default_rng(5)
    q, k, v = (gradcli.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2)))  # fmt: skip
    mask = gradcli.tensor(rng.standard_normal((3, 5)), requires_grad=True)

    def fn(a, b, c, m):
        return F.scaled_dot_product_attention(a, b, c, attn_mask=m)

    assert gradcli.autograd.gradgradcheck(fn, (q, k, v, mask))
    causal = gradcli.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcli.autograd.gradgradcheck(
        lambda a: F.scaled_dot_product_attention(a, a, a, is_causal=True), (causal,)
    )


def test_create_graph_gradient_equals_the_plain_one():
    rng = np.random.default_rng(6)
    x = gradcli.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    m = gradcli.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    w = gradcli.tensor(rng.standard_normal((2, 3, 4)))

    def loss():
        return (F.scaled_dot_product_attention(x, x, x, attn_mask=m) * w).sum()

    plain = gradcli.autograd.grad(loss(), (x, m))
    recorded = gradcli.autograd.grad(loss(), (x, m), create_graph=True)
    for a, b in zip(plain, recorded):
        assert b.requires_grad
        np.testing.assert_allclose(b.detach().numpy(), a.numpy(), rtol=1e-12)
