"""Batch slices on threads (ops._parallel): conv2d and max_pool2d give bit-identical values and
gradients whatever the split, and the helper covers the batch once, waits, and restores BLAS."""

import threading

import numpy as np
import pytest
from gradcheck import gradcheck

import gradcli
import gradcli.ops._parallel as parallel
from gradcli import threads
from gradcli.ops.conv import conv2d
from gradcli.ops.pool import max_pool2d


def split(monkeypatch, threads, slice_bytes=None):
    """Force `threads` threads even for tiny inputs (and, with `slice_bytes=1`, slices of one
    sample)."""
    monkeypatch.setattr(parallel, "workers", lambda: threads)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1)
    if slice_bytes is not None:
        monkeypatch.setattr(parallel, "SLICE_BYTES", slice_bytes)
        monkeypatch.setattr(parallel, "GPU_SLICE_BYTES", slice_bytes)


def conv_step(x, w, b, **kw):
    xt, wt, bt = (gradcli.tensor(a, requires_grad=True) for a in (x, w, b))
    y = conv2d(xt, wt, bt, **kw)
    g = np.random.default_rng(5).standard_normal(y.shape).astype(x.dtype)
    y.backward(gradcli.tensor(g))
    return [a.copy() for a in (y._data, xt.grad._data, wt.grad._data, bt.grad._data)]


CONV_CASES = [  # (batch, x shape without batch, weight shape, options)
    (1, (1, 28, 28), (6, 1, 5, 5), {"padding": 2}),
    (3, (6, 14, 14), (16, 6, 5, 5), {}),
    (7, (4, 9, 8), (6, 2, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),
    (5, (2, 9, 10), (3, 2, 3, 2), {"dilation": (2, 1), "padding": (2, 0)}),
]


@pytest.mark.parametrize("batch, xs, ws, kw", CONV_CASES)
@pytest.mark.parametrize("threads, slice_bytes", [(2, None), (3, None), (2, 1), (1, 1)])
def test_conv2d_split_is_bit_identical(monkeypatch, batch, xs, ws, kw, threads, slice_bytes):
    r = np.random.default_rng(batch)
    x = r.standard_normal((batch, *xs)).astype(np.float32)
    w = r.standard_normal(ws).astype(np.float32)
    b = r.standard_normal(ws[0]).astype(np.float32)
    split(monkeypatch, 1, slice_bytes=1 << 40)  # one slice, one thread
    whole = conv_step(x, w, b, **kw)
    split(monkeypatch, threads, slice_bytes)
    for got, expected in zip(conv_step(x, w, b, **kw), whole):
        np.testing.assert_array_equal(got, expected)


def pool_step(x, **kw):
    xt = gradcli.tensor(x, requires_grad=True)
    y, idx = max_pool2d(xt, return_indices=True, **kw)
    g = np.random.default_rng(6).standard_normal(y.shape).astype(x.dtype)
    y.backward(gradcli.tensor(g))
    return [a.copy() for a in (y._data, idx._data, xt.grad._data)]


@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize(
    "kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}, {"kernel_size": 3}]
)
def test_max_pool2d_split_is_bit_identical(monkeypatch, batch, kw):
    x = np.random.default_rng(batch).standard_normal((batch, 3, 9, 8)).astype(np.float32)
    x[:, :, 0, :2] = 1.5  # ties inside a window: the first one wins either way
    split(monkeypatch, 1, slice_bytes=1 << 40)
    whole = pool_step(x, **kw)
    split(monkeypatch, 2, slice_bytes=1)
    for got, expected in zip(pool_step(x, **kw), whole):
        np.testing.assert_array_equal(got, expected)


def test_split_gradients_match_finite_differences(monkeypatch):
    split(monkeypatch, 2, slice_bytes=1)
    r = np.random.default_rng(0)
    x, w, b = r.standard_normal((3, 2, 6, 5)), r.standard_normal((4, 2, 3, 3)), r.standard_normal(4)
    gradcheck(lambda x, w, b: max_pool2d(conv2d(x, w, b, padding=1), 2), x, w, b)


def test_for_batch_covers_every_sample_once_in_capped_slices(monkeypatch):
    split(monkeypatch, 2)
    seen, lock = [], threading.Lock()

    def fn(lo, hi):
        with lock:
            seen.append((lo, hi))

    monkeypatch.setattr(parallel, "SLICE_BYTES", 16)
    parallel.for_batch(fn, 11, np.zeros(11), 8)
    assert sorted(i for lo, hi in seen for i in range(lo, hi)) == list(range(11))
    assert max(hi - lo for lo, hi in seen) == 2


def test_for_batch_stays_on_one_thread_for_small_work():
    names = []
    parallel.for_batch(lambda lo, hi: names.append(threading.current_thread().name), 4,
                       np.zeros(4), parallel.MIN_BYTES // 4 - 1)  # fmt: skip
    assert names == [threading.current_thread().name]


def test_for_batch_raises_a_slice_error_and_keeps_blas_to_one_thread(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    split(monkeypatch, 2)
    monkeypatch.setattr(threads, "_kernel_threads", False)

    def fn(lo, hi):
        if lo > 0:
            raise ValueError("slice failed")

    with threadpool_limits(limits=2, user_api="blas"):  # restored on exit
        with pytest.raises(ValueError, match="slice failed"):
            parallel.for_batch(fn, 4, np.zeros(4), 4)
        # the kernels took the cores: BLAS spinning threads would take them back
        assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {1}
        policy = threads.ThreadPolicy(fixed=2).start()  # a policy keeps it so as well
        assert policy.count == 2
        assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {1}


@pytest.mark.gpu
def test_gpu_arrays_stay_on_the_calling_thread_in_slices(monkeypatch):
    split(monkeypatch, 2, slice_bytes=1)
    x = gradcli.tensor(np.ones((3, 2, 6, 6), np.float32), device="cuda", requires_grad=True)
    w = gradcli.tensor(np.ones((4, 2, 3, 3), np.float32), device="cuda", requires_grad=True)
    names = []
    parallel.for_batch(lambda lo, hi: names.append(threading.current_thread().name), 3,
                       x._data, 1 << 20)  # fmt: skip
    assert names == [threading.current_thread().name] * 3  # sliced, but no thread hand-off
    y = max_pool2d(conv2d(x, w, padding=1), 2)
    y.sum().backward()
    assert y.device.type == "cuda" and float(y.sum().item()) == pytest.approx(3 * 4 * 9 * 18)
    assert x.grad.device.type == "cuda" and w.grad.device.type == "cuda"


@pytest.mark.parametrize("stride", [1, 2])
def test_empty_batch_runs_forward_and_backward(monkeypatch, stride):
    split(monkeypatch, 2)
    x = gradcli.tensor(np.zeros((0, 2, 8, 8), np.float32), requires_grad=True)
    w = gradcli.tensor(np.ones((3, 2, 3, 3), np.float32), requires_grad=True)
    y = max_pool2d(conv2d(x, w, stride=stride, padding=1), 2)
    y.sum().backward()
    assert tuple(y.shape) == (0, 3, 8 // stride // 2, 8 // stride // 2)
    assert tuple(x.grad.shape) == (0, 2, 8, 8)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((3, 2, 3, 3), np.float32))


@pytest.mark.gpu
def test_gpu_batches_are_cut_only_for_memory(monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    x = gradcli.tensor(np.ones((256, 1), np.float32), device="cuda")._data
    calls = []
    parallel.for_batch(lambda lo, hi: calls.append((lo, hi)), 256, x, 84 << 10)  # LeNet's conv2
    assert calls == [(0, 256)]  # 21 MiB of scratch: one slice, few kernel launches
    calls.clear()
    parallel.for_batch(lambda lo, hi: calls.append((lo, hi)), 256, x, 1 << 20)
    assert len(calls) == 4 and calls[-1][1] == 256  # 256 MiB: bounded by GPU_SLICE_BYTES
