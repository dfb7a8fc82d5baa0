"""A Tensor's dtype and device, casts and moves (`to`, `float()`, `cuda()`), and conversions to
and from Python and NumPy (`item`, `numpy`, `_from_data`)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from gradcli import dtypes
from gradcli.autograd import tensor as _tensor
from gradcli.autograd import tensor_types
from gradcli.backend import CPU, device, device_of, to_device
from gradcli.errors import AutogradError
from gradcli.ops.shape import ToCopy

if TYPE_CHECKING:
    from gradcli.autograd.tensor import Tensor


class TensorConvert:
    __slots__ = ()

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def to(self, *args, **kwargs) -> Tensor:
        """`to(dtype)`, `to(device)`, `to(device, dtype)` or `to(other_tensor)`."""
        dt = kwargs.get("dtype")
        dev = kwargs.get("device")
        for a in args:
            if isinstance(a, _tensor.Tensor):
                dt, dev = a._data.dtype, a.device
            elif isinstance(a, (dtypes.dtype, np.dtype, type)):
                dt = a
            else:
                dev = a
        npdt = dtypes.to_numpy_dtype(dt) if dt is not None else None
        dev = device(dev) if dev is not None else None
        if npdt == self._data.dtype:
            npdt = None
        if dev is not None and dev == self.device:
            dev = None
        if npdt is None and dev is None:
            return self
        return ToCopy.apply(self, dtype=npdt, device=dev)

    def cpu(self) -> Tensor:
        return self.to(CPU)

    def cuda(self, device_index=None) -> Tensor:
        return self.to(device("cuda", device_index))

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def short(self) -> Tensor:
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def get_device(self) -> int:
        """The CUDA device index, or -1 on the CPU."""
        return -1 if self.device.type == "cpu" else self.device.index

    def data_ptr(self) -> int:
        """The address of the first element (equal for tensors that share storage there)."""
        if self.device.type == "cpu":
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def pin_memory(self) -> Tensor:
        """No page-locked memory in gradcli: the tensor itself (a host-to-GPU copy works the
        same, unpinned)."""
        return self

    def is_pinned(self) -> bool:
        return False

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other._data.dtype)

    def type(self, dtype=None, non_blocking=False):
        """`t.type()` is 'torch.FloatTensor'; `t.type(gradcli.DoubleTensor)`,
        `t.type(gradcli.float64)` or `t.type('torch.DoubleTensor')` converts (self when nothing
        changes)."""
        if dtype is None:
            return tensor_types.type_name(self)
        dt, dev = tensor_types.type_target(dtype, self.device)
        return self.to(dev, dt)

    # ---- new tensors with this one's dtype and device (`x.new_zeros(2, 3)`) -------------------

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        if isinstance(data, _tensor.Tensor):
            warnings.warn(
                "new_tensor(tensor) copies it out of the graph; "
                "tensor.detach().clone() says so more plainly",
                UserWarning,
                stacklevel=2,
            )
        array = _from_data(data, dtype or self.dtype, device or self.device)
        return _tensor.Tensor._make(array).requires_grad_(requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self._new_filled(size, 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self._new_filled(size, 1, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self._new_filled(size, None, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return self._new_filled((size,), fill_value, dtype, device, requires_grad)

    def new(self, *args) -> Tensor:
        """PyTorch's legacy `x.new(2, 3)` / `x.new([1, 2])`: `Tensor(...)` in x's dtype and
        device."""
        return tensor_types.legacy_new("new", self.dtype, args, self.device)

    def _new_filled(self, size, value, dtype, device_, requires_grad) -> Tensor:
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])  # new_zeros((2, 3)) as well as new_zeros(2, 3)
        npdt = dtypes.to_numpy_dtype(dtype) if dtype is not None else self._data.dtype
        array = np.empty(size, npdt) if value is None else np.full(size, value, npdt)
        array = to_device(array, self.device if device_ is None else device(device_))
        return _tensor.Tensor._make(array).requires_grad_(requires_grad)

    def item(self):
        if self._data.size != 1:
            raise ValueError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self):
        return to_device(self._data, CPU).tolist()

    def numpy(self) -> np.ndarray:
        if self._requires_grad:
            raise AutogradError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if self.device.type != "cpu":
            raise AutogradError(
                f"can't convert {self.device} tensor to numpy. Use Tensor.cpu() to copy the "
                "tensor to host memory first."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())


def _from_data(data, dtype=None, device_=None):
    """A fresh array from Python data, NumPy/CuPy arrays or Tensors, with PyTorch's defaults."""
    npdt = dtypes.to_numpy_dtype(dtype) if dtype is not None else None
    fresh = False
    if isinstance(data, _tensor.Tensor):
        array = data._data
    elif hasattr(data, "__array_interface__") or hasattr(data, "__cuda_array_interface__"):
        array = data  # keeps its dtype, as in PyTorch
    else:
        array, fresh = np.asarray(data), True
        if npdt is None and array.dtype.kind == "f":
            array = array.astype(dtypes.default_float.np)
        elif npdt is None and array.dtype.kind in "iu":
            array = array.astype(np.int64)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"tensor: cannot build a tensor from {type(data).__name__} data")
    if device_ is not None:
        moved = to_device(array, device(device_))
        fresh, array = fresh or moved is not array, moved
    if npdt is not None and array.dtype != npdt:
        array, fresh = array.astype(npdt), True
    return array if fresh else array.copy()
