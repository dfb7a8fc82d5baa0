"""Tensor methods older scripts call: in-place random fills (`w.data.uniform_(-s, s)`), the
small casts (`byte()`, `char()`, `short()`) and memory questions (`stride`, `is_contiguous`,
`data_ptr`, `get_device`, `pin_memory`). Expected values recorded from PyTorch 2.14.1."""

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli as torch
from gradcli.errors import AutogradError


def test_uniform_and_normal_fill_in_place_reproducibly():
    torch.manual_seed(0)
    w = torch.Tensor(300, 40)
    assert w.uniform_(-0.5, 0.25) is w
    a = w.numpy()
    assert a.dtype == np.float32 and a.min() >= -0.5 and a.max() < 0.25
    assert abs(a.mean() - (-0.125)) < 0.01  # 12,000 draws: the mean is within 0.01
    n = torch.zeros(300, 40, dtype=torch.float64).normal_(2.0, 0.5)
    assert abs(n.numpy().mean() - 2.0) < 0.02 and abs(n.numpy().std() - 0.5) < 0.02
    torch.manual_seed(0)
    assert torch.equal(torch.Tensor(300, 40).uniform_(-0.5, 0.25), w)
    gen = np.random.default_rng(5)
    first = torch.zeros(4).normal_(generator=gen)
    assert not torch.equal(first, torch.zeros(4).normal_(generator=gen))


def test_other_random_fills():
    torch.manual_seed(1)
    e = torch.zeros(4000).exponential_(2.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.03
    b = torch.zeros(4000).bernoulli_(0.3).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.03
    assert torch.zeros(2).bernoulli_(torch.tensor([0.0, 1.0])).tolist() == [0.0, 1.0]
    r = torch.zeros(1000).random_(3).numpy()
    assert set(np.unique(r)) == {0.0, 1.0, 2.0}
    longs = torch.zeros(1000, dtype=torch.long).random_(5, 7)
    assert set(longs.tolist()) == {5, 6} and longs.dtype == torch.int64
    wide = torch.zeros(1000).random_().numpy()
    assert wide.min() >= 0 and wide.max() <= 2**24 and np.all(wide == np.round(wide))


def test_random_fill_follows_the_in_place_rules():
    w = torch.zeros(3, requires_grad=True)
    with pytest.raises(AutogradError, match="leaf Variable that requires grad"):
        w.uniform_()
    with torch.no_grad():
        w.uniform_()  # how initialisers do it
    v = w.data
    before = v._version
    v.normal_()
    assert v._version == before + 1
    # on a non-leaf the old values get a zero gradient (PyTorch 2.14.1: w.grad is [0, 0, 0])
    y = w * 2
    y.uniform_()
    y.sum().backward()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]


def test_random_fill_gradient_float64_finite_differences():
    # the fill is fixed by a fresh generator per call, so the function is deterministic
    def fn(t):
        filled = (t * 2).uniform_(-1, 1, generator=np.random.default_rng(0))
        return filled * t + t * t

    gradcheck(fn, np.random.default_rng(1).standard_normal((2, 3)))


def test_small_casts():
    x = torch.tensor([1.7, -2.2, 300.0])
    assert x.short().dtype == torch.int16 and x.short().tolist() == [1, -2, 300]
    assert x[:2].char().dtype == torch.int8 and x[:2].char().tolist() == [1, -2]
    assert x.byte().dtype == torch.uint8 and x[:1].byte().tolist() == [1]


def test_memory_questions():
    x = torch.zeros(2, 3)
    # recorded: (3, 1) (1, 3) False 1 (3,) 6 -1
    assert x.stride() == (3, 1) and x.t().stride() == (1, 3) and x.stride(1) == 1
    assert x.is_contiguous() and not x.t().is_contiguous()
    assert x[:, 1].stride() == (3,)
    assert x.nelement() == 6 and x.get_device() == -1
    assert x.t().data_ptr() == x.data_ptr() and x[1].data_ptr() - x.data_ptr() == 12
    assert x.pin_memory() is x and not x.is_pinned()
