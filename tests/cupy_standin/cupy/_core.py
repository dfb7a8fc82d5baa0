"""The stand-in's array and the rules it enforces, modelled on CuPy's own code.

An `ndarray` holds a numpy array and the id of the pretend GPU it lives on. What CuPy refuses,
this refuses with the same exception type:

- implicit conversion to numpy (`np.asarray(a)`, `np.array(a)`, `__array__`): TypeError;
- a numpy array (any shape, 0-d too) as an operand of a ufunc or array function: TypeError
  ("Unsupported type"), while Python scalars and numpy scalars (np.float32(2)) are fine;
- an array on another device than the current one: ValueError (peer access unavailable);
- ufunc keywords CuPy lacks (`where=`, `order=`): TypeError; `ufunc.reduce`/`accumulate` other
  than add and multiply, `ufunc.at` other than add/subtract/maximum/minimum: NotImplementedError;
- a keyword or extra positional argument that CuPy's function or method lacks: TypeError
  (parameters in `_names`).

Reductions and scalar indexing return 0-d arrays (not numpy scalars), as CuPy does.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

_local = threading.local()
device_count = 2  # tests may change it (cuda:1 exists unless they do)
_PYTHON_SCALARS = (int, float, bool, complex)
SCALAR_TYPES = frozenset(_PYTHON_SCALARS) | {np.dtype(c).type for c in "?bBhHiIlLqQefdFD"}


class CUDARuntimeError(RuntimeError):
    pass


class OutOfMemoryError(MemoryError):
    def __init__(self, size, total, limit=0):
        super().__init__(
            f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes"
            + (f", limit set to: {limit:,} bytes)." if limit else ").")
        )


def current_device() -> int:
    return getattr(_local, "device", 0)


def set_device(index: int) -> None:
    if not 0 <= int(index) < device_count:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    _local.device = int(index)


# -- memory: every numpy buffer that backs a stand-in array counts as GPU memory --------------


class _Pool:
    def __init__(self):
        self.used = 0
        self.held = 0  # high-water mark since the last free_all_blocks, as a pool caches
        self.limit = 0
        self._seen = set()  # ids of the numpy buffers counted (numpy arrays are unhashable)

    def register(self, a: np.ndarray) -> None:
        root = a
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root.base is not None or id(root) in self._seen:
            return  # a view of foreign memory (as_strided), or already counted
        n = root.nbytes
        if self.limit and self.used + n > self.limit:
            raise OutOfMemoryError(n, self.used, self.limit)
        self._seen.add(id(root))
        self.used += n
        self.held = max(self.held, self.used)
        weakref.finalize(root, self._release, id(root), n)

    def _release(self, key, n):
        self._seen.discard(key)
        self.used -= n


pool = _Pool()


# -- operands and results ---------------------------------------------------------------------


def _check_device(arr: ndarray) -> None:
    dev = current_device()
    if arr._dev != dev:
        raise ValueError(
            f"The device where the array resides ({arr._dev}) is different from the current "
            f"device ({dev}). Peer access is unavailable between these devices."
        )


def operand(x):
    """A ufunc/kernel argument: a stand-in array on this device or a scalar; never numpy."""
    if isinstance(x, ndarray):
        _check_device(x)
        return x._a
    if type(x) in SCALAR_TYPES:
        return x
    raise TypeError(f"Unsupported type {type(x)}")


def unwrap(x):
    """Arguments of a non-ufunc function: arrays inside lists/tuples too; numpy arrays refused."""
    if isinstance(x, ndarray):
        _check_device(x)
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)):
        return type(x)(unwrap(v) for v in x)
    return x


def wrap(x, out=None, dev=None):
    """numpy results back to the device (the current one unless `dev`: a view stays where its
    base is): arrays and numpy scalars become (0-d) arrays."""
    if out is not None and x is out._a:
        return out
    if isinstance(x, np.ndarray):
        return ndarray._from(x, dev)
    if isinstance(x, np.generic):
        return ndarray._from(np.asarray(x), dev)
    if isinstance(x, (list, tuple)):  # named tuples (numpy's SVDResult) are plain in CuPy
        return (list if isinstance(x, list) else tuple)(wrap(v) for v in x)
    return x


def upload(obj, dtype=None, copy=True, order="K", ndmin=0):
    """`cupy.array`: host data (numpy, lists, scalars) or another stand-in array to this device."""
    if isinstance(obj, ndarray):
        if obj._dev == current_device() and not copy and (dtype is None or obj.dtype == dtype):
            a = obj._a
        else:
            a = np.array(obj._a, dtype=dtype, order=order, copy=True)
    elif isinstance(obj, (list, tuple)) and _holds_device_arrays(obj):
        a = np.array(_gather(obj), dtype=dtype, order=order)
    else:
        if isinstance(obj, np.ndarray) and obj.dtype == object:
            raise ValueError("Unsupported dtype object")
        a = np.array(obj, dtype=dtype, order=order, copy=True)
        if a.dtype == object:
            raise ValueError("Unsupported dtype object")
    if ndmin > a.ndim:
        a = a.reshape((1,) * (ndmin - a.ndim) + a.shape)
    return ndarray._from(a)


def _holds_device_arrays(seq) -> bool:
    return any(
        isinstance(v, ndarray) or (isinstance(v, (list, tuple)) and _holds_device_arrays(v))
        for v in seq
    )


def _gather(seq):
    """A nested sequence of stand-in arrays (CuPy concatenates them on the device)."""
    out = []
    for v in seq:
        if isinstance(v, ndarray):
            out.append(v._a)
        elif isinstance(v, (list, tuple)):
            out.append(_gather(v))
        else:
            raise TypeError(f"Unsupported type {type(v)}")  # CuPy refuses a mixed sequence
    return out


def check_signature(name: str, spec: str | None, args, kwargs) -> None:
    """Refuse what CuPy's function would: too many positional arguments, unknown keywords."""
    if spec is None:
        return
    tokens = spec.split()
    params = [t for t in tokens if t not in ("*", "**")]
    if "*" not in tokens and len(args) > len(params):
        raise TypeError(f"{name}() takes {len(params)} positional arguments, {len(args)} given")
    if "**" not in tokens:
        for key in kwargs:
            if key not in params:
                raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")


# -- ufuncs -------------------------------------------------------------------------------------

_UFUNC_KEYWORDS = {"out", "dtype", "casting"}
_SCATTER_OPS = {"add", "subtract", "maximum", "minimum"}


class ufunc:
    """A numpy ufunc behind CuPy's argument rules."""

    def __init__(self, np_ufunc: np.ufunc):
        self._f = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs
        self.types = np_ufunc.types

    def __repr__(self):
        return f"<ufunc 'cupy_{self.__name__}' (stand-in)>"

    def __call__(self, *args, **kwargs):
        unknown = set(kwargs) - _UFUNC_KEYWORDS
        if unknown:
            raise TypeError(f"Wrong arguments {dict((k, kwargs[k]) for k in unknown)}")
        out = kwargs.get("out")
        if isinstance(out, tuple):
            (out,) = out
        if out is not None:
            if not isinstance(out, ndarray):
                raise TypeError("Output arguments must be cupy.ndarray")
            _check_device(out)
            kwargs["out"] = out._a
        if len(args) != self.nin:
            raise TypeError(f"Wrong number of arguments for {self.__name__!r}")
        args = [operand(a) for a in args]
        if self._f is np.matmul:
            args = _blas_friendly(*args)
        return wrap(self._f(*args, **kwargs), out)

    def _only(self, method, names):
        if self.__name__ not in names:
            raise NotImplementedError(f"`cupy_{self.__name__}.{method}` is not supported yet")

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        self._only("reduce", ("add", "multiply"))
        fn = array.sum if self.__name__ == "add" else array.prod
        return fn(axis, dtype, out, keepdims)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        self._only("accumulate", ("add", "multiply"))
        fn = array.cumsum if self.__name__ == "add" else array.cumprod
        return fn(axis, dtype, out)

    def outer(self, a, b, **kwargs):
        a, b = upload(a, copy=False), upload(b, copy=False)
        return self(
            a.reshape(a.shape + (1,) * b.ndim), b.reshape((1,) * a.ndim + b.shape), **kwargs
        )

    def at(self, a, indices, b=None):
        self._only("at", _SCATTER_OPS)
        if not isinstance(a, ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        _check_device(a)
        self._f.at(a._a, index_key(indices), b if b is None else scatter_value(b, a.dtype))


def _blas_friendly(a, b):
    """numpy's matmul leaves BLAS for strided or broadcast operands and runs 10-100x slower
    (cuBLAS does not): same products, contiguous stacks, so the gpu tests stay quick."""
    if a.ndim >= 2 and b.ndim >= 2 and a.shape[:-2] != b.shape[:-2]:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a, b = np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:])
    return np.ascontiguousarray(a), np.ascontiguousarray(b)


def is_advanced(key) -> bool:
    """Whether indexing with `key` gathers (arrays or lists in it) rather than slices."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (ndarray, np.ndarray, list)) for k in parts)


def index_key(key):
    """CuPy uploads host index arrays and lists; stand-in arrays must be on this device."""
    if isinstance(key, tuple):
        return tuple(index_key(k) for k in key)
    if isinstance(key, ndarray):
        _check_device(key)
        return key._a
    if isinstance(key, np.ndarray) and key.dtype.kind not in "biu":
        raise IndexError("arrays used as indices must be of integer or boolean type")
    return key


def scatter_value(value, dtype):
    """The right side of `a[key] = value`: CuPy uploads host values (`core.array(value)`)."""
    if isinstance(value, ndarray):
        _check_device(value)
        return value._a
    return np.asarray(value, dtype=dtype)


# The ndarray class lives in its own module; imported last because it uses the helpers above.
from cupy._ndarray import ndarray  # noqa: E402
