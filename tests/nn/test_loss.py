"""Losses (gradcli.ops.loss via nn.functional and the nn modules): values, gradients, errors."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F
from gradcli.errors import ShapeError

from . import _ref
from ._ref import t

REDUCTIONS = ["mean", "sum", "none"]


def _pair(seed=0, shape=(4, 5)):
    r = _ref.rng(seed)
    return r.standard_normal(shape), r.standard_normal(shape)


# ---- elementwise losses ----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "fn,ref",
    [
        (F.mse_loss, lambda x, y, r: _ref.reduce((x - y) ** 2, r)),
        (F.l1_loss, lambda x, y, r: _ref.reduce(np.abs(x - y), r)),
        (F.smooth_l1_loss, lambda x, y, r: _ref.smooth_l1(x, y, r)),
    ],
    ids=["mse", "l1", "smooth_l1"],
)
def test_elementwise_values_and_grads(fn, ref, reduction):
    x, y = _pair()
    out = fn(t(x, dtype=np.float32), t(y, dtype=np.float32), reduction=reduction)
    assert out.dtype == gradcli.float32
    np.testing.assert_allclose(out.numpy(), ref(x, y, reduction), rtol=1e-5, atol=1e-6)
    gradcheck(lambda a, b: fn(a, b, reduction=reduction), x, y)


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0])
def test_smooth_l1_beta(beta):
    x, y = _pair(1)
    out = F.smooth_l1_loss(t(x), t(y), beta=beta)
    np.testing.assert_allclose(out.item(), _ref.smooth_l1(x, y, beta=beta), rtol=1e-5)
    gradcheck(lambda a, b: F.smooth_l1_loss(a, b, beta=beta, reduction="sum"), x, y)
    assert nn.SmoothL1Loss(beta=beta).beta == beta


def test_mse_module_and_broadcast_rules():
    x, y = _pair()
    loss = nn.MSELoss(reduction="sum")(t(x), t(y))
    np.testing.assert_allclose(loss.item(), ((x - y) ** 2).sum(), rtol=1e-5)
    assert loss.grad_fn is None
    xr = t(x, requires_grad=True)
    assert nn.MSELoss()(xr, t(y)).grad_fn.name() == "MseLossBackward0"
    # a target that broadcasts without changing the input's shape is fine
    F.mse_loss(t(x), t(y[0]))
    with pytest.raises(ShapeError, match=r"target shape \(4,\) does not match input shape"):
        F.mse_loss(t(x[:, :1]), t(y[:, 0]))
    with pytest.raises(ShapeError, match="input.squeeze"):
        F.mse_loss(t(np.zeros((4, 1))), t(np.zeros(4)))
    # an integer target is promoted (tests/compat/test_legacy_numbers.py); two are refused
    with pytest.raises(TypeError, match="floating point"):
        F.l1_loss(t(np.ones((4, 5), dtype=np.int64)), t(np.ones((4, 5), dtype=np.int64)))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(t(x), t(y), reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")


# ---- binary cross-entropy ----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_values_and_grads(reduction):
    r = _ref.rng(2)
    p = 1 / (1 + np.exp(-r.standard_normal((3, 4))))
    y = r.random((3, 4))
    w = r.random(4) + 0.5
    out = F.binary_cross_entropy(t(p, dtype=np.float32), t(y, dtype=np.float32), t(w), reduction)
    np.testing.assert_allclose(out.numpy(), _ref.bce(p, y, w, reduction), rtol=1e-5, atol=1e-6)
    gradcheck(lambda a, b: F.binary_cross_entropy(a, b, t(w), reduction=reduction), p, y)
    assert nn.BCELoss(t(w))(t(p, True), t(y)).grad_fn.name() == "BinaryCrossEntropyBackward0"


def test_bce_clamps_log_and_checks_range():
    loss = F.binary_cross_entropy(t([0.0, 1.0]), t([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(t([1.5]), t([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_values_and_grads(reduction):
    r = _ref.rng(3)
    x, y = 3 * r.standard_normal((3, 4)), r.random((3, 4))
    w, pw = r.random(4) + 0.5, 3 * r.random(4)
    for weight, pos_weight in [(None, None), (w, None), (w, pw)]:
        tw = None if weight is None else t(weight)
        tpw = None if pos_weight is None else t(pos_weight)
        out = F.binary_cross_entropy_with_logits(
            t(x, dtype=np.float32), t(y, dtype=np.float32), tw, reduction, tpw
        )
        ref = _ref.bce_logits(x, y, weight, reduction, pos_weight)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
        gradcheck(
            lambda a, b, tw=tw, tpw=tpw: F.binary_cross_entropy_with_logits(
                a, b, tw, reduction, tpw
            ),
            x,
            y,
        )


def test_bce_with_logits_is_stable_and_module_buffers():
    x = t([1e4, -1e4, 0.0], requires_grad=True)
    loss = nn.BCEWithLogitsLoss(reduction="sum")(x, t([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(loss.item(), np.log(2), rtol=1e-6)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, -0.5])
    m = nn.BCEWithLogitsLoss(pos_weight=gradcli.ones(3))
    assert list(m.state_dict()) == ["pos_weight"]
    assert repr(m) == "BCEWithLogitsLoss()"


# ---- cross-entropy and NLL ---------------------------------------------------------------------


def _logits(seed=4, shape=(6, 5)):
    return 3 * _ref.rng(seed).standard_normal(shape)


TARGET = np.array([0, 4, 2, -100, 1, 2])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_values_and_grads(reduction, smoothing, weighted):
    x = _logits()
    w = _ref.rng(5).random(5) + 0.2 if weighted else None
    tw = None if w is None else t(w)
    out = F.cross_entropy(
        t(x, dtype=np.float32), t(TARGET), tw, reduction=reduction, label_smoothing=smoothing
    )
    assert out.dtype == gradcli.float32
    ref = _ref.cross_entropy(x, TARGET, w, reduction=reduction, ls=smoothing)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    gradcheck(
        lambda a: F.cross_entropy(a, t(TARGET), tw, reduction=reduction, label_smoothing=smoothing),
        x,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probability_targets(reduction):
    x = _logits()
    r = _ref.rng(6)
    probs = r.random((6, 5))
    probs /= probs.sum(1, keepdims=True)
    w = r.random(5) + 0.2
    for weight, ls in [(None, 0.0), (w, 0.1)]:
        tw = None if weight is None else t(weight)
        out = F.cross_entropy(t(x), t(probs), tw, reduction=reduction, label_smoothing=ls)
        ref = _ref.soft_cross_entropy(x, probs, weight, reduction, ls)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
        gradcheck(
            lambda a, b, tw=tw, ls=ls: F.cross_entropy(
                a, b, tw, reduction=reduction, label_smoothing=ls
            ),
            x,
            probs,
        )


def test_cross_entropy_spatial_and_unbatched():
    x = _logits(7, (2, 4, 3, 3))
    tgt = _ref.rng(7).integers(0, 4, (2, 3, 3))
    w = np.array([0.5, 1.0, 2.0, 1.5])
    for reduction in REDUCTIONS:
        out = F.cross_entropy(t(x), t(tgt), t(w), reduction=reduction, label_smoothing=0.1)
        ref = _ref.cross_entropy(x, tgt, w, reduction=reduction, ls=0.1)
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    gradcheck(lambda a: F.cross_entropy(a, t(tgt), t(w), label_smoothing=0.1), x)
    x1 = _logits(8, (5,))
    out = F.cross_entropy(t(x1), t(3), reduction="none")
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), -_ref.log_softmax(x1, 0)[3], rtol=1e-5)
    gradcheck(lambda a: F.cross_entropy(a, t(3)), x1)


def test_cross_entropy_is_stable_and_fused():
    x = t([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], requires_grad=True)
    loss = nn.CrossEntropyLoss()(x, t([1, 2]))
    assert loss.grad_fn.name() == "CrossEntropyLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "AccumulateGrad"  # one node, no softmax
    np.testing.assert_allclose(loss.item(), (1e4 + np.log(2)) / 2, rtol=1e-6)
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0.0], [0.0, 0.25, -0.25]], atol=1e-6)


def test_cross_entropy_backward_is_softmax_minus_onehot_over_n():
    x = _logits(9, (4, 3))
    tgt = np.array([0, 2, 1, 1])
    xt = t(x, requires_grad=True)
    F.cross_entropy(xt, t(tgt)).backward()
    expected = (np.exp(_ref.log_softmax(x, 1)) - np.eye(3)[tgt]) / 4
    np.testing.assert_allclose(xt.grad.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_cross_entropy_all_ignored_mean_is_nan():
    with np.errstate(invalid="ignore", divide="ignore"):
        out = F.cross_entropy(t(_logits()), t(np.full(6, -100)))
    assert np.isnan(out.item())


def test_cross_entropy_module_state_and_repr():
    m = nn.CrossEntropyLoss(weight=gradcli.ones(5), label_smoothing=0.1, ignore_index=3)
    assert repr(m) == "CrossEntropyLoss()"
    assert list(m.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    x = _logits()
    out = m(t(x), t([0, 1, 2, 3, 4, 0]))
    ref = _ref.cross_entropy(x, np.array([0, 1, 2, 3, 4, 0]), ignore_index=3, ls=0.1)
    np.testing.assert_allclose(out.item(), ref, rtol=1e-5)


def test_cross_entropy_errors():
    x = t(_logits())
    with pytest.raises(ShapeError, match=r"target contains class 7 but the input has 5 classes"):
        F.cross_entropy(x, t([0, 7, 1, 1, 1, 1]))
    with pytest.raises(ShapeError, match=r"target contains class -1"):
        F.cross_entropy(x, t([0, -1, 1, 1, 1, 1]))
    with pytest.raises(TypeError, match=r"use target.long\(\)"):
        F.cross_entropy(x, t(np.zeros(6, dtype=np.float32)).float().reshape(6))
    with pytest.raises(ShapeError, match=r"float target of shape \(6, 3\)"):
        F.cross_entropy(x, t(np.zeros((6, 3), dtype=np.float32)))
    with pytest.raises(ShapeError, match=r"target.squeeze\(1\)"):
        F.cross_entropy(x, t(np.zeros((6, 1), dtype=np.int64)))
    with pytest.raises(ShapeError, match=r"need shape \(6,\)"):
        F.cross_entropy(x, t(np.zeros(5, dtype=np.int64)))
    with pytest.raises(ShapeError, match=r"weight has shape \(4,\)"):
        F.cross_entropy(x, t(np.zeros(6, dtype=np.int64)), t(np.ones(4)))
    with pytest.raises(TypeError, match="floating point input"):
        F.cross_entropy(t(np.zeros((6, 5), dtype=np.int64)), t(np.zeros(6, dtype=np.int64)))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, t(np.zeros(6, dtype=np.int64)), label_smoothing=1.5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_values_and_grads(reduction):
    logp = _ref.log_softmax(_logits(10), 1)
    w = _ref.rng(10).random(5) + 0.2
    out = nn.NLLLoss(t(w), reduction=reduction)(t(logp), t(TARGET))
    ref = _ref.nll(logp, TARGET, w, reduction=reduction)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)
    gradcheck(lambda a: F.nll_loss(a, t(TARGET), t(w), reduction=reduction), logp)
    assert F.nll_loss(t(logp, True), t(TARGET)).grad_fn.name() == "NllLossBackward0"


def test_nll_after_log_softmax_equals_cross_entropy():
    x = _logits(11)
    tgt = np.array([1, 2, 3, 4, 0, 1])
    a = F.nll_loss(F.log_softmax(t(x), dim=1), t(tgt))
    b = F.cross_entropy(t(x), t(tgt))
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)
    with pytest.raises(TypeError, match="integer"):
        F.nll_loss(t(x), t(np.zeros(6)))


def test_mixed_dtypes_promote_and_keep_each_gradient_dtype():
    x = t(np.ones((2, 3)), requires_grad=True, dtype=np.float32)
    y = t(np.zeros((2, 3)), requires_grad=True)  # float64
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.binary_cross_entropy_with_logits):
        x.grad = y.grad = None
        loss = fn(x, y)
        assert loss.dtype == gradcli.float64
        loss.backward()
        assert x.grad.dtype == gradcli.float32 and y.grad.dtype == gradcli.float64
