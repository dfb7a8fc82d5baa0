"""`cupyx` for the stand-in: scatter updates and pinned host arrays."""

import numpy as _np
from cupy import _core
from cupy._ndarray import ndarray

from cupyx import scipy


def _scatter(ufunc, a, slices, value):
    if not isinstance(a, ndarray):
        raise TypeError(f"Unsupported type {type(a)}")
    _core._check_device(a)
    ufunc.at(a._a, _core.index_key(slices), _core.scatter_value(value, a.dtype))


def scatter_add(a, slices, value):
    """`a[slices] += value` where repeated indices add up."""
    _scatter(_np.add, a, slices, value)


def scatter_max(a, slices, value):
    _scatter(_np.maximum, a, slices, value)


def scatter_min(a, slices, value):
    _scatter(_np.minimum, a, slices, value)


def empty_pinned(shape, dtype=float, order="C"):
    return _np.empty(shape, dtype, order)


def zeros_pinned(shape, dtype=float, order="C"):
    return _np.zeros(shape, dtype, order)


def empty_like_pinned(a, dtype=None, order="K", subok=None, shape=None):
    return _np.empty(a.shape if shape is None else shape, dtype or a.dtype)


def zeros_like_pinned(a, dtype=None, order="K", subok=None, shape=None):
    return _np.zeros(a.shape if shape is None else shape, dtype or a.dtype)
