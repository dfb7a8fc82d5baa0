"""The layer table's numbers, checked by hand on a LeNet-like network."""

import pytest
from inspect_helpers import QUICKSTART, write_lenet

from gradcli import nn
from gradcli.config.load import load_config
from gradcli.inspect import summarize
from gradcli.inspect.summary import macs, short_repr

# (kind, output shape without batch, params, multiply-adds per sample)
LENET_ROWS = [
    ("conv2d", (6, 28, 28), 6 * 1 * 5 * 5 + 6, 28 * 28 * 6 * 25),  # 156, 117,600
    ("relu", (6, 28, 28), 0, 0),
    ("maxpool2d", (6, 14, 14), 0, 0),
    ("conv2d", (16, 10, 10), 16 * 6 * 25 + 16, 10 * 10 * 16 * 6 * 25),  # 2,416, 240,000
    ("relu", (16, 10, 10), 0, 0),
    ("maxpool2d", (16, 5, 5), 0, 0),
    ("flatten", (400,), 0, 0),
    ("linear", (120,), 400 * 120 + 120, 400 * 120),  # 48,120, 48,000
    ("relu", (120,), 0, 0),
    ("linear", (84,), 120 * 84 + 84, 120 * 84),
    ("relu", (84,), 0, 0),
    ("linear", (10,), 84 * 10 + 10, 84 * 10),
]


def test_lenet_rows_match_hand_counts(tmp_path):
    s = summarize(load_config(write_lenet(tmp_path)))
    assert s.batch_size == 4 and s.input_shape == (4, 1, 28, 28)
    got = [(r.kind, r.output_shape, r.params, r.macs) for r in s.rows]
    assert got == [(k, (4, *shape), p, m) for k, shape, p, m in LENET_ROWS]
    assert s.rows[0].params == 156 and s.rows[0].macs == 117_600
    assert s.rows[7].params == 48_120 and s.rows[7].macs == 48_000
    assert [r.trainable for r in s.rows[:2]] == ["yes", "-"]


def test_lenet_totals_and_memory(tmp_path):
    t = summarize(load_config(write_lenet(tmp_path))).totals
    assert t.params == t.trainable_params == 61_706  # the classic LeNet-5 count
    assert t.non_trainable_params == 0
    assert t.macs_per_sample == 416_520 and t.macs_per_batch == 4 * 416_520
    outputs = sum(4 * _prod(shape) for _, shape, _, _ in LENET_ROWS)
    assert t.input_bytes == 4 * 28 * 28 * 4
    assert t.param_bytes == 61_706 * 4
    assert t.activation_bytes == outputs * 4
    assert t.gradient_bytes == t.param_bytes + t.activation_bytes
    assert t.total_bytes == t.input_bytes + t.param_bytes + t.activation_bytes + t.gradient_bytes


def test_batch_size_and_dtype_change_memory_not_counts(tmp_path):
    base = summarize(load_config(write_lenet(tmp_path)))
    big = summarize(load_config(write_lenet(tmp_path), ["dtype=float64"]), batch_size=32)
    assert big.rows[0].output_shape == (32, 6, 28, 28) and big.dtype == "float64"
    assert big.totals.params == base.totals.params
    assert big.totals.macs_per_sample == base.totals.macs_per_sample
    assert big.totals.param_bytes == 2 * base.totals.param_bytes
    assert big.totals.activation_bytes == 2 * 8 * base.totals.activation_bytes


def test_quickstart_table():
    s = summarize(load_config(QUICKSTART))
    assert s.batch_size == 64 and len(s.rows) == 10
    assert s.totals.params == 160 + 4_640 + 100_416 + 650
    assert s.rows[0].macs == 28 * 28 * 16 * 9


def test_grouped_conv_macs():
    conv = nn.Conv2d(4, 8, 3, groups=2)
    assert macs(conv, (8, 10, 10)) == 8 * 10 * 10 * 2 * 9
    assert macs(nn.ReLU(), (8, 10, 10)) == 0


@pytest.mark.parametrize(
    "module, expected",
    [
        (nn.Conv2d(1, 6, 5, padding=2), "Conv2d(1, 6, kernel_size=(5, 5), ...)"),
        (nn.Linear(400, 120), "Linear(in_features=400, out_features=120, ...)"),
        (nn.ReLU(), "ReLU()"),
        (nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    ],
)
def test_short_repr(module, expected):
    assert short_repr(module) == expected


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def test_recurrent_and_conv1d_layers_count_their_weight_products():
    import gradcli.nn as nn

    lstm = nn.LSTM(28, 64, num_layers=2, bidirectional=True, batch_first=True)
    # per step: every weight matrix once; 28 steps
    per_step = sum(p.numel() for n, p in lstm.named_parameters() if n.startswith("weight_"))
    assert macs(lstm, (28, 128), (28, 28)) == 28 * per_step
    conv = nn.Conv1d(4, 8, 3, groups=2)
    assert macs(conv, (8, 10), (4, 12)) == 8 * 10 * 2 * 3
