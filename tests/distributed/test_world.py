"""The parts of data-parallel training that need no MPI: slicing, start-up agreement, the
launcher's report of a dead rank, and which rank says what when a command fails."""

from __future__ import annotations

import io

import pytest

from gradcli.cli import app
from gradcli.distributed import launch, startup, world
from gradcli.distributed.world import SINGLE, World, detect, job_rank
from gradcli.errors import ConfigError, DataError


def ranks(size: int) -> list[World]:
    out = []
    for r in range(size):
        w = World()
        w.rank, w.size = r, size
        out.append(w)
    return out


@pytest.mark.parametrize("n, size", [(64, 2), (33, 2), (18, 4), (3, 4), (1, 1), (100, 7)])
def test_slices_cover_the_batch_in_rank_order_and_differ_by_at_most_one(n, size):
    parts = [w.shard(n) for w in ranks(size)]
    assert [i for p in parts for i in range(n)[p]] == list(range(n))
    lengths = [p.stop - p.start for p in parts]
    assert max(lengths) - min(lengths) <= 1


def test_one_process_is_the_single_world_and_imports_no_mpi(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_STEP_NUM_TASKS"):
        monkeypatch.delenv(name, raising=False)
    assert detect() is SINGLE and job_rank() is None
    monkeypatch.setenv("PMI_SIZE", "1")  # mpirun -n 1: still one process
    assert detect() is SINGLE


class Scripted(World):
    """Rank `rank` of a world whose other ranks report `others` at start-up."""

    def __init__(self, rank, reports):
        self.rank, self.size, self._reports = rank, len(reports), reports

    def allgather(self, obj):
        return [obj if r == self.rank else rep for r, rep in enumerate(self._reports)]


class Built:
    discarded = False

    def __init__(self, config):
        self.config = config

    def discard(self):
        self.discarded = True


class Cfg:
    def __init__(self, lr):
        self.lr = lr

    def model_dump(self, mode):
        return {"lr": self.lr}


def test_all_ranks_started_alike_gives_the_result():
    mine = startup.fingerprint(Cfg(0.1))
    built = Built(Cfg(0.1))
    w = Scripted(0, [None, (mine, None)])
    assert startup.start_together(w, lambda: built, lambda b: b.config) is built


def test_a_rank_that_failed_to_start_is_named_by_rank_0():
    built = Built(Cfg(0.1))
    w = Scripted(0, [None, (None, "dataset 'mnist' not found in /data")])
    with pytest.raises(startup.PeerFailed, match="rank 1 of 2 could not start: dataset") as e:
        startup.start_together(w, lambda: built, lambda b: b.config)
    assert e.value.collective and built.discarded  # rank 0's new folder does not stay


def test_a_rank_that_failed_raises_its_own_error_for_rank_0_to_show():
    def fail():
        raise DataError("no such file")

    w = Scripted(0, [None, (startup.fingerprint(Cfg(0.1)), None)])
    with pytest.raises(DataError, match="no such file") as e:
        startup.start_together(w, fail, lambda b: b.config)
    assert e.value.collective


def test_ranks_with_different_configs_do_not_start():
    other = startup.fingerprint(Cfg(0.2))
    w = Scripted(0, [None, (other, None)])
    with pytest.raises(ConfigError, match="rank 1 of 2 has a different config"):
        startup.start_together(w, lambda: Built(Cfg(0.1)), lambda b: b.config)


def test_the_launcher_replaces_mpich_s_banner_with_one_line_naming_the_rank(capsys):
    banner = (
        "epoch 1/3  loss 1.7\n\n"
        "===================================================================================\n"
        "=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES\n"
        "=   PID 4242 RUNNING AT vm\n"
        "=   EXIT CODE: 9\n"
        "=   CLEANING UP REMAINING PROCESSES\n"
        "=   YOU CAN IGNORE THE BELOW CLEANUP MESSAGES\n"
        "===================================================================================\n"
        "YOUR APPLICATION TERMINATED WITH THE EXIT STRING: Killed (signal 9)\n"
        "This typically refers to a problem with your application.\n"
        "Please see the FAQ page for debugging suggestions\n"
    )
    out, dead = io.StringIO(), {}
    launch._relay(io.StringIO(banner), out, dead)
    assert out.getvalue().strip() == "epoch 1/3  loss 1.7"
    assert dead == {"pid": 4242, "status": "9"}
    assert "SIGKILL" in launch._cause("9") and "SIGTERM" in launch._cause("15")
    assert launch._cause("3") == "exited with status 3"


def test_procs_is_taken_out_of_the_ranks_command_line():
    from gradcli.cli.train import _without_procs

    args = ["cfg.yaml", "--procs", "2", "--set", "a=1", "--procs=4", "-q"]
    assert _without_procs(args) == ["cfg.yaml", "--set", "a=1", "-q"]


def test_procs_without_mpi_installed_says_which_extra(monkeypatch, tmp_path):
    monkeypatch.setattr(launch.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(launch.shutil, "which", lambda name: None)
    with pytest.raises(Exception, match=r"pip install 'gradcli\[mpi\]'"):
        launch.find_launcher()


@pytest.mark.parametrize(
    "rank, error, shown, aborted",
    [
        (1, ConfigError("bad key"), False, False),  # every rank has it: rank 0 says it
        (0, ConfigError("bad key"), True, False),
        (1, RuntimeError("boom"), True, True),  # this rank alone: say it, stop the job
    ],
)
def test_which_rank_says_what(monkeypatch, capsys, rank, error, shown, aborted):
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setenv("PMI_RANK", str(rank))
    calls = []
    monkeypatch.setattr(app, "abort_job", lambda code: calls.append(code))

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(app, "app", failing)
    with pytest.raises(SystemExit):
        app.main(["train", "x.yaml"])
    err = capsys.readouterr().err
    assert bool(err.strip()) == shown
    if shown and rank:
        assert f"rank {rank}: RuntimeError: boom" in err
    assert bool(calls) == aborted
    assert world.job_rank() == rank
