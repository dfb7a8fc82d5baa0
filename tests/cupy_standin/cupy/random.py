"""`cupy.random` for the stand-in: arrays drawn on the host by numpy, then on the device."""

import numpy as _np

from cupy._core import wrap

_rng = _np.random.default_rng(0)


def seed(seed=None):
    global _rng
    _rng = _np.random.default_rng(seed)


def rand(*shape, dtype=float):
    return wrap(_rng.random(shape).astype(dtype))


def randn(*shape, dtype=float):
    return wrap(_rng.standard_normal(shape).astype(dtype))


def random(size=None, dtype=float):
    return wrap(_np.asarray(_rng.random(size)).astype(dtype))


def randint(low, high=None, size=None, dtype=int):
    return wrap(_np.asarray(_rng.integers(low, high, size)).astype(dtype))
