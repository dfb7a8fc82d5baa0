"""Array backends: numpy on the CPU, CuPy on NVIDIA GPUs.

Every kernel is written once against `xp = get_array_module(array)`. This is the only module
that imports cupy, and it does so only when a CUDA device is asked for.
"""

from __future__ import annotations

import numpy as np

from gradcli.errors import DeviceError

_cupy = None
_cupy_error: str | None = None  # why cupy could not be used, kept to explain later


def _load_cupy():
    """Import cupy on first use and remember why it failed, if it did."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("CUDA reports no GPU")
            _cupy = cupy
        except Exception as e:  # ImportError, CUDARuntimeError, missing driver ...
            _cupy_error = f"{type(e).__name__}: {e}".strip()
    return _cupy


def cuda_available() -> bool:
    return _load_cupy() is not None


def cupy_installed() -> bool:
    """Whether CuPy can be imported (without importing it): PyTorch's 'built with CUDA'."""
    import importlib.util

    return _cupy is not None or importlib.util.find_spec("cupy") is not None


def require_cupy():
    cp = _load_cupy()
    if cp is None:
        raise DeviceError(
            f"CUDA device requested but it cannot be used ({_cupy_error}). "
            "Install the GPU extra (pip install 'gradcli[cuda12]' or 'gradcli[cuda13]') "
            "on a machine with an NVIDIA GPU, or use device 'cpu'."
        )
    return cp


def get_array_module(array):
    """numpy or cupy, whichever owns `array`; never imports cupy for numpy arrays."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def scatter_add(target, key, values) -> None:
    """`target[key] += values`, adding up repeated indices."""
    if _cupy is not None and isinstance(target, _cupy.ndarray):
        import cupyx

        cupyx.scatter_add(target, key, values)
    else:
        np.add.at(target, key, values)


def as_array(value):
    """NumPy ufuncs return scalars for 0-d inputs; the engine always wants arrays."""
    return np.asarray(value) if isinstance(value, np.generic) else value


class device:
    """A device, as in PyTorch: `device('cpu')`, `device('cuda:0')`, `device('cuda', 1)`."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index: int | None = None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index if index is None else index
        spec = str(spec).strip().lower()
        if ":" in spec:
            spec, _, idx = spec.partition(":")
            if not idx.isdigit():
                raise DeviceError(f"invalid device '{spec}:{idx}': expected 'cuda:N' with N >= 0")
            index = int(idx)
        if spec not in ("cpu", "cuda"):
            raise DeviceError(f"unknown device '{spec}': expected 'cpu', 'cuda' or 'cuda:N'")
        if spec == "cpu" and index not in (None, 0):
            raise DeviceError("device 'cpu' takes no index")
        self.type = spec
        self.index = None if spec == "cpu" else (index or 0)

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")
_default = CPU  # where factories put a tensor when no device is given


def get_default_device() -> device:
    return _default


def set_default_device(spec) -> None:
    """`gradcli.set_default_device('cuda')`: factories and new layers then allocate there.
    A CUDA device is checked now (as PyTorch does), so a missing GPU fails here, once."""
    global _default
    dev = CPU if spec is None else device(spec)
    if dev.type == "cuda":
        to_device(np.zeros(0, np.float32), dev)  # raises DeviceError when it cannot be used
    _default = dev


def device_of(array) -> device:
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return device("cuda", array.device.id)
    return CPU


def to_device(array, dev: device):
    """Copy `array` to `dev` (no copy when it is already there).

    Moving data to a GPU also makes that GPU CuPy's current device: CuPy runs every kernel on
    the current device and allocates its output there, and an input on another GPU fails
    ("peer access is unavailable") or is read across the bus. gradcli has no per-op device
    switch, so one process computes on one GPU: the one its data went to last (as
    `torch.cuda.set_device` would be called for it).
    """
    if dev.type == "cpu":
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return array
    cp = require_cupy()
    runtime = cp.cuda.runtime
    if dev.index >= runtime.getDeviceCount():
        raise DeviceError(
            f"device '{dev}' does not exist: this machine has "
            f"{runtime.getDeviceCount()} GPU(s) (cuda:0 ...)"
        )
    if runtime.getDevice() != dev.index:
        runtime.setDevice(dev.index)
    if isinstance(array, cp.ndarray) and array.device.id == dev.index:
        return array
    return cp.asarray(array)  # copies from the host, or from another GPU


def memory_info(dev: device) -> dict | None:
    """GPU memory in bytes: what the pool hands out, what it holds, and the device's free/total."""
    if dev.type != "cuda" or _cupy is None:
        return None
    pool = _cupy.get_default_memory_pool()
    with _cupy.cuda.Device(dev.index):
        free, total = _cupy.cuda.runtime.memGetInfo()
    return {"used": pool.used_bytes(), "held": pool.total_bytes(), "free": free, "total": total}


def fits_on_device(nbytes: int, dev: device, fraction: float = 0.5) -> bool:
    """Whether `nbytes` may live on `dev` for a whole run (at most `fraction` of free memory)."""
    info = memory_info(dev)
    return info is not None and nbytes <= fraction * (info["free"] + info["held"] - info["used"])


def is_out_of_memory(error: BaseException) -> bool:
    return _cupy is not None and isinstance(error, _cupy.cuda.memory.OutOfMemoryError)


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of returning it to the OS.

    A training step allocates and frees the same large arrays over and over; by default glibc
    unmaps or trims them each time and the next step page-faults them back in (thousands of
    faults per convolution step). Raising both thresholds removes that cost; the process then
    keeps its peak memory. The CLI calls this; library users may. Returns False where it does
    not apply (not glibc).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    # Both must be set: setting one switches off glibc's self-tuning of the other.
    return bool(mallopt(m_mmap_threshold, 1 << 30)) and bool(mallopt(m_trim_threshold, 1 << 30))


def resolve_device(spec) -> device:
    """Parse a device spec; 'auto' picks the GPU when one is usable."""
    if spec is None:
        return CPU
    if isinstance(spec, str) and spec.strip().lower() == "auto":
        return device("cuda", 0) if cuda_available() else CPU
    return device(spec)
