"""The MPI world, through mpi4py (`pip install 'gradcli[mpi]'` brings mpi4py and MPICH).

Buffers are numpy arrays reduced in place (`MPI.IN_PLACE`), one call per gradient bucket.
"""

from __future__ import annotations

import numpy as np

from gradcli import threads
from gradcli.distributed.world import World
from gradcli.errors import GradcliError


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise GradcliError(
            f"several processes were launched but mpi4py cannot be imported ({e}); "
            "install the extra: pip install 'gradcli[mpi]'"
        ) from None
    return MPI


class MPIWorld(World):
    backend = "mpi"

    def __init__(self):
        MPI = _mpi()
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        node = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = node.Get_rank(), node.Get_size()
        node.Free()
        threads.share(self.local_size)  # K ranks of K BLAS threads would spin

    def allreduce_(self, array) -> None:
        self.comm.Allreduce(self._MPI.IN_PLACE, array, op=self._MPI.SUM)

    def allreduce_host(self, values) -> np.ndarray:
        out = np.array(values, dtype=np.float64)
        self.comm.Allreduce(self._MPI.IN_PLACE, out, op=self._MPI.SUM)
        return out

    def broadcast_(self, array) -> None:
        self.comm.Bcast(array, root=0)

    def allgather(self, obj) -> list:
        return self.comm.allgather(obj)
