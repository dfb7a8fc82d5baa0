"""`cupy.ndarray` for the stand-in: a numpy array on a pretend device, with CuPy's manners."""

from __future__ import annotations

import functools

import numpy as np

from cupy import _core
from cupy._core import index_key, scatter_value, wrap
from cupy._names import METHODS


def _method(name):
    """`a.name(...)` runs numpy's method on the device data (arguments checked like a kernel's)."""

    spec = METHODS[name]

    def call(self, *args, **kwargs):
        _core.check_signature(f"ndarray.{name}", spec, args, kwargs)
        _core._check_device(self)
        out = kwargs.get("out")
        if out is not None:
            if not isinstance(out, ndarray):
                raise TypeError("Output arguments must be cupy.ndarray")
            kwargs["out"] = out._a
        args = _core.unwrap(args)
        return wrap(getattr(self._a, name)(*args, **kwargs), out)

    call.__name__ = name
    return call


def _binary(name, reflected=False, inplace=False):
    def op(self, other):
        if not isinstance(other, ndarray) and getattr(other, "__array_ufunc__", 0) is None:
            return NotImplemented  # the other type opted out of ufuncs: let it answer
        import cupy

        fn = getattr(cupy, name)
        if inplace:
            return fn(self, other, out=self)
        return fn(other, self) if reflected else fn(self, other)

    return op


class ndarray:
    """`cupy.ndarray(shape, dtype=float)`; normally made by the cupy functions."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = np.empty(shape, dtype=dtype, order=order)
        self._dev = _core.current_device()
        _core.pool.register(self._a)

    @classmethod
    def _from(cls, a: np.ndarray, dev: int | None = None) -> ndarray:
        if a.dtype == object:
            raise ValueError("Unsupported dtype object")
        obj = cls.__new__(cls)
        obj._a = a
        obj._dev = _core.current_device() if dev is None else dev
        _core.pool.register(a)
        return obj

    # -- what CuPy refuses ------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        import cupy

        func = getattr(cupy, ufunc.__name__, None)
        if func is None or not isinstance(func, _core.ufunc):
            return NotImplemented
        if method != "__call__":
            func = getattr(func, method, None)
            if func is None:
                return NotImplemented
        for x in inputs + tuple(kwargs.get("out", ())):
            ok = type(x) in _core.SCALAR_TYPES or isinstance(x, (ndarray, np.ndarray))
            if not ok:
                return NotImplemented
        if ufunc.__name__ in ("greater", "greater_equal", "less", "less_equal", "equal"):
            inputs = tuple(x.item() if isinstance(x, np.ndarray) and x.ndim == 0 else x for x in inputs)  # fmt: skip  # noqa: E501
        return func(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        import cupy

        try:
            module = functools.reduce(getattr, func.__module__.split(".")[1:], cupy)
            cupy_func = getattr(module, func.__name__)
        except AttributeError:
            return NotImplemented
        if cupy_func is func or not all(issubclass(t, (ndarray, np.ndarray)) for t in types):
            return NotImplemented
        return cupy_func(*args, **kwargs)

    # -- explicit transfers --------------------------------------------------------------------
    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray: {type(arr)}")
        if arr.shape != self.shape or arr.dtype != self.dtype:
            raise ValueError("Shape or dtype mismatch")
        self._a[...] = arr

    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def __int__(self):
        return int(self.get())

    def __float__(self):
        return float(self.get())

    def __complex__(self):
        return complex(self.get())

    def __bool__(self):
        if self.size == 1:
            return bool(self._a.reshape(()))
        if self.size == 0:
            return False
        raise ValueError(
            "The truth value of an array with more than one element is ambiguous. "
            "Use a.any() or a.all()"
        )

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __reduce__(self):
        import cupy

        return cupy.array, (self.get(),)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        with _DeviceOf(self):
            return self.copy()

    # -- attributes ----------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: wrap(self._a.T, dev=self._dev))
    mT = property(lambda self: wrap(self._a.mT, dev=self._dev))
    real = property(lambda self: wrap(self._a.real, dev=self._dev))
    imag = property(lambda self: wrap(self._a.imag, dev=self._dev))

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def base(self):
        return None if self._a.base is None else ndarray._from(self._a.base, self._dev)

    @property
    def device(self):
        from cupy.cuda import Device

        return Device(self._dev)

    @property
    def data(self):
        from cupy.cuda.memory import MemoryPointer

        return MemoryPointer(self._a.__array_interface__["data"][0], self._dev)

    @property
    def __cuda_array_interface__(self):
        ai = self._a.__array_interface__
        return {"shape": ai["shape"], "typestr": ai["typestr"], "data": ai["data"],
                "strides": ai["strides"], "version": 3}  # fmt: skip

    # -- container -----------------------------------------------------------------------------
    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, key):
        if _core.is_advanced(key):  # a gather kernel; basic slicing only makes a view
            _core._check_device(self)
        return wrap(self._a[index_key(key)], dev=self._dev)

    def __setitem__(self, key, value):
        _core._check_device(self)
        self._a[index_key(key)] = scatter_value(value, self.dtype)

    # -- conversions that stay on the device ---------------------------------------------------
    def copy(self, order="C"):
        if self._dev == _core.current_device():
            return ndarray._from(self._a.copy(order=order))
        return ndarray._from(np.array(self._a, order=order, copy=True))  # device to device

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        _core._check_device(self)
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        kwargs = {} if casting is None else {"casting": casting}
        return ndarray._from(self._a.astype(dtype, order=order, copy=True, **kwargs))

    def view(self, dtype=None, type=None):
        if type is not None:
            raise TypeError("the stand-in's ndarray.view takes no array type")
        return wrap(self._a.view() if dtype is None else self._a.view(dtype), dev=self._dev)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return wrap(self._a.reshape(shape, order=order), dev=self._dev)

    def fill(self, value):
        _core._check_device(self)
        if isinstance(value, (ndarray, np.ndarray)) and value.ndim != 0:
            raise ValueError("non-scalar array cannot be used for fill")
        if isinstance(value, np.ndarray):
            value = value.item()
        self._a.fill(_core.operand(value))

    def sort(self, axis=-1, kind=None):
        self._a.sort(axis=axis)

    def dot(self, b, out=None):
        import cupy

        return cupy.dot(self, b, out=out)

    def __matmul__(self, other):
        import cupy

        return cupy.matmul(self, other)

    def __rmatmul__(self, other):
        import cupy

        return cupy.matmul(other, self)

    def __neg__(self):
        import cupy

        return cupy.negative(self)

    def __pos__(self):
        import cupy

        return cupy.positive(self)

    def __abs__(self):
        import cupy

        return cupy.absolute(self)

    def __invert__(self):
        import cupy

        return cupy.invert(self)

    def __eq__(self, other):
        if other is None or type(other).__eq__ is object.__eq__:
            return ndarray._from(np.zeros(self.shape, bool))
        return _binary("equal")(self, other)

    def __ne__(self, other):
        if other is None or type(other).__eq__ is object.__eq__:
            return ndarray._from(np.ones(self.shape, bool))
        return _binary("not_equal")(self, other)


for _name in METHODS:
    setattr(ndarray, _name, _method(_name))

for _dunder, _ufunc in {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "lshift": "left_shift",
    "rshift": "right_shift", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
}.items():  # fmt: skip
    setattr(ndarray, f"__{_dunder}__", _binary(_ufunc))
    setattr(ndarray, f"__r{_dunder}__", _binary(_ufunc, reflected=True))
    setattr(ndarray, f"__i{_dunder}__", _binary(_ufunc, inplace=True))
for _dunder, _ufunc in {"lt": "less", "le": "less_equal", "gt": "greater",
                        "ge": "greater_equal"}.items():  # fmt: skip
    setattr(ndarray, f"__{_dunder}__", _binary(_ufunc))
ndarray.__divmod__ = _binary("divmod")


class _DeviceOf:
    def __init__(self, arr):
        self.index = arr._dev

    def __enter__(self):
        self.previous = _core.current_device()
        _core.set_device(self.index)

    def __exit__(self, *exc):
        _core.set_device(self.previous)
