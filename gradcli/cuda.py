"""`gradcli.cuda.is_available()` and friends, as PyTorch users expect.

gradcli draws every random number (initialisers, dropout, randn on any device) from the one
generator `gradcli.manual_seed` seeds, so `cuda.manual_seed` has nothing of its own to seed.
"""

import numpy as np

from gradcli import backend
from gradcli.autograd.tensor_types import CUDA_TYPES
from gradcli.errors import DeviceError

# gradcli.cuda.FloatTensor(2, 3) and friends: the typed classes for CUDA tensors
(
    FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
    ByteTensor, BoolTensor,
) = CUDA_TYPES.values()  # fmt: skip


def is_available() -> bool:
    return backend.cuda_available()


def device_count() -> int:
    return backend.require_cupy().cuda.runtime.getDeviceCount() if is_available() else 0


def current_device() -> int:
    return backend.require_cupy().cuda.runtime.getDevice()


def get_device_name(device=None) -> str:
    index = _index(device)
    props = backend.require_cupy().cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None) -> None:
    """Wait for the GPU's queued work; nothing to wait for without one (PyTorch would raise)."""
    if is_available():
        with backend.require_cupy().cuda.Device(_index(device)) as d:
            d.synchronize()


def empty_cache() -> None:
    """Return the memory CuPy's pool holds but does not use to the GPU."""
    if is_available():
        backend.require_cupy().get_default_memory_pool().free_all_blocks()


def set_device(device) -> None:
    """The GPU gradcli computes on from now on, as `torch.cuda.set_device(local_rank)`."""
    backend.to_device(np.zeros(0, np.float32), _cuda_device(device))


def memory_allocated(device=None) -> int:
    """Bytes the device's arrays occupy (CuPy's memory pool); 0 without a GPU."""
    return _memory(device, "used")


def memory_reserved(device=None) -> int:
    """Bytes CuPy's pool holds on the device, in use or cached for reuse; 0 without a GPU."""
    return _memory(device, "held")


def mem_get_info(device=None) -> tuple[int, int]:
    """(free, total) bytes of the device, as the driver reports them."""
    info = backend.memory_info(_cuda_device(device))
    return info["free"], info["total"]


def manual_seed(seed: int) -> None:
    """Accepted for scripts that call it; see the module docstring (use gradcli.manual_seed)."""


manual_seed_all = manual_seed


def _memory(device, key) -> int:
    if not is_available():
        return 0
    return backend.memory_info(_cuda_device(device))[key]


def _cuda_device(device) -> backend.device:
    return backend.device("cuda", _index(device))


def _index(device) -> int:
    if device is None:
        return current_device()
    dev = backend.device(device) if not isinstance(device, int) else backend.device("cuda", device)
    if dev.type != "cuda":
        raise DeviceError(f"gradcli.cuda: expected a CUDA device, got '{dev}'")
    return dev.index
