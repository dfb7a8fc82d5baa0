"""`cupy.cuda.runtime` for the stand-in: the CUDA runtime calls gradcli makes."""

from cupy import _core
from cupy._core import CUDARuntimeError

is_hip = False
_TOTAL = 16 << 30  # what the pretend GPU has


def getDeviceCount() -> int:
    return _core.device_count


def getDevice() -> int:
    return _core.current_device()


def setDevice(device: int) -> None:
    _core.set_device(device)


def _check(device):
    if not 0 <= int(device) < _core.device_count:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")


def getDeviceProperties(device: int) -> dict:
    _check(device)
    return {"name": b"CuPy stand-in (numpy)", "totalGlobalMem": _TOTAL, "major": 9,
            "minor": 0, "multiProcessorCount": 1, "pciBusID": device}  # fmt: skip


def memGetInfo():
    """(free, total) bytes of the current device."""
    return _TOTAL - _core.pool.used, _TOTAL


def deviceSynchronize() -> None:
    pass


def runtimeGetVersion() -> int:
    return 12080


def driverGetVersion() -> int:
    return 12080


__all__ = ["CUDARuntimeError", "deviceSynchronize", "driverGetVersion", "getDevice",
           "getDeviceCount", "getDeviceProperties", "is_hip", "memGetInfo",
           "runtimeGetVersion", "setDevice"]  # fmt: skip
