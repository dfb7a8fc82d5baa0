"""Run `gradcli ARGS` as one rank with a fault injected (the tests start it under mpiexec).

GRADCLI_TEST_FAULT says what, on which rank:
  raise:R:S     rank R raises RuntimeError in training step S
  nowrite:R     rank R may not create, write, rename or delete any file
"""

import builtins
import os
import sys

from gradcli.cli.app import main
from gradcli.distributed.world import job_rank


def _no_writes():
    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise AssertionError(f"rank {job_rank()} opened {file} to write")
        return real_open(file, mode, *args, **kwargs)

    def refuse(name):
        def call(*args, **kwargs):
            raise AssertionError(f"rank {job_rank()} called os.{name}{args}")

        return call

    builtins.open = guarded_open
    for name in ("replace", "rename", "remove", "unlink", "mkdir", "makedirs", "rmdir"):
        setattr(os, name, refuse(name))


def _raise_at(step: int):
    from gradcli.train.trainer import Trainer

    real = Trainer._shared_step

    def step_then_fail(self, x, y):
        if self.state.step + 1 == step:
            raise RuntimeError("injected failure")
        return real(self, x, y)

    Trainer._shared_step = step_then_fail


kind, *where = os.environ.get("GRADCLI_TEST_FAULT", "none").split(":")
if where and int(where[0]) == job_rank():
    if kind == "raise":
        _raise_at(int(where[1]))
    elif kind == "nowrite":
        _no_writes()
main(sys.argv[1:])
