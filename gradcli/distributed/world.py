"""The processes a run is spread over, and what they do together.

`detect()` looks at the environment the MPI launcher (mpirun, mpiexec, srun) sets for each
process. With one process it returns `SINGLE`, whose collectives do nothing, and nothing of MPI
is imported; only when several processes run is mpi4py loaded (`gradcli.distributed.mpi`).
"""

from __future__ import annotations

import os

import numpy as np

# (world size, rank, rank on this node) as each launcher names them
_LAUNCHERS = (
    ("PMI_SIZE", "PMI_RANK", "MPI_LOCALRANKID"),  # MPICH (hydra), Intel MPI
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK"),  # Open MPI
    ("PMIX_SIZE", "PMIX_RANK", "PMIX_LOCAL_RANK"),
    ("SLURM_STEP_NUM_TASKS", "SLURM_PROCID", "SLURM_LOCALID"),
)


class World:
    """One process alone: rank 0 of 1. The collectives are the identity."""

    rank, size, local_rank, local_size = 0, 1, 0, 1
    backend = "none"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, n: int) -> slice:
        """This rank's rows of a global batch of `n`: contiguous, sizes differing by at most
        one, so concatenating the ranks' slices in rank order gives the batch back."""
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (self.rank < extra))

    def allreduce_(self, array) -> None:
        """Sum `array` over the ranks, in place (a numpy array; a device array for NCCL)."""

    def allreduce_host(self, values) -> np.ndarray:
        """The sum over the ranks of a small float64 host vector (metrics, flags)."""
        return np.asarray(values, dtype=np.float64)

    def broadcast_(self, array) -> None:
        """Overwrite `array` with rank 0's, in place."""

    def allgather(self, obj) -> list:
        """Every rank's small picklable `obj`, in rank order (our own values only)."""
        return [obj]


SINGLE = World()


def launched_size() -> int:
    """How many processes the launcher started (1 when not under one)."""
    for size, _, _ in _LAUNCHERS:
        value = os.environ.get(size)
        if value and value.isdigit():
            return int(value)
    return 1


def detect() -> World:
    """The world this process belongs to; `SINGLE` without a launcher or with one process."""
    if launched_size() <= 1:
        return SINGLE
    from gradcli.distributed.mpi import MPIWorld

    return MPIWorld()


def for_device(world: World, backend: str, device) -> World:
    """The world whose all-reduce suits the device: NCCL for CUDA arrays (`auto` or `nccl`),
    MPI otherwise. Host values (metrics, flags) always go through MPI."""
    if world.size == 1:
        return world
    cuda = device is not None and device.type == "cuda"
    if backend == "nccl" or (backend == "auto" and cuda):
        from gradcli.distributed.nccl import NcclWorld

        return NcclWorld(world, device)
    return world


def job_rank() -> int | None:
    """This process's rank when the launcher started several, else None (read from the
    environment: no MPI is imported to answer)."""
    if launched_size() <= 1:
        return None
    for _, rank, _ in _LAUNCHERS:
        value = os.environ.get(rank)
        if value and value.isdigit():
            return int(value)
    return None


def abort_job(code: int) -> None:
    """End every rank of the job (MPI_Abort): one that failed alone must not leave the rest
    waiting for it in a collective."""
    try:
        from mpi4py import MPI
    except ImportError:  # then no rank got as far as a collective: each leaves on its own
        os._exit(code)
    MPI.COMM_WORLD.Abort(code)


def local_rank() -> int:
    """This process's index among the ranks on its node (0 without a launcher): the GPU
    `device: cuda` uses is cuda:<local_rank>, so each rank on a node has its own."""
    for _, _, local in _LAUNCHERS:
        value = os.environ.get(local)
        if value and value.isdigit():
            return int(value)
    return 0
