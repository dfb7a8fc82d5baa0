"""Tensor methods for the ops of `ops/unary.py` and `ops/composite.py` (`x.log1p()`,
`x.amax(1)`, ...): each the module-level function with the tensor as its first argument."""

from __future__ import annotations

from gradcli.ops import composite as _c
from gradcli.ops import unary as _u


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


class TensorMore:
    __slots__ = ()

    log1p, expm1, square, reciprocal = map(_method, (_u.log1p, _u.expm1, _u.square, _u.reciprocal))
    rsqrt, erf, atan2 = map(_method, (_u.rsqrt, _u.erf, _u.atan2))
    floor, ceil, round, trunc, sign = map(_method, (_u.floor, _u.ceil, _u.round, _u.trunc, _u.sign))
    isnan, isinf, isfinite, logical_not = map(
        _method, (_u.isnan, _u.isinf, _u.isfinite, _u.logical_not)
    )
    logical_and, logical_or, logical_xor = map(
        _method, (_u.logical_and, _u.logical_or, _u.logical_xor)
    )
    amax, amin, logsumexp, prod = map(_method, (_c.amax, _c.amin, _c.logsumexp, _c.prod))
    bmm, flip, index_select, narrow = map(_method, (_c.bmm, _c.flip, _c.index_select, _c.narrow))
    outer, dot, lerp, trace = map(_method, (_c.outer, _c.dot, _c.lerp, _c.trace))
    masked_select, nonzero = _method(_c.masked_select), _method(_c.nonzero)
    clamp_min, clamp_max = _method(_c.clamp_min), _method(_c.clamp_max)
