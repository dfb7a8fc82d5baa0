"""`cupy.lib.stride_tricks` for the stand-in: views of device arrays stay device arrays."""

import numpy as _np

from cupy import _core
from cupy._ndarray import ndarray


def _view_of(x):
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    _core._check_device(x)
    return x._a


def as_strided(x, shape=None, strides=None):
    return ndarray._from(_np.lib.stride_tricks.as_strided(_view_of(x), shape, strides), x._dev)


def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    view = _np.lib.stride_tricks.sliding_window_view(
        _view_of(x), window_shape, axis, writeable=writeable
    )
    return ndarray._from(view, x._dev)
