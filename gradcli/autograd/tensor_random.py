"""In-place random fills of a Tensor, as older scripts initialise their weights
(`w.data.uniform_(-0.1, 0.1)`, `m.weight.data.normal_(0, 0.02)`).

Values are drawn on the CPU from `gradcli.default_generator()` (so `manual_seed` fixes them on
any device), cast to the tensor's dtype and written through `copy_`: the same in-place checks,
version bump and graph rebasing as any other in-place op (the gradient to the old values is 0).
"""

from __future__ import annotations

import numpy as np

from gradcli.autograd import tensor as _tensor
from gradcli.ops.shape import Copy


def _generator(generator):
    from gradcli import factories  # factories builds Tensors: resolved at call time

    return generator if generator is not None else factories.default_generator()


class TensorRandom:
    __slots__ = ()

    def _fill_drawn(self, values):
        values = np.asarray(values).astype(self._data.dtype, copy=False)
        return self._inplace(Copy.apply, _tensor.Tensor._make(values))

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        """Fill with values drawn uniformly from [from_, to)."""
        return self._fill_drawn(_generator(generator).uniform(from_, to, self._data.shape))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return self._fill_drawn(_generator(generator).normal(mean, std, self._data.shape))

    def exponential_(self, lambd=1.0, *, generator=None):
        return self._fill_drawn(_generator(generator).exponential(1 / lambd, self._data.shape))

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 (probability p, a number or a tensor that broadcasts) or 0."""
        p = p._data if isinstance(p, _tensor.Tensor) else p
        draws = _generator(generator).random(self._data.shape)
        return self._fill_drawn(draws < np.asarray(p))

    def random_(self, from_=0, to=None, *, generator=None):
        """Whole numbers in [from_, to); `random_(to)` is [0, to). Without bounds: [0, 2**digits]
        where digits is what the dtype holds exactly (24 for float32), as in PyTorch."""
        if to is None and from_ == 0:
            to = _exact_whole_limit(self._data.dtype)
        elif to is None:
            from_, to = 0, from_
        values = _generator(generator).integers(from_, to, self._data.shape, endpoint=False)
        return self._fill_drawn(values)


def _exact_whole_limit(dtype) -> int:
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1) + 1
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max) + 1
