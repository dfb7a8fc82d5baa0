"""`gradcli.accelerator`: PyTorch's device-agnostic questions ("is there a GPU, which one"),
answered for CUDA, the only accelerator gradcli drives (through CuPy).

>>> device = gradcli.accelerator.current_accelerator() or gradcli.device("cpu")
"""

from __future__ import annotations

from gradcli import backend, cuda
from gradcli.errors import DeviceError


def is_available() -> bool:
    return backend.cuda_available()


def current_accelerator(check_available: bool = False) -> backend.device | None:
    """`device('cuda', 0)` when a usable GPU is there, else None (the answer of a CPU-only
    PyTorch; gradcli cannot tell a CUDA build apart from a working GPU)."""
    return backend.device("cuda", cuda.current_device()) if is_available() else None


def device_count() -> int:
    return cuda.device_count()


def current_device_index() -> int:
    if not is_available():
        raise DeviceError("accelerator: no accelerator is available (no usable CUDA GPU)")
    return cuda.current_device()


def synchronize(device=None) -> None:
    cuda.synchronize(device)
