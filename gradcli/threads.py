"""How many threads numerical work may use: never more than the cores that are free.

BLAS libraries start one thread per core and spin while they wait for each other. When another
process is busy on one of those cores, every matrix product waits for the thread that shares
it, and the spinning threads take CPU from that process too: on two cores next to one busy
process, two BLAS threads ran a small CNN at 0.36 of its idle throughput where one thread kept
0.97. So the CLI does not take the BLAS default. It starts with the cores this process may use
(its CPU affinity, capped by a cgroup CPU quota), and in `auto` mode it watches, about once a
second at step boundaries, how much CPU *other* processes use on those cores, and keeps BLAS (and
gradcli's own convolution workers) to the cores left over.

`GRADCLI_THREADS=N` or `gradcli train --threads N` fixes the count instead. Library users get
PyTorch's `gradcli.set_num_threads(n)` / `gradcli.get_num_threads()`.
"""

from __future__ import annotations

import math
import os
import time

from gradcli.errors import ConfigError

ENV = "GRADCLI_THREADS"
_WINDOW_S = 1.0  # how often auto mode re-measures: long enough to average a neighbour's bursts
_ROUND_UP = 0.3  # 1.7 free cores are 1 thread: a thread that shares its core is the straggler


def _cgroup_quota() -> float | None:
    """Cores' worth of CPU time this cgroup may use (cgroup v2 `cpu.max`, else v1), or None."""
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int(open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read())
        period = int(open("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def _cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def available_cores() -> int:
    """The cores this process may run on: its affinity mask, capped by a CPU quota."""
    cores = len(_cpus())
    quota = _cgroup_quota()
    return max(1, min(cores, math.ceil(quota))) if quota else cores


def requested(value: int | str | None = None) -> int | None:
    """A thread count from `value` or `$GRADCLI_THREADS` ('auto' or unset: None), checked."""
    source = "--threads"
    if value is None:
        value, source = os.environ.get(ENV), ENV
    if value is None or str(value).strip().lower() in ("", "auto"):
        return None
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 1:
        raise ConfigError(f"{source}={value!r}: give a number of threads >= 1, or 'auto'")
    return n


class _CpuUse:
    """CPU seconds that processes other than this one spent on `cpus`, read from /proc/stat."""

    def __init__(self, cpus: list[int]):
        self.names = {f"cpu{i}" for i in cpus}
        self.last = self._read()

    def _read(self):
        busy = 0.0
        try:
            with open("/proc/stat") as f:
                for line in f:
                    name, *ticks = line.split()
                    if name in self.names:
                        t = [int(v) for v in ticks]
                        busy += sum(t[:8]) - t[3] - t[4]  # all but idle and iowait
        except (OSError, ValueError, IndexError):
            return None
        mine = os.times()
        return busy / os.sysconf("SC_CLK_TCK"), mine.user + mine.system, time.monotonic()

    def others(self) -> float | None:
        """Cores' worth of CPU used by other processes since the last call."""
        now, last = self._read(), self.last
        self.last = now
        if now is None or last is None or now[2] - last[2] <= 0:
            return None
        return max(0.0, (now[0] - last[0]) - (now[1] - last[1])) / (now[2] - last[2])


class ThreadPolicy:
    """The thread count in force: fixed, or `auto` (re-measured every `_WINDOW_S` seconds)."""

    def __init__(self, fixed: int | None = None, cap: int | None = None):
        self.cores = available_cores()
        self.cap = max(1, min(cap or self.cores, self.cores))
        self.fixed = fixed
        self.count = fixed or self.cap
        self.busy_elsewhere = 0.0  # cores' worth, as last measured (auto mode)
        self._use = None if fixed or self.cap == 1 else _CpuUse(_cpus())
        self._next = 0.0

    def start(self) -> ThreadPolicy:
        """Apply the count now; in auto mode after a short first look at the machine."""
        if self._use is not None:
            time.sleep(0.05)
            self._measure()
        self._apply()
        return self

    def adapt(self) -> None:
        """Cheap unless a window has passed: then re-measure and apply a changed count."""
        if self._use is None or time.monotonic() < self._next:
            return
        before = self.count
        self._measure()
        if self.count != before:
            self._apply()

    def _measure(self) -> None:
        others = self._use.others()
        self._next = time.monotonic() + _WINDOW_S
        if others is None:
            return
        self.busy_elsewhere = others
        free = self.cores - others
        self.count = max(1, min(self.cap, math.floor(free + _ROUND_UP)))

    def _apply(self) -> None:
        _controller().limit(limits=self.count)
        if _kernel_threads:
            _controller().limit(limits=1, user_api="blas")

    def describe(self) -> str:
        """'2 threads' / '1 thread (auto: 1.0 of 2 cores busy elsewhere)' for the run header."""
        text = f"{self.count} thread{'s' if self.count != 1 else ''}"
        if self.fixed is None and self.count < self.cap:
            text += f" (auto: {self.busy_elsewhere:.1f} of {self.cores} cores busy elsewhere)"
        return text


_policy: ThreadPolicy | None = None
_kernel_threads = False  # gradcli's own kernels split batches over threads: BLAS keeps one
_ctl = None


def _controller():
    global _ctl
    if _ctl is None:
        from threadpoolctl import ThreadpoolController

        _ctl = ThreadpoolController()
    return _ctl


def kernels_take_threads() -> None:
    """Called when gradcli's convolution and pooling kernels first split a batch over threads:
    from then on BLAS runs one thread per call. Its idle threads busy-wait ~0.1 s after every
    threaded call, on the cores the kernel threads need next (a LeNet step at batch 256 gained
    1.36x from a second core with BLAS at one thread, 1.08x with two), and a CNN's few small
    linear layers gain nothing from a second BLAS thread."""
    global _kernel_threads
    if not _kernel_threads:
        _kernel_threads = True
        _controller().limit(limits=1, user_api="blas")


def configure(threads: int | str | None = None, share: int = 1) -> ThreadPolicy:
    """Set the policy for this process: `threads` (or $GRADCLI_THREADS), else auto; `share`
    processes on this machine split its cores (ranks of one job)."""
    global _policy
    cap = max(1, available_cores() // max(1, share))
    _policy = ThreadPolicy(requested(threads), cap).start()
    return _policy


def share(processes: int) -> ThreadPolicy:
    """Split this machine's cores between `processes` ranks of one job, keeping the count or
    'auto' chosen before (the launcher starts every rank with the same options)."""
    return configure(_policy.fixed if _policy is not None else None, share=processes)


def adapt() -> None:
    if _policy is not None:
        _policy.adapt()


def policy() -> ThreadPolicy | None:
    return _policy


def workers() -> int:
    """Threads gradcli's own parallel kernels may use: the count in force, or without a
    policy (a library user who set none) the available cores, as PyTorch's default."""
    return _policy.count if _policy is not None else available_cores()


def set_num_threads(n: int) -> None:
    """As PyTorch's: use `n` threads for intra-op work from now on (fixed, not auto)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    global _policy
    _policy = ThreadPolicy(n).start()


def get_num_threads() -> int:
    """The thread count in force; without a policy, what the BLAS library uses."""
    if _policy is not None:
        return _policy.count
    from threadpoolctl import threadpool_info

    return max((lib["num_threads"] for lib in threadpool_info()), default=1)
