"""`gradcli.cuda.is_available()` and friends, as PyTorch users expect.

gradcli draws every random number (initialisers, dropout, randn on any device) from the one
generator `gradcli.manual_seed` seeds, so `cuda.manual_seed` has nothing of its own to seed.
"""

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


def manual_seed(seed: int) -> None:
    """Accepted for scripts that call it; see the module docstring (use gradcli.manual_seed)."""


manual_seed_all = manual_seed


def _index(device) -> int:
    if device is None:
        return current_device()
    dev = backend.device(device) if not isinstance(device, int) else backend.device("cuda", device)
    if dev.type != "cuda":
        raise DeviceError(f"gradcli.cuda: expected a CUDA device, got '{dev}'")
    return dev.index
