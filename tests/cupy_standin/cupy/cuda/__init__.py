"""`cupy.cuda` for the stand-in: devices, streams, events and memory pools that keep CuPy's
shape (context managers, synchronize) and do nothing on the host but bookkeeping."""

from __future__ import annotations

import threading
import time

from cupy import _core
from cupy.cuda import memory, runtime
from cupy.cuda.memory import MemoryPointer, MemoryPool, PinnedMemoryPool, set_allocator

_local = threading.local()


def is_available() -> bool:
    return _core.device_count > 0


class Device:
    """`with cupy.cuda.Device(1): ...` makes device 1 current inside the block."""

    def __init__(self, device=None):
        self.id = _core.current_device() if device is None else int(device)

    def __enter__(self):
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        stack.append(_core.current_device())
        _core.set_device(self.id)
        return self

    def __exit__(self, *exc):
        _core.set_device(_local.stack.pop())

    def use(self):
        _core.set_device(self.id)

    def synchronize(self):
        if not 0 <= self.id < _core.device_count:
            raise runtime.CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    @property
    def compute_capability(self) -> str:
        return "90"

    @property
    def mem_info(self):
        return runtime.memGetInfo()

    def __int__(self):
        return self.id

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    """A stream: ordering is trivially kept (every 'kernel' has finished when it returns)."""

    null = None  # set below
    _ptr = 0

    def __init__(self, null=False, non_blocking=False, ptds=False):
        Stream._ptr += 1
        self.ptr = 0 if null else Stream._ptr
        self.device_id = _core.current_device()

    def __enter__(self):
        stack = getattr(_local, "streams", None)
        if stack is None:
            stack = _local.streams = []
        stack.append(get_current_stream())
        _local.current_stream = self
        return self

    def __exit__(self, *exc):
        _local.current_stream = _local.streams.pop()

    def use(self):
        _local.current_stream = self
        return self

    def synchronize(self):
        pass

    def record(self, event=None):
        event = event or Event()
        event.record(self)
        return event

    def wait_event(self, event):
        pass

    @property
    def done(self):
        return True


Stream.null = Stream(null=True)


def get_current_stream(device_id=None):
    return getattr(_local, "current_stream", None) or Stream.null


class Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.time = None

    def record(self, stream=None):
        self.time = time.perf_counter()

    def synchronize(self):
        pass

    @property
    def done(self):
        return True


def get_elapsed_time(start_event, end_event) -> float:
    """Milliseconds between two recorded events."""
    return (end_event.time - start_event.time) * 1e3


__all__ = ["Device", "Event", "MemoryPointer", "MemoryPool", "PinnedMemoryPool", "Stream",
           "get_current_stream", "get_elapsed_time", "is_available", "memory", "runtime",
           "set_allocator"]  # fmt: skip
