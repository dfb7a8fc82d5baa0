"""`repr` of a tensor in PyTorch's style: `tensor([[1., 2.]], requires_grad=True)`."""

from __future__ import annotations

import numpy as np

from gradcli import dtypes
from gradcli.backend import CPU, to_device


def format_tensor(t) -> str:
    a = to_device(t._data, CPU)
    # PyTorch wraps at 80 columns less one per nesting level; numpy counts the brackets and
    # the trailing comma differently, and fits the same number of elements per line at 79 + ndim
    opts = {"separator": ", ", "prefix": "tensor(", "max_line_width": 79 + a.ndim}
    if a.dtype.kind == "f" and a.size:
        opts["formatter"] = {"float_kind": _float_formatter(a[np.isfinite(a)])}
    elif a.dtype.kind == "b" and a.size:
        # numpy pads True to False's width even when no False is there; PyTorch does not
        width = 5 if not a.all() and a.any() else 0
        opts["formatter"] = {"bool": lambda v: str(bool(v)).rjust(width)}
    body = np.array2string(a, **opts)
    if a.size > 1000:  # summarised: PyTorch's elision is " ..." after the separator
        body = body.replace(", ...", ",  ...")
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if a.size == 0 and a.ndim != 1:
        extras.append(f"size={tuple(a.shape)}")
    # the default float dtype is never shown; int64 and bool only when no value shows them
    implied = (dtypes.default_float.np,) + ((np.int64, np.bool_) if a.size else ())
    if a.dtype not in implied:
        extras.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _float_formatter(finite):
    """PyTorch's look: `1.` for whole numbers, else 4 decimals (or 4-digit scientific), aligned."""
    if not finite.size:
        return str
    lo, hi = float(finite.min()), float(finite.max())
    nonzero = np.abs(finite[finite != 0]).astype(np.float64)
    whole = bool(np.all(finite == np.round(finite)))
    spec = ".0f" if whole else ".4f"
    if nonzero.size:
        small, big = nonzero.min(), nonzero.max()
        # scientific when the values span more than 3 decades, are huge, or (not whole) tiny
        if big / small > 1000 or big > 1e8 or (not whole and small < 1e-4):
            spec = ".4e"

    def text(v):
        return format(v, spec) + ("." if spec == ".0f" else "") if np.isfinite(v) else str(v)

    width = max(len(text(lo)), len(text(hi)))  # the widest values are at the extremes
    return lambda v: text(v).rjust(width)
