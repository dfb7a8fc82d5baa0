"""The thread policy: counts from options and the environment, the cores a process may use,
and auto mode giving up threads while other processes keep our cores busy."""

import os
import subprocess
import sys
import time

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from gradcli import threads
from gradcli.errors import ConfigError


@pytest.fixture(autouse=True)
def _restore():
    before = threads._policy
    with threadpool_limits(limits=None):  # puts BLAS back as it was on exit
        yield
    threads._policy = before


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_requested_from_option_then_environment(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    assert threads.requested(None) is None
    assert threads.requested("auto") is None
    assert threads.requested("3") == 3
    monkeypatch.setenv(threads.ENV, "2")
    assert threads.requested(None) == 2
    assert threads.requested("1") == 1  # the option wins
    monkeypatch.setenv(threads.ENV, "lots")
    with pytest.raises(ConfigError, match=r"GRADCLI_THREADS='lots'.*>= 1, or 'auto'"):
        threads.requested(None)
    for bad in ("0", "-2", "1.5"):
        with pytest.raises(ConfigError, match=r"--threads"):
            threads.requested(bad)


def test_available_cores_is_affinity_capped_by_quota(monkeypatch):
    monkeypatch.setattr(threads, "_cpus", lambda: [0, 1, 2, 3, 4, 5])
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: None)
    assert threads.available_cores() == 6
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: 2.5)  # docker --cpus 2.5
    assert threads.available_cores() == 3
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: 0.2)
    assert threads.available_cores() == 1


def test_fixed_count_is_applied_to_blas():
    threads.set_num_threads(1)
    assert threads.get_num_threads() == 1 and threads.workers() == 1
    assert _blas_threads() <= {1}
    with pytest.raises(ValueError, match="positive integer"):
        threads.set_num_threads(0)


def test_ranks_share_the_cores(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    monkeypatch.setattr(threads, "_CpuUse", _Scripted([0.0]))
    monkeypatch.delenv(threads.ENV, raising=False)
    threads.configure(None)
    assert threads.share(4).cap == 2
    threads.configure("3")
    assert threads.share(4).count == 3  # a fixed count stays what the user asked for


class _Scripted:
    """Stands in for the /proc/stat reader: 'other processes used these many cores'."""

    def __init__(self, loads):
        self.loads = list(loads)

    def __call__(self, cpus):
        return self

    def others(self):
        return self.loads.pop(0) if self.loads else None


def test_auto_gives_up_threads_while_the_cores_are_busy_elsewhere(monkeypatch):
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    monkeypatch.setattr(threads, "_CpuUse", _Scripted([0.05, 0.7, 1.0, 0.1]))
    monkeypatch.setattr(threads, "_WINDOW_S", 0.0)
    policy = threads.configure("auto")
    assert policy.count == 2 and policy.describe() == "2 threads"
    policy.adapt()  # a neighbour took 0.7 of a core from our two threads
    assert policy.count == 1 and _blas_threads() <= {1}
    assert policy.describe() == "1 thread (auto: 0.7 of 2 cores busy elsewhere)"
    policy.adapt()
    assert policy.count == 1
    policy.adapt()  # the neighbour is gone
    assert policy.count == 2
    policy.adapt()  # nothing measured: the count stays
    assert policy.count == 2


@pytest.mark.skipif(threads.available_cores() < 2, reason="needs two cores")
def test_auto_measures_a_real_busy_neighbour():
    cpus = sorted(os.sched_getaffinity(0))
    spin = "import os,sys; os.sched_setaffinity(0, {%d}); print(1, flush=True)\nwhile True: pass"
    busy = subprocess.Popen([sys.executable, "-c", spin % cpus[0]], stdout=subprocess.PIPE)
    try:
        busy.stdout.readline()
        use = threads._CpuUse(cpus)
        time.sleep(0.5)
        assert use.others() > 0.6  # one core's worth, minus what scheduling noise takes
    finally:
        busy.kill()
        busy.wait()
