"""gradcli dtypes: thin named wrappers around numpy dtypes (`gradcli.float32`)."""

from __future__ import annotations

import numpy as np


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name: str):
        self.name = name
        self.np = np.dtype(name)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"gradcli.{self.name}"

    def __eq__(self, other):
        return isinstance(other, dtype) and other.np == self.np

    def __hash__(self):
        return hash(self.np)

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = dtype("float16")
float32 = dtype("float32")
float64 = dtype("float64")
int8 = dtype("int8")
uint8 = dtype("uint8")
int16 = dtype("int16")
int32 = dtype("int32")
int64 = dtype("int64")
bool_ = dtype("bool")

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool_)
_BY_NP = {d.np: d for d in _ALL}
_ALIASES = {"float": float32, "half": float16, "double": float64, "long": int64, "int": int32}


def _by_name(name: str) -> dtype:
    return {d.name: d for d in _ALL}[name]


def from_numpy_dtype(npdtype) -> dtype:
    try:
        return _BY_NP[np.dtype(npdtype)]
    except KeyError:
        raise TypeError(f"unsupported dtype {np.dtype(npdtype)}") from None


def to_numpy_dtype(d) -> np.dtype:
    """Accept a gradcli dtype, a numpy dtype or a name ('float32', 'float', 'long')."""
    if isinstance(d, dtype):
        return d.np
    if isinstance(d, str) and d in _ALIASES:
        return _ALIASES[d].np
    if d is bool:
        return np.dtype(bool)
    return np.dtype(d)


default_float = float32  # what float data and float factories give; set_default_dtype changes it


def get_default_dtype() -> dtype:
    return default_float


def set_default_dtype(d) -> None:
    """`gradcli.set_default_dtype(gradcli.float64)`: floats from Python data, float factories
    and `Tensor(...)` become float64. Only floating point dtypes, as in PyTorch."""
    global default_float
    new = d if isinstance(d, dtype) else from_numpy_dtype(to_numpy_dtype(d))
    if not new.is_floating_point:
        raise TypeError(
            f"set_default_dtype: only floating point dtypes can be the default, got {new}; "
            "use gradcli.float32, float64 or float16"
        )
    default_float = new
