"""NCCL all-reduce of device buffers through CuPy; MPI only starts the ranks and exchanges the
NCCL id (`pip install 'gradcli[cuda12,mpi]'`).

Not yet run on GPUs (none were available when it was written): the control flow is the MPI
world's, which the test suite runs; `make gpu-check` is where this file gets exercised.
"""

from __future__ import annotations

from gradcli.distributed.mpi import MPIWorld
from gradcli.errors import DeviceError


class NcclWorld(MPIWorld):
    backend = "nccl"

    def __init__(self, world, device):
        self.__dict__.update(world.__dict__)  # the MPI world's communicator and ranks
        if device is None or device.type != "cuda":
            raise DeviceError("distributed.backend nccl needs device: cuda")
        try:
            import cupy
            from cupy.cuda import nccl
        except ImportError as e:
            raise DeviceError(
                f"distributed.backend nccl needs CuPy with NCCL ({e}); "
                "install the extra: pip install 'gradcli[cuda12,mpi]'"
            ) from None
        self._cupy, self._nccl = cupy, nccl
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = self.comm.bcast(uid, root=0)
        with cupy.cuda.Device(device.index or 0):
            self._nccl_comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self._types = {
            "float32": nccl.NCCL_FLOAT32,
            "float64": nccl.NCCL_FLOAT64,
            "float16": nccl.NCCL_FLOAT16,
            "int64": nccl.NCCL_INT64,  # batch norm's num_batches_tracked, broadcast at start
            "int32": nccl.NCCL_INT32,
        }

    def allreduce_(self, array) -> None:
        if not isinstance(array, self._cupy.ndarray):
            return super().allreduce_(array)
        stream = self._cupy.cuda.get_current_stream()
        self._nccl_comm.allReduce(
            array.data.ptr, array.data.ptr, array.size,
            self._types[array.dtype.name], self._nccl.NCCL_SUM, stream.ptr,
        )  # fmt: skip

    def broadcast_(self, array) -> None:
        if not isinstance(array, self._cupy.ndarray):
            return super().broadcast_(array)
        stream = self._cupy.cuda.get_current_stream()
        self._nccl_comm.bcast(
            array.data.ptr, array.size, self._types[array.dtype.name], 0, stream.ptr
        )
