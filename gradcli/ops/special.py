"""Special functions on raw arrays (numpy or cupy): erf, for the exact GELU.

NumPy has no erf (and SciPy is not a dependency), so erf is two Chebyshev series fitted once,
at import, to math.erf: erf(x)/x as a series in x^2 on [0, 2], and erfc(x) e^(x^2) x as a
series in 4/x^2 on [2, 6] (beyond 6, erf is 1 in double precision). Both are accurate to a
few ulps in float64, so float64 finite-difference checks of GELU see the exact derivative.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as _cheb

from gradcli.backend import get_array_module

_ERF_SPLIT, _ERF_END, _ERF_DEG = 2.0, 6.0, 16
_ERF_LO = (_ERF_SPLIT / _ERF_END) ** 2


def _fit_erf():
    n = 200
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    x = np.sqrt((t + 1) * _ERF_SPLIT**2 / 2)
    y = [math.erf(v) / v for v in x]
    small = _cheb.chebfit(t, y, _ERF_DEG)
    s = _ERF_LO + (t + 1) * (1 - _ERF_LO) / 2
    x = _ERF_SPLIT / np.sqrt(s)
    y = [math.erfc(v) * math.exp(v * v) * v for v in x]
    big = _cheb.chebfit(t, y, _ERF_DEG)
    return small.tolist(), big.tolist()


_ERF_SMALL, _ERF_BIG = _fit_erf()


def _trim(coeffs, dtype):
    # float32 needs far fewer terms: drop those below its resolution
    tol = float(np.finfo(dtype).eps) * 1e-2
    n = len(coeffs)
    while n > 1 and abs(coeffs[n - 1]) < tol:
        n -= 1
    return coeffs[:n]


def _clenshaw(t, coeffs):
    """sum_k c_k T_k(t), with three rotating buffers instead of temporaries per term."""
    xp = get_array_module(t)
    two_t = t + t
    b0, b1, b2 = xp.empty_like(t), xp.zeros_like(t), xp.zeros_like(t)
    for c in reversed(coeffs[1:]):
        xp.multiply(two_t, b1, out=b0)
        b0 -= b2
        b0 += c
        b0, b1, b2 = b2, b0, b1
    xp.multiply(t, b1, out=b0)
    b0 -= b2
    b0 += coeffs[0]
    return b0


def erf(x):
    """The error function of a float array (numpy or cupy), to a few ulps."""
    xp = get_array_module(x)
    a = xp.abs(x)
    small = xp.minimum(a, _ERF_SPLIT)
    u = small * small
    u *= 2 / _ERF_SPLIT**2
    u -= 1
    y = _clenshaw(u, _trim(_ERF_SMALL, x.dtype))
    y *= small
    far = a > _ERF_SPLIT
    if far.any():  # usually few elements: evaluate the tail series on those only
        big = xp.minimum(a[far], _ERF_END)
        v = (_ERF_SPLIT * _ERF_SPLIT) / (big * big)
        v -= _ERF_LO
        v *= 2 / (1 - _ERF_LO)
        v -= 1
        y[far] = 1 - _clenshaw(v, _trim(_ERF_BIG, x.dtype)) * xp.exp(-big * big) / big
    return xp.copysign(y, x).astype(x.dtype, copy=False)
