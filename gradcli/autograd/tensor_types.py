"""PyTorch's older tensor API: the typed classes (`FloatTensor`, `LongTensor`, ...), the legacy
constructor they share with `Tensor(...)`, and the type names of `Tensor.type()`.

A typed class is not a subclass of Tensor (as in PyTorch): calling it builds a plain Tensor of
its dtype, and `isinstance(t, FloatTensor)` asks whether `t` is a float32 tensor on its device
type, which is what scripts that branch on it mean.

>>> FloatTensor(2, 3).shape, FloatTensor([1, 2])
(gradcli.Size([2, 3]), tensor([1., 2.]))
"""

from __future__ import annotations

import warnings

import numpy as np

from gradcli import backend, dtypes
from gradcli.autograd import tensor as _tensor
from gradcli.backend import CPU, device, to_device
from gradcli.errors import DeviceError
from gradcli.ops.shape import View

_NAMES = {
    dtypes.float32: "FloatTensor",
    dtypes.float64: "DoubleTensor",
    dtypes.float16: "HalfTensor",
    dtypes.int64: "LongTensor",
    dtypes.int32: "IntTensor",
    dtypes.int16: "ShortTensor",
    dtypes.int8: "CharTensor",
    dtypes.uint8: "ByteTensor",
    dtypes.bool_: "BoolTensor",
}


class TensorType(type):
    """The metaclass of the typed classes: calling one builds a Tensor of its dtype."""

    dtype: dtypes.dtype
    is_cuda: bool

    def __call__(cls, *args, device=None):
        dev = _device_for(cls, device)
        return legacy_new(cls.__name__, cls.dtype, args, dev)

    def __instancecheck__(cls, obj):
        return (
            isinstance(obj, _tensor.Tensor)
            and obj._data.dtype == cls.dtype.np
            and obj.device.type == ("cuda" if cls.is_cuda else "cpu")
        )


def _device_for(cls, requested):
    kind = "cuda" if cls.is_cuda else "cpu"
    dev = device(requested) if requested is not None else device(kind)
    if dev.type != kind:
        where = "gradcli.cuda." if dev.type == "cuda" else "gradcli."
        raise DeviceError(
            f"{cls.__name__} makes {kind} tensors but device '{dev}' was passed; use "
            f"{where}{cls.__name__}, or gradcli.tensor(data, device=...)"
        )
    return dev


def _make_types(is_cuda: bool) -> dict:
    module = "gradcli.cuda" if is_cuda else "gradcli"
    return {
        name: TensorType(name, (), {"dtype": dt, "is_cuda": is_cuda, "__module__": module})
        for dt, name in _NAMES.items()
    }


CPU_TYPES = _make_types(False)
CUDA_TYPES = _make_types(True)
(
    FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
    ByteTensor, BoolTensor,
) = CPU_TYPES.values()  # fmt: skip


def legacy_new(op: str, dtype, args: tuple, dev: device | None):
    """`Tensor(*args)` / `FloatTensor(*args)`: sizes give an uninitialised tensor, one sequence,
    array or tensor gives data, nothing gives an empty 1-d tensor. `dtype` None is `Tensor`'s:
    the default float for new data, a tensor's own dtype for a tensor."""
    Tensor = _tensor.Tensor
    if len(args) == 1 and isinstance(args[0], Tensor):
        return _alias(op, dtype, args[0], dev)
    npdt = (dtype or dtypes.default_float).np
    if not args or _is_sizes(args):
        sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], _tensor.Size) else args
        sizes = tuple(int(s) for s in sizes)
        if any(s < 0 for s in sizes):
            raise ValueError(f"{op}: negative size in {list(sizes)}; sizes must be >= 0")
        array = np.empty(sizes if args else (0,), npdt)
    elif len(args) == 1 and _is_data(args[0]):
        array = args[0]
        if not hasattr(array, "__cuda_array_interface__"):
            array = np.asarray(array)  # an array of the right dtype is shared, as in PyTorch
        if array.dtype.kind not in "fiub":
            raise TypeError(f"{op}: cannot build a tensor from {array.dtype} data")
        array = array.astype(npdt, copy=False)
    else:
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(
            f"{op}() takes sizes (ints) or one sequence, array or tensor of data, got ({got}); "
            "for other options use gradcli.tensor(data, dtype=...)"
        )
    if dev is not None:
        array = to_device(array, dev)
    return Tensor._make(array)


def _is_sizes(args) -> bool:
    if len(args) == 1 and isinstance(args[0], _tensor.Size):
        return True
    return all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args)


def _is_data(x) -> bool:
    array_like = hasattr(x, "__array_interface__") or hasattr(x, "__cuda_array_interface__")
    return isinstance(x, (list, tuple)) or (array_like and not isinstance(x, np.generic))


def _alias(op, dtype, t, dev):
    """`Tensor(t)`: the same storage and version counter (in the graph, when t is in one)."""
    if dtype is not None and t._data.dtype != dtype.np:
        raise TypeError(
            f"{op}: expected a {dtype.name} tensor, got {t.dtype}; convert it first with "
            f".to(gradcli.{dtype.name}) or .type('torch.{_NAMES[dtype]}')"
        )
    if dev is not None and dev != t.device:
        raise DeviceError(f"{op}: the tensor is on {t.device}, not {dev}; move it with .to()")
    return View.apply(t, shape=t._data.shape) if t._requires_grad else t.detach()


def type_name(t) -> str:
    """'torch.FloatTensor' or 'torch.cuda.FloatTensor': what `Tensor.type()` answers."""
    prefix = "torch.cuda." if t.device.type == "cuda" else "torch."
    return prefix + _NAMES[t.dtype]


def type_target(spec, current: device):
    """(dtype, device) for `Tensor.type(spec)`: a typed class, a dtype or a name such as
    'torch.DoubleTensor' or 'torch.cuda.FloatTensor'."""
    if isinstance(spec, TensorType):
        return spec.dtype, _kind_device(spec.is_cuda, current)
    if isinstance(spec, dtypes.dtype):
        return spec, current
    if isinstance(spec, str):
        for prefix in ("torch.", "gradcli."):
            name = spec.removeprefix(prefix)
            if name != spec:
                is_cuda = name.startswith("cuda.")
                found = (CUDA_TYPES if is_cuda else CPU_TYPES).get(name.removeprefix("cuda."))
                if found is not None:
                    return found.dtype, _kind_device(is_cuda, current)
    names = ", ".join(f"'torch.{n}'" for n in _NAMES.values())
    raise ValueError(f"type(): invalid type {spec!r}; expected a dtype, a tensor type or {names}")


def _kind_device(is_cuda: bool, current: device) -> device:
    if is_cuda:
        return current if current.type == "cuda" else device("cuda", 0)
    return CPU


def set_default_tensor_type(t) -> None:
    """`set_default_tensor_type(torch.DoubleTensor)` or `('torch.cuda.FloatTensor')`: the default
    dtype and device in one call, as older scripts set them (deprecated since PyTorch 2.1)."""
    warnings.warn(
        "set_default_tensor_type() is deprecated (as in PyTorch 2.1); use "
        "gradcli.set_default_dtype() and gradcli.set_default_device()",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(t, dtypes.dtype):
        raise TypeError(
            f"set_default_tensor_type: expected a tensor type such as gradcli.DoubleTensor, got "
            f"the dtype {t}; use gradcli.set_default_dtype({t})"
        )
    dt, dev = type_target(t, CPU)
    if not dt.is_floating_point:
        raise TypeError(
            f"set_default_tensor_type: only floating point types can be the default, got {t!r}"
        )
    backend.set_default_device(dev)  # first: it may fail (no GPU), leaving both unchanged
    dtypes.set_default_dtype(dt)
