"""`gradcli.cuda.is_available()` and friends, as PyTorch users expect."""

from gradcli import backend


def is_available() -> bool:
    return backend.cuda_available()


def device_count() -> int:
    return backend.require_cupy().cuda.runtime.getDeviceCount() if is_available() else 0
