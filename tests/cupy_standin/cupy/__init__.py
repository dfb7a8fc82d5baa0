"""A strict CuPy stand-in for gradcli's tests: CuPy's API over numpy, on a pretend GPU.

`tests/gpu/conftest.py` puts this folder first on sys.path when no usable CuPy is installed,
so the gpu-marked tests run the CuPy code path on a CPU. It is faithful where a host/device
mix-up would break on a real GPU (see `_core`'s docstring for the rules it enforces) and
offers only the numpy names that CuPy has (`_names`). It is not for speed, nor for anything but
tests. `cupy.cuda.runtime.getDeviceCount()` says 2 (`cupy._core.device_count`).
"""

from __future__ import annotations

import builtins as _builtins
import types

import numpy as _np

from cupy import _core, _names
from cupy._core import OutOfMemoryError, ufunc, upload, wrap
from cupy._ndarray import ndarray

__version__ = "13.6.0+standin"
_STANDIN = True  # how tests tell the stand-in from the real CuPy


def _function(np_func, name, host_arrays_ok=False):
    """A numpy function as a CuPy kernel: device arrays in, device arrays out."""

    spec = _names.SIGNATURES.get(name)

    def call(*args, **kwargs):
        _core.check_signature(f"cupy.{name}", spec, args, kwargs)
        out = kwargs.get("out")
        if host_arrays_ok:  # CuPy uploads these (take's indices, for one)
            args = tuple(a if isinstance(a, _np.ndarray) else _core.unwrap(a) for a in args)
        else:
            args = _core.unwrap(args)
        kwargs = {k: _core.unwrap(v) for k, v in kwargs.items()}
        result = np_func(*args, **kwargs)
        if name == "count_nonzero" and not isinstance(result, _np.ndarray):
            result = _np.asarray(result)  # CuPy answers with a 0-d array, numpy with an int
        return wrap(result, out if isinstance(out, ndarray) else None)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"cupy.{name} (stand-in over numpy.{name})"
    return call


_SPECIAL = {"ndarray", "ufunc", "vectorize", "array", "asarray", "asanyarray",
            "ascontiguousarray", "asfortranarray", "isscalar", "can_cast", "result_type",
            "common_type", "ndim", "shape", "size", "copyto"}  # fmt: skip
_MODULES = {"fft", "linalg", "random", "polynomial", "testing", "exceptions"}
_INDEX_TRICKS = {"c_", "r_", "mgrid", "ogrid", "s_", "index_exp", "flatiter", "broadcast",
                 "ndindex", "poly1d"}  # fmt: skip

for _name in _names.CUPY_NAMES:
    if _name in _SPECIAL or _name in _MODULES or _name in _INDEX_TRICKS:
        continue
    _obj = getattr(_np, _name)
    if _name in _names.FROM_NUMPY or isinstance(_obj, type) or not callable(_obj):
        globals()[_name] = _obj
    elif isinstance(_obj, _np.ufunc):
        globals()[_name] = ufunc(_obj)
    else:
        globals()[_name] = _function(_obj, _name, host_arrays_ok=_name == "take")


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    return upload(obj, dtype, copy, order, ndmin)


def asarray(a, dtype=None, order=None, *, blocking=False):
    return upload(a, dtype, False, order or "K")


asanyarray = asarray


def ascontiguousarray(a, dtype=None):
    return upload(a, dtype, False, "C")


def asfortranarray(a, dtype=None):
    return upload(a, dtype, False, "F")


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out)
    if out is not None:
        out[...] = a
        return out
    return _np.asarray(a, order=order)


def get_array_module(*args):
    # numpy's names (any, all, max, ...) shadow the builtins in this module
    return _this if _builtins.any(isinstance(a, ndarray) for a in args) else _np


def copyto(dst, src, casting="same_kind", where=None):
    if not isinstance(dst, ndarray):
        raise TypeError(f"Unsupported type {type(dst)}")
    src = _core.operand(src) if not isinstance(src, (list, tuple)) else _np.asarray(src)
    kwargs = {} if where is None else {"where": _core.operand(where)}
    _np.copyto(dst._a, src, casting=casting, **kwargs)


def isscalar(element):
    return _np.isscalar(element)


def _dtype_of(x):
    return x.dtype if isinstance(x, ndarray) else x


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(_dtype_of(from_), to, casting=casting)


def result_type(*arrays_and_dtypes):
    return _np.result_type(*(_dtype_of(x) for x in arrays_and_dtypes))


def common_type(*arrays):
    return _np.common_type(*(_np.empty(0, a.dtype) for a in arrays))


def ndim(a):
    return a.ndim if isinstance(a, ndarray) else _np.ndim(a)


def shape(a):
    return a.shape if isinstance(a, ndarray) else _np.shape(a)


def size(a, axis=None):
    return (a.size if axis is None else a.shape[axis]) if isinstance(a, ndarray) else _np.size(a)


class vectorize:
    """CuPy compiles the Python function into a kernel (cupyx.jit); a builtin such as
    math.erf has no Python source to compile, so it fails at the call, as on a GPU."""

    def __init__(self, pyfunc, otypes=None, doc=None, excluded=None, cache=False,
                 signature=None):  # fmt: skip
        self.pyfunc, self.otypes = pyfunc, otypes

    def __call__(self, *args):
        if not isinstance(self.pyfunc, types.FunctionType):
            raise TypeError(
                f"cupy.vectorize cannot compile {self.pyfunc!r}: only Python functions whose "
                "source cupyx.jit can transpile are supported"
            )
        fn = _np.vectorize(self.pyfunc, otypes=self.otypes)
        return wrap(fn(*(_core.operand(a) for a in args)))


def get_default_memory_pool():
    from cupy.cuda import memory

    return memory._default_pool


def get_default_pinned_memory_pool():
    from cupy.cuda import memory

    return memory._default_pinned_pool


def is_available():
    return _core.device_count > 0


_this = __import__("sys").modules[__name__]

from cupy import (  # noqa: E402
    cuda,
    fft,
    lib,  # noqa: E402
    linalg,
    random,
)
