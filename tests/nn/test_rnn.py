"""RNN, LSTM, GRU and their cells: PyTorch's numbers, names and shapes; float64 gradient checks
of the recurrence ops; options, init and errors."""

import math

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.nn as nn
from gradcli.errors import ShapeError
from gradcli.ops.rnn import gru_recurrence, lstm_recurrence, rnn_recurrence

from . import _seq_cases as cases
from ._seq_torch_numbers import NUMBERS, TORCH_VERSION


@pytest.mark.parametrize("name", list(cases.RNN_CASES))
def test_outputs_and_gradients_match_recorded_pytorch(name):
    numbers, shapes = cases.run_rnn(gradcli, name)
    expected, torch_shapes = NUMBERS["rnn"][name]
    assert shapes == torch_shapes, f"state_dict names/shapes differ from PyTorch {TORCH_VERSION}"
    assert numbers.keys() == expected.keys()
    for key, value in expected.items():
        assert numbers[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


def test_recorded_cases_cover_every_option():
    kws = [c.get("kw", {}) for c in cases.RNN_CASES.values()]
    for option in ("num_layers", "bias", "batch_first", "dropout", "bidirectional"):
        assert any(option in kw for kw in kws), option
    assert {c["mode"] for c in cases.RNN_CASES.values()} == {
        "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"}  # fmt: skip
    assert any(kw.get("nonlinearity") == "relu" for kw in kws)


def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-0.8, 0.8, s) for s in shapes]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_rnn_recurrence_gradcheck(reverse, act):
    xw, h0, w = _arrays(1, (4, 2, 3), (2, 3), (3, 3))
    gradcheck(lambda a, b, c: rnn_recurrence(a, b, c, reverse, act), xw, h0, w)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_recurrence_gradcheck(reverse):
    # the output holds every h and the final c, so this checks gradients through both
    xw, h0, c0, w = _arrays(2, (4, 2, 12), (2, 3), (2, 3), (12, 3))
    gradcheck(lambda a, b, c, d: lstm_recurrence(a, b, c, d, reverse), xw, h0, c0, w)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_recurrence_gradcheck(reverse, bias):
    xw, h0, w, b = _arrays(3, (4, 2, 9), (2, 3), (9, 3), (9,))
    if bias:
        gradcheck(lambda a, c, d, e: gru_recurrence(a, c, d, e, reverse), xw, h0, w, b)
    else:
        gradcheck(lambda a, c, d: gru_recurrence(a, c, d, None, reverse), xw, h0, w)


def test_module_gradcheck_through_layers_and_directions():
    gru = nn.GRU(2, 3, num_layers=2, bidirectional=True, batch_first=True).double()
    (x,) = _arrays(4, (2, 4, 2))
    gradcheck(lambda t: gru(t)[0], x)


def test_recurrence_values_against_a_plain_loop():
    xw, h0, c0, w = _arrays(5, (3, 2, 8), (2, 2), (2, 2), (8, 2))
    out = lstm_recurrence(*(gradcli.tensor(a) for a in (xw, h0, c0, w))).numpy()
    h, c = h0, c0
    for t in range(3):
        a = xw[t] + h @ w.T
        i, f, g, o = np.split(a, 4, axis=1)
        sig = 1 / (1 + np.exp(-np.stack([i, f, o])))
        c = sig[1] * c + sig[0] * np.tanh(g)
        h = sig[2] * np.tanh(c)
        np.testing.assert_allclose(out[t], h, rtol=1e-12)
    np.testing.assert_allclose(out[3], c, rtol=1e-12)


def test_init_is_pytorchs_uniform():
    gradcli.manual_seed(0)
    lstm = nn.LSTM(30, 100, num_layers=2)
    bound = 1 / math.sqrt(100)
    for name, p in lstm.named_parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound, name
    w = lstm.weight_hh_l1.detach().numpy()
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert np.abs(lstm.bias_ih_l0.detach().numpy()).max() > 0.9 * bound


def test_repr_and_attributes_like_pytorch():
    # the strings PyTorch 2.14 prints for the same constructors
    rnn = nn.RNN(3, 4, 2, nonlinearity="relu", bias=False, dropout=0.5, bidirectional=True,
                 batch_first=True)  # fmt: skip
    assert repr(rnn) == (
        "RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"
    )
    assert repr(nn.GRU(3, 4)) == "GRU(3, 4)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu", bias=False)) == (
        "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    )
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"
    assert rnn.nonlinearity == "relu" and rnn.num_layers == 2 and rnn.hidden_size == 4
    assert len(rnn.all_weights) == 4 and len(rnn.all_weights[0]) == 2
    rnn.flatten_parameters()


def test_dropout_between_layers_only_in_training():
    gradcli.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    plain = nn.LSTM(3, 4, num_layers=2)
    plain.load_state_dict(lstm.state_dict())
    x = gradcli.randn(5, 2, 3)
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].detach().numpy(), plain(x)[0].detach().numpy())
    lstm.train()
    gradcli.manual_seed(1)
    first = lstm(x)[0].detach().numpy()
    gradcli.manual_seed(1)
    np.testing.assert_array_equal(lstm(x)[0].detach().numpy(), first)
    assert not np.allclose(first, plain(x)[0].detach().numpy())


def test_dropout_with_one_layer_warns_as_pytorch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


def test_float32_stays_float32_and_batch_first_layout():
    lstm = nn.LSTM(28, 16, batch_first=True)
    x = gradcli.randn(8, 28, 28, requires_grad=True)
    out, (h, c) = lstm(x)
    assert tuple(out.shape) == (8, 28, 16) and tuple(h.shape) == (1, 8, 16)
    np.testing.assert_allclose(out[:, -1].detach().numpy(), h[0].detach().numpy())
    out[:, -1].sum().backward()
    assert out.dtype == gradcli.float32
    assert x.grad.dtype == gradcli.float32 and lstm.weight_hh_l0.grad.dtype == gradcli.float32


def test_bidirectional_h_n_holds_each_directions_last_step():
    gru = nn.GRU(3, 4, bidirectional=True)
    out, h = gru(gradcli.randn(5, 2, 3))
    np.testing.assert_allclose(h[0].detach().numpy(), out[-1, :, :4].detach().numpy())
    np.testing.assert_allclose(h[1].detach().numpy(), out[0, :, 4:].detach().numpy())


def test_errors_name_the_problem():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ShapeError, match="Expected 3, got 5"):
        lstm(gradcli.randn(2, 2, 5))
    with pytest.raises(ShapeError, match="2D .* or 3D"):
        lstm(gradcli.randn(2, 2, 2, 3))
    with pytest.raises(ShapeError, match=r"hidden\[0\] of size \(1, 2, 4\)"):
        lstm(gradcli.randn(6, 2, 3), (gradcli.zeros(1, 3, 4), gradcli.zeros(1, 2, 4)))
    with pytest.raises(ShapeError, match="hidden state has shape"):
        nn.GRUCell(3, 4)(gradcli.randn(2, 3), gradcli.zeros(3, 4))
    with pytest.raises(ShapeError, match="at least one step"):
        nn.GRU(3, 4, batch_first=True)(gradcli.randn(2, 0, 3))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="hidden_size must be"):
        nn.GRU(3, 0)


def test_pytorch_state_dict_loads_and_matches_live():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.LSTM(28, 32, num_layers=2, batch_first=True, bidirectional=True)
    ours = nn.LSTM(28, 32, num_layers=2, batch_first=True, bidirectional=True)
    ours.load_state_dict({k: gradcli.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 28, 28)).astype(np.float32)
    expected, (h, c) = ref(torch.tensor(x))
    out, (oh, oc) = ours(gradcli.tensor(x))
    for a, b in ((out, expected), (oh, h), (oc, c)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=2e-6)
