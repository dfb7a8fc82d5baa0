"""Data-parallel training over several processes: MPI through mpi4py, NCCL through CuPy.

`mpirun -n K gradcli train cfg.yaml` (or `--procs K`) runs K ranks. Each takes its slice of
every global batch (`data.batch_size` stays the global batch), gradients are averaged with
one all-reduce per flat bucket, and rank 0 alone writes the run folder. With one process
`detect()` returns `SINGLE`, and nothing of MPI is imported.
"""

from gradcli.distributed.world import (
    SINGLE,
    World,
    detect,
    for_device,
    launched_size,
    local_rank,
)

__all__ = ["SINGLE", "World", "detect", "for_device", "launched_size", "local_rank"]
