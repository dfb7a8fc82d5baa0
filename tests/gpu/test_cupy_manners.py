"""What the CuPy stand-in refuses, it refuses because CuPy does: these run on the real CuPy
too (where a GPU is usable), so the stand-in cannot drift into being more permissive (or
stricter) than the library it stands for. Stand-in-only checks say so."""

import numpy as np
import pytest

import gradcli
from gradcli import backend

pytestmark = pytest.mark.gpu


@pytest.fixture
def cp():
    return backend.require_cupy()


def test_no_implicit_conversion_to_numpy(cp):
    a = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    for convert in (np.asarray, np.array, lambda a: np.float32(1) * np.ones(3) + a.__array__()):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
            convert(a)
    with pytest.raises(TypeError):
        float(a)  # more than one element
    assert isinstance(a.get(), np.ndarray) and isinstance(cp.asnumpy(a), np.ndarray)
    assert a[1, 2].item() == 5.0 and float(a[1, 2]) == 5.0 and a.tolist()[0] == [0, 1, 2]


def test_numpy_operands_are_refused_and_scalars_accepted(cp):
    a = cp.ones((2, 3), dtype=cp.float32)
    host = np.ones(3, np.float32)
    for mixed in (lambda: a + host, lambda: host + a, lambda: cp.maximum(a, host),
                  lambda: cp.where(a > 0, host, a), lambda: a * np.asarray(2.0),
                  lambda: cp.concatenate([a, host[None]])):  # fmt: skip
        with pytest.raises(TypeError):
            mixed()
    for scalar in (2, 2.0, True, np.float32(2), np.int64(2)):
        assert isinstance(a * scalar, cp.ndarray)
    assert (a * np.float32(2)).dtype == np.float32 and (a * 2.0).dtype == np.float32


def test_results_stay_on_the_device(cp):
    a = cp.arange(4, dtype=cp.float32)
    assert isinstance(a.sum(), cp.ndarray) and a.sum().ndim == 0  # not a numpy scalar
    assert isinstance(a[0], cp.ndarray) and isinstance(np.exp(a), cp.ndarray)  # numpy dispatches
    assert cp.get_array_module(a) is cp and cp.get_array_module(np.ones(1)) is np
    a[np.array([0, 1])] = np.array([5.0, 6.0])  # host indices and values are uploaded
    assert a.tolist() == [5.0, 6.0, 2.0, 3.0]


def test_memory_pool_limit_raises_out_of_memory(cp):
    pool = cp.get_default_memory_pool()
    keep = cp.ones(1000, dtype=cp.float32)
    before = pool.get_limit()
    pool.set_limit(size=pool.used_bytes() + (1 << 20))
    try:
        with pytest.raises(cp.cuda.memory.OutOfMemoryError) as caught:
            cp.zeros(1 << 22, dtype=cp.float32)
        assert backend.is_out_of_memory(caught.value)
    finally:
        pool.set_limit(size=before)
    assert pool.total_bytes() >= pool.used_bytes() >= keep.nbytes
    free, total = cp.cuda.runtime.memGetInfo()
    assert 0 < free <= total


def test_streams_and_devices(cp):
    with cp.cuda.Device(0) as dev:
        assert dev.id == 0 == cp.cuda.runtime.getDevice()
        stream = cp.cuda.Stream(non_blocking=True)
        with stream:
            assert cp.cuda.get_current_stream().ptr == stream.ptr
            x = cp.ones(3) * 2
        stream.synchronize()
        dev.synchronize()
    assert x.device.id == 0 and x.sum().item() == 6.0
    assert gradcli.cuda.get_device_name() and gradcli.cuda.memory_allocated() > 0
    free, total = gradcli.cuda.mem_get_info()
    assert 0 < free <= total and gradcli.cuda.memory_reserved() >= gradcli.cuda.memory_allocated()


def test_arrays_on_another_device_are_refused(standin_only):
    cp = standin_only
    a = cp.ones(3)
    with cp.cuda.Device(1):
        b = cp.asarray(a)  # copied across
        assert b.device.id == 1
        with pytest.raises(ValueError, match="Peer access is unavailable"):
            a + b
    with pytest.raises(ValueError, match="Peer access is unavailable"):
        b * 2


def test_ufunc_keywords_and_methods_cupy_lacks(standin_only):
    cp = standin_only
    a = cp.ones(3)
    with pytest.raises(TypeError, match="Wrong arguments"):
        cp.add(a, 1, where=a > 0)
    with pytest.raises(NotImplementedError):
        np.maximum.reduce(a)
    with pytest.raises(TypeError, match="cannot compile"):
        cp.vectorize(abs)(a)
    assert not hasattr(cp, "special") and hasattr(cp, "put_along_axis")
