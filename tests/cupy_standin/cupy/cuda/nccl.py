"""`cupy.cuda.nccl` for the stand-in: NCCL's collectives carried out by MPI (the ranks of
gradcli's distributed tests are MPI processes) on the memory behind the device pointers the
caller passes, as NCCL reads them: `count` elements of `datatype` from that address."""

from __future__ import annotations

import ctypes
import os

import numpy as np

from cupy import _core

NCCL_INT32, NCCL_INT64, NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 2, 4, 6, 7, 8
NCCL_SUM = 0
_DTYPES = {NCCL_INT32: np.int32, NCCL_INT64: np.int64, NCCL_FLOAT16: np.float16,
           NCCL_FLOAT32: np.float32, NCCL_FLOAT64: np.float64}  # fmt: skip


def get_unique_id() -> tuple:
    return tuple(os.urandom(128))


def _at(ptr: int, count: int, datatype: int) -> np.ndarray:
    dtype = np.dtype(_DTYPES[datatype])
    return np.frombuffer((ctypes.c_char * (count * dtype.itemsize)).from_address(ptr), dtype)


class NcclCommunicator:
    def __init__(self, ndev: int, commId: tuple, rank: int):
        from mpi4py import MPI

        self._mpi, self._comm = MPI, MPI.COMM_WORLD
        if (self._comm.Get_size(), self._comm.Get_rank()) != (ndev, rank):
            raise RuntimeError("NCCL stand-in: ranks must be the MPI world's")
        self.device_id = _core.current_device()

    def _check_device(self):
        if _core.current_device() != self.device_id:
            raise RuntimeError(
                f"NCCL error: the communicator is on device {self.device_id}, "
                f"the current device is {_core.current_device()}"
            )

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        self._check_device()
        if op != NCCL_SUM:
            raise NotImplementedError("NCCL stand-in: only NCCL_SUM")
        recv = _at(recvbuf, count, datatype)
        send = self._mpi.IN_PLACE if sendbuf == recvbuf else _at(sendbuf, count, datatype)
        self._comm.Allreduce(send, recv, op=self._mpi.SUM)

    def bcast(self, buff, count, datatype, root, stream):
        self._check_device()
        self._comm.Bcast(_at(buff, count, datatype), root=root)

    def destroy(self):
        pass
