"""`cupy.cuda.memory` for the stand-in: one pool per process that counts the bytes of live
stand-in arrays; `set_limit` makes allocations past it raise OutOfMemoryError, as CuPy's."""

from cupy import _core
from cupy._core import OutOfMemoryError


class MemoryPointer:
    def __init__(self, ptr: int, device_id: int):
        self.ptr, self.device_id = ptr, device_id

    @property
    def device(self):
        from cupy.cuda import Device

        return Device(self.device_id)

    def __int__(self):
        return self.ptr


class MemoryPool:
    def used_bytes(self) -> int:
        return _core.pool.used

    def total_bytes(self) -> int:
        return max(_core.pool.held, _core.pool.used)

    def free_bytes(self) -> int:
        return self.total_bytes() - self.used_bytes()

    def free_all_blocks(self, stream=None) -> None:
        _core.pool.held = _core.pool.used

    def n_free_blocks(self) -> int:
        return 0

    def set_limit(self, size=None, fraction=None) -> None:
        if fraction is not None:
            size = int(fraction * (16 << 30))
        _core.pool.limit = int(size or 0)

    def get_limit(self) -> int:
        return _core.pool.limit


class PinnedMemoryPool:
    def free_all_blocks(self) -> None:
        pass

    def n_free_blocks(self) -> int:
        return 0


def set_allocator(allocator=None) -> None:
    pass


_default_pool = MemoryPool()
_default_pinned_pool = PinnedMemoryPool()

__all__ = ["MemoryPointer", "MemoryPool", "OutOfMemoryError", "PinnedMemoryPool", "set_allocator"]
