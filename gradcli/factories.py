"""Tensor factories (`zeros`, `randn`, ...) and the global random generator (`manual_seed`)."""

from __future__ import annotations

import numpy as np

from gradcli import backend, dtypes
from gradcli.autograd.tensor import Tensor, _from_data
from gradcli.backend import device as _device
from gradcli.backend import to_device
from gradcli.errors import GradcliError

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random factory, initialiser and dropout mask."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    return _generator


class RNGStateError(GradcliError, ValueError):
    """A random generator state that `get_rng_state()` cannot have returned."""


def get_rng_state() -> dict:
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a `get_rng_state()`; anything else is an RNGStateError, the generator untouched."""
    _generator.bit_generator.state = check_rng_state(state)


def check_rng_state(state) -> dict:
    """`state` if it is a `get_rng_state()` of this generator's kind, else an RNGStateError.

    It is tried on a scratch generator: numpy's own errors (KeyError 'state', OverflowError)
    say nothing about where the state came from, and a half-applied one would be worse.
    """
    kind = type(_generator.bit_generator)
    fields = state.get("state") if isinstance(state, dict) else None
    # numpy truncates floats silently (1.5 -> 1): a state is made of integers only
    if not isinstance(fields, dict) or not all(_integer(v) for v in fields.values()):
        raise RNGStateError(_bad_state(state, kind))
    try:
        kind().state = state
    except (TypeError, ValueError, KeyError, OverflowError) as e:
        raise RNGStateError(
            f"{_bad_state(state, kind)} ({type(e).__name__}: {str(e)[:80]})"
        ) from None
    return state


def _integer(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _bad_state(state, kind) -> str:
    got = type(state).__name__
    if isinstance(state, dict):
        got = f"a dict with keys {', '.join(sorted(str(k)[:20] for k in state)[:6])}"
    return (
        f"set_rng_state: expected a {kind.__name__} state from gradcli.get_rng_state(), got {got}"
    )


def _size(size) -> tuple:
    """Shapes come as ints or one tuple: `randn(4, 3)` and `randn((4, 3))`."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _finish(array, dtype, device, requires_grad) -> Tensor:
    if dtype is not None:
        array = array.astype(dtypes.to_numpy_dtype(dtype), copy=False)
    dev = _device(device) if device is not None else backend.get_default_device()
    array = to_device(array, dev)
    return Tensor._make(array).requires_grad_(requires_grad)


def _float(dtype):
    return dtypes.to_numpy_dtype(dtype) if dtype is not None else dtypes.default_float.np


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor (always a copy): floats default to float32, ints to int64."""
    if device is None and not isinstance(data, Tensor):
        device = backend.get_default_device()
    return Tensor._make(_from_data(data, dtype, device)).requires_grad_(requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (keeps its dtype)."""
    return Tensor._make(array)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_size(size), _float(dtype)), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_size(size), _float(dtype)), None, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.empty(_size(size), _float(dtype)), None, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = _from_data(fill_value).dtype
    size = (size,) if isinstance(size, int) else tuple(size)
    array = np.full(size, fill_value, dtypes.to_numpy_dtype(dtype))
    return _finish(array, None, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = np.int64 if ints else dtypes.default_float.np
    array = np.arange(start, end, step, dtype=dtypes.to_numpy_dtype(dtype))
    return _finish(array, None, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    npdt = _float(dtype)
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if npdt.kind == "b":
        raise TypeError("linspace: a bool dtype is not supported; use an integer or float dtype")
    return _finish(_linspace(start, end, int(steps), npdt), None, device, requires_grad)


def _linspace(start, end, steps, npdt) -> np.ndarray:
    """PyTorch's CPU linspace, bit for bit: the ends are cast to the dtype first (2.7 -> 2 and
    -1 -> 255 for uint8), the step is computed in the dtype (float64 for integers), and each
    point is one fused multiply-add from the nearer end, `fma(step, i, start)` for the first
    half and `fma(-step, steps - 1 - i, end)` for the second; integers then truncate toward
    zero. numpy's linspace rounds differently (last bits of floats, +-1 for integers)."""
    lo, hi = (np.asarray(v).astype(npdt) for v in (start, end))
    if steps <= 1:
        return np.full(steps, lo, npdt)
    if npdt == np.float16:
        return _half_linspace(lo, hi, steps)
    wide = np.float64 if npdt.kind in "iu" or npdt == np.float64 else np.float32
    lo, hi = lo.astype(wide), hi.astype(wide)
    step = ((hi - lo) / wide(steps - 1)).astype(np.float64)
    i = np.arange(steps, dtype=np.float64)
    first = i < steps // 2
    n = np.where(first, i, steps - 1 - i)
    values = _fma(np.where(first, step, -step), n, np.where(first, lo, hi).astype(np.float64))
    return values.astype(npdt)


def _half_linspace(lo, hi, steps) -> np.ndarray:
    """float16 has no fused multiply-add in PyTorch's kernel: every product and sum is rounded
    to half on its own (and the step is the half difference over steps - 1, rounded)."""
    f32 = np.float32
    step = ((hi - lo).astype(f32) / f32(steps - 1)).astype(np.float16)
    i = np.arange(steps)
    first = i < steps // 2
    k = np.where(first, i, steps - 1 - i).astype(f32)
    product = (np.where(first, step, -step).astype(f32) * k).astype(np.float16)
    return (np.where(first, lo, hi).astype(f32) + product.astype(f32)).astype(np.float16)


def _fma(a, b, c) -> np.ndarray:
    """a * b + c rounded once (numpy has no fma): the product's exact error by Dekker's split,
    the sum's by Knuth's two-sum. For float32 inputs the product is exact already."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    v = s - p
    t = (p - (s - v)) + (c - v)
    return s + (t + e)


def _split(x):
    scaled = 134217729.0 * x  # 2**27 + 1: splits a float64 into two 26-bit halves
    hi = scaled - (scaled - x)
    return hi, x - hi


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float(dtype)), None, device, requires_grad)


def _check_float(op, dtype):
    if dtype is not None and dtypes.to_numpy_dtype(dtype).kind != "f":
        raise TypeError(f"{op}: needs a floating point dtype, got {dtype}; use randint for ints")


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    _check_float("randn", dtype)
    gen = generator or _generator
    array = gen.standard_normal(_size(size), dtype=np.float32)
    return _finish(array, _float(dtype), device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    _check_float("rand", dtype)
    gen = generator or _generator
    array = gen.random(_size(size), dtype=np.float32)
    return _finish(array, _float(dtype), device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, generator=None) -> Tensor:
    """`randint(high, size)` or `randint(low, high, size)`: integers in [low, high)."""
    if high is None or isinstance(high, (tuple, list)):
        low, high, size = 0, low, high if high is not None else size
    gen = generator or _generator
    array = gen.integers(low, high, size=_size((size,)), dtype=np.int64)
    return _finish(array, dtype, device, False)


def randperm(n, dtype=None, device=None, generator=None) -> Tensor:
    gen = generator or _generator
    return _finish(gen.permutation(n).astype(np.int64), dtype, device, False)


def _like(t: Tensor, dtype, device):
    return (dtype if dtype is not None else t._data.dtype), (device or t.device)


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return zeros(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return ones(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return empty(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return full(t._data.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return randn(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt, dev = _like(t, dtype, device)
    return rand(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)
