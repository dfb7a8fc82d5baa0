"""Embedding, LayerNorm, GroupNorm, Conv1d, ConvTranspose2d, Upsample: PyTorch's reprs and
state_dict names and shapes (recorded from PyTorch 2.14.1), initialisation, a torch state_dict
loading into them, and the layers' own options."""

import math

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
import gradcli.nn.functional as F

# (layer, PyTorch 2.14.1's repr, its state_dict's names and shapes)
RECORDED = [
    (lambda: nn.Embedding(10, 3, padding_idx=0), "Embedding(10, 3, padding_idx=0)",
     {"weight": (10, 3)}),
    (lambda: nn.LayerNorm((3, 4)),
     "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)",
     {"weight": (3, 4), "bias": (3, 4)}),
    (lambda: nn.LayerNorm(5, elementwise_affine=False),
     "LayerNorm((5,), eps=1e-05, elementwise_affine=False, bias=False)", {}),
    (lambda: nn.LayerNorm(4, bias=False),
     "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)", {"weight": (4,)}),
    (lambda: nn.GroupNorm(2, 6), "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)",
     {"weight": (6,), "bias": (6,)}),
    (lambda: nn.Conv1d(4, 6, 3, groups=2),
     "Conv1d(4, 6, kernel_size=(3,), stride=(1,), groups=2)",
     {"weight": (6, 2, 3), "bias": (6,)}),
    (lambda: nn.Conv1d(4, 8, 3, padding="same", padding_mode="reflect", bias=False),
     "Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same, bias=False, "
     "padding_mode=reflect)", {"weight": (8, 4, 3)}),
    (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
     "output_padding=(1, 1), groups=2)", {"weight": (4, 3, 3, 3), "bias": (6,)}),
    (lambda: nn.ConvTranspose2d(4, 6, (3, 2), dilation=2),
     "ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(1, 1), dilation=(2, 2))",
     {"weight": (4, 6, 3, 2), "bias": (6,)}),
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
     "Upsample(scale_factor=2.0, mode='bilinear')", {}),
    (lambda: nn.Upsample(size=(3, 4)), "Upsample(size=(3, 4), mode='nearest')", {}),
    (lambda: nn.UpsamplingBilinear2d(scale_factor=2),
     "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')", {}),
]  # fmt: skip


@pytest.mark.parametrize("make, text, names", RECORDED)
def test_repr_and_state_dict_match_pytorch(make, text, names):
    layer = make()
    assert repr(layer) == text
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == names


def test_initialisation():
    gradcli.manual_seed(0)
    emb = nn.Embedding(400, 50, padding_idx=-1)
    w = emb.weight.detach().numpy()
    assert emb.padding_idx == 399 and not w[399].any()
    assert abs(w[:399].mean()) < 0.02 and abs(w[:399].std() - 1) < 0.02  # N(0, 1)
    # ConvTranspose2d's fan_in is weight.shape[1] * kernel area, as in PyTorch
    ct = nn.ConvTranspose2d(8, 4, 3)
    bound = 1 / math.sqrt(4 * 9)
    assert abs(ct.bias.detach().numpy()).max() <= bound
    assert abs(ct.weight.detach().numpy()).max() > 0.9 * bound  # sqrt(5) gain: the same bound
    c1 = nn.Conv1d(4, 6, 5)
    assert abs(c1.weight.detach().numpy()).max() <= 1 / math.sqrt(20)
    ln, gn = nn.LayerNorm(3), nn.GroupNorm(1, 3)
    for m in (ln, gn):
        assert m.weight.tolist() == [1, 1, 1] and m.bias.tolist() == [0, 0, 0]


def test_embedding_padding_row_gets_no_gradient_and_from_pretrained():
    emb = nn.Embedding(4, 2, padding_idx=1)
    emb(gradcli.tensor([[1, 2, 1]])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [0, 0], [1, 1], [0, 0]])
    table = gradcli.tensor([[1.0, 2.0], [3.0, 4.0]])
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen(gradcli.tensor([1])).tolist() == [[3, 4]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_conv1d_padding_modes_and_unbatched_input():
    gradcli.manual_seed(1)
    conv = nn.Conv1d(2, 3, 3, padding=1, padding_mode="replicate")
    x = gradcli.randn(2, 2, 6)
    expected = F.conv1d(F.pad(x, (1, 1), mode="replicate"), conv.weight, conv.bias)
    np.testing.assert_allclose(conv(x).detach().numpy(), expected.detach().numpy())
    single = conv(x[0])
    assert single.shape == (3, 6)
    np.testing.assert_allclose(single.detach().numpy(), expected[0].detach().numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="input has 3 channels but the layer expects 2"):
        conv(gradcli.zeros(1, 3, 6))


def test_conv_transpose2d_output_size_picks_output_padding():
    up = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    x = gradcli.randn(1, 2, 4, 4)
    assert up(x).shape == (1, 2, 7, 7)
    assert up(x, output_size=(8, 8)).shape == (1, 2, 8, 8)
    assert up(x, output_size=[1, 2, 7, 8]).shape == (1, 2, 7, 8)
    with pytest.raises(ValueError, match="valid sizes .* start at 7"):
        up(x, output_size=(9, 9))


def test_group_norm_channel_check_and_upsample_forward():
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="input has 4 channels but the layer expects 6"):
        nn.GroupNorm(3, 6)(gradcli.zeros(2, 4, 3))
    y = nn.Upsample(scale_factor=2)(gradcli.arange(4.0).reshape(1, 1, 2, 2))
    assert y[0, 0].tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]


def test_float32_parameters_and_outputs():
    for layer, x in [
        (nn.LayerNorm(4), gradcli.randn(2, 4)),
        (nn.GroupNorm(2, 4), gradcli.randn(2, 4, 3)),
        (nn.Conv1d(4, 2, 3), gradcli.randn(2, 4, 5)),
        (nn.ConvTranspose2d(4, 2, 3), gradcli.randn(1, 4, 3, 3)),
        (nn.Embedding(5, 4), gradcli.tensor([0, 4])),
    ]:
        y = layer(x)
        y.sum().backward()
        assert y.dtype == gradcli.float32
        assert all(p.grad.dtype == gradcli.float32 for p in layer.parameters())


def test_torch_state_dict_loads_and_gives_the_same_output():
    torch = pytest.importorskip("torch")
    pairs = [
        (torch.nn.Embedding(7, 3, padding_idx=2), nn.Embedding(7, 3, padding_idx=2),
         np.array([[0, 2, 6], [1, 1, 5]])),
        (torch.nn.LayerNorm((2, 3)), nn.LayerNorm((2, 3)), np.random.rand(4, 2, 3)),
        (torch.nn.GroupNorm(2, 4), nn.GroupNorm(2, 4), np.random.rand(2, 4, 3, 3)),
        (torch.nn.Conv1d(4, 6, 3, stride=2, groups=2), nn.Conv1d(4, 6, 3, stride=2, groups=2),
         np.random.rand(2, 4, 9)),
        (torch.nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
         nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1), np.random.rand(1, 4, 3, 3)),
    ]  # fmt: skip
    for theirs, ours, x in pairs:
        with torch.no_grad():  # non-trivial affine parameters
            for p in theirs.parameters():
                p.add_(torch.rand(p.shape))
        state = {k: gradcli.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
        ours.load_state_dict(state)
        xt = torch.tensor(x if x.dtype.kind == "i" else x.astype(np.float32))
        expected = theirs(xt).detach().numpy()
        got = ours(gradcli.tensor(xt.numpy())).detach().numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
