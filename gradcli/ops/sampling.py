"""Random draws from tensors: multinomial.

The random numbers come from gradcli's generator (`manual_seed`), drawn on the CPU and moved to
the input's device, so a seed gives the same draws on numpy and CuPy. They are not PyTorch's
draws: the same seed in PyTorch picks other samples (with the same distribution).
"""

from __future__ import annotations

import numpy as np

from gradcli.autograd import tensor as _tensor
from gradcli.backend import device_of, get_array_module, to_device
from gradcli.errors import ShapeError


def _check(p, num_samples, replacement):
    if p.dtype.kind != "f":
        raise TypeError(
            f"multinomial only supports floating-point dtypes for input, got {p.dtype}; "
            "convert the weights with .float()"
        )
    if p.ndim not in (1, 2):
        raise ShapeError(
            f"multinomial: expected 1-D or 2-D weights (categories last), got shape "
            f"{tuple(p.shape)}"
        )
    n = p.shape[-1]
    if num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {num_samples}")
    if not replacement and num_samples > n:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} samples from {n} categories without "
            "replacement; pass replacement=True or fewer samples"
        )
    xp = get_array_module(p)
    if not bool(xp.isfinite(p).all()) or bool((p < 0).any()):
        raise ValueError(
            "multinomial: the weights contain inf, nan or a negative value; they must be "
            "finite and >= 0"
        )
    if n == 0 or bool((p.sum(axis=-1) <= 0).any()):
        raise ValueError(
            "multinomial: invalid distribution (a row of weights sums to 0); give every row "
            "at least one positive weight"
        )


def multinomial(x, num_samples, replacement=False, *, generator=None):
    """Draw `num_samples` category indices (int64) per row of non-negative weights `x`
    (1-D, or 2-D with one distribution per row); weights need not sum to 1."""
    from gradcli import factories  # factories imports the Tensor, which imports the ops

    p = x._data
    _check(p, num_samples, replacement)
    gen = generator if generator is not None else factories.default_generator()
    xp = get_array_module(p)
    rows = p.reshape(-1, p.shape[-1]).astype(np.float64)
    r, n = rows.shape
    dev = device_of(p)
    if replacement:
        # inverse CDF: each uniform draw u < 1 picks the first category whose CDF exceeds it
        # (zero weights never: their CDF equals the one before); the last entry is exactly 1
        cdf = xp.cumsum(rows, axis=1)
        cdf /= cdf[:, -1:]
        cdf[:, -1] = 1.0
        u = to_device(gen.random((r, num_samples)), dev)
        idx = xp.stack([xp.searchsorted(cdf[i], u[i], side="right") for i in range(r)])
    else:
        # Without replacement: the k smallest of E_i / w_i (E_i exponential) are a draw of k
        # categories one after another, each in proportion to its weight among those left.
        e = to_device(gen.standard_exponential((r, n)), dev)
        keys = xp.where(rows > 0, e / xp.where(rows > 0, rows, 1), np.inf)
        idx = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64, copy=False)
    return _tensor.Tensor._make(idx.reshape(*p.shape[:-1], num_samples))
