"""`cupyx.scipy.special` for the stand-in: erf and erfc, elementwise on the host."""

import math

import numpy as _np
from cupy import _core


def _elementwise(fn, name):
    def call(x):
        a = _core.operand(x)
        if not isinstance(a, _np.ndarray):
            return fn(a)
        dtype = a.dtype if a.dtype.kind == "f" else _np.float64
        out = _np.fromiter((fn(v) for v in a.ravel().tolist()), dtype, a.size)
        return _core.wrap(out.reshape(a.shape))

    call.__name__ = name
    return call


erf = _elementwise(math.erf, "erf")
erfc = _elementwise(math.erfc, "erfc")
