"""Running a sweep's trials: one after another in this process, or J at once in processes of
their own that share the study's storage, each given its share of the cores.

This process alone asks the study for new trials, so a sweep makes exactly `trials` of them
(machines sharing one storage may together make a few more). Ctrl-C stops the trials, each
after writing its checkpoint; they are queued again, and `gradcli sweep --resume FOLDER`
continues them.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time

from filelock import FileLock, Timeout

from gradcli.errors import GradcliError
from gradcli.experiments.sweep_report import TrialRecord, record, records
from gradcli.experiments.sweep_store import Sweep, host_attrs
from gradcli.experiments.sweep_trial import STORAGE_ENV, fail_trial, run_trial
from gradcli.train.state import TrainingInterrupted

_POLL_S = 0.2
_STOP_WAIT_S = 120.0  # a trial asked to stop finishes its step and writes a checkpoint first
_THREAD_VARS = ("GRADCLI_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class SweepInterrupted(GradcliError):
    """Ctrl-C (or SIGTERM): the running trials wrote their checkpoints and were queued again."""

    def __init__(self, sweep: Sweep, signum: int = signal.SIGINT):
        done = sum(1 for r in records(sweep) if r.state in ("complete", "pruned", "failed"))
        again = shlex.join(["gradcli", "sweep", "--resume", str(sweep.folder)])
        super().__init__(
            f"sweep interrupted with {done} of {sweep.spec.trials} trials done; "
            f"resume with: {again}"
        )
        self.signum, self.resume_command = signum, again

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class Listener:
    """What the CLI is told as the sweep and its trials start and end (nothing by default)."""

    def begin(self, sweep: Sweep, jobs: int, requeued: list[int]) -> None: ...
    def started(self, sweep: Sweep, number: int, params: dict) -> None: ...
    def ended(self, sweep: Sweep, rec: TrialRecord) -> None: ...


def run(sweep: Sweep, jobs: int | None = None, listener: Listener | None = None,
        display=()) -> list[TrialRecord]:  # fmt: skip
    """Run the trials left to make, then return every trial's record. The sweep folder is
    locked meanwhile; trials that a gone process of this machine left running are first
    requeued."""
    jobs = max(1, jobs or sweep.spec.jobs)
    listener = listener or Listener()
    lock = FileLock(str(sweep.folder / ".sweep.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise GradcliError(f"sweep {sweep.folder} is being run by another process; wait for it, "
                           "or stop it first") from None  # fmt: skip
    try:
        listener.begin(sweep, jobs, sweep.requeue_stale())
        if jobs == 1:
            _serial(sweep, listener, display)
        else:
            _parallel(sweep, jobs, listener)
    finally:
        lock.release()
    return records(sweep)


def _serial(sweep: Sweep, listener: Listener, display) -> None:
    trial = None
    try:
        while sweep.remaining() > 0:
            trial = sweep.study.ask(sweep.distributions())
            host_attrs(trial)
            listener.started(sweep, trial.number, dict(trial.params))
            run_trial(sweep, trial, display)
            listener.ended(sweep, record(sweep, trial.number))
    except TrainingInterrupted as e:
        raise SweepInterrupted(sweep, e.signum) from None
    except KeyboardInterrupt:
        if trial is not None:
            sweep.requeue(trial.number, "interrupted")
        raise SweepInterrupted(sweep) from None
    except Exception as e:  # a bug in a trial: it is marked failed, and the sweep stops
        if trial is not None and record(sweep, trial.number).state == "running":
            fail_trial(sweep, trial, e)
        raise


def child_env(sweep: Sweep, jobs: int) -> dict:
    """A child's environment: its share of the cores for every thread pool, and the storage."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    env = dict(os.environ)
    env.update(dict.fromkeys(_THREAD_VARS, str(max(1, cores // jobs))))
    if sweep.spec.storage:
        env[STORAGE_ENV] = sweep.spec.storage
    return env


def _stop_on_terminate():
    """SIGTERM and SIGHUP stop the lead as Ctrl-C does (its trials are told to stop, not left
    running on their own); the previous handlers, to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum, frame):
        raise KeyboardInterrupt

    return {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}


class _Worker:
    """A child process that trains the trials it is given, one id per line on its stdin, so
    the imports and the study's connection are paid once per worker, not once per trial."""

    def __init__(self, sweep: Sweep, env: dict, log_path):
        command = [sys.executable, "-m", "gradcli.experiments.sweep_trial", str(sweep.folder)]
        with open(log_path, "ab") as log:
            # a session of its own: Ctrl-C reaches the lead alone, which passes it on once (a
            # second SIGINT would make a trial leave without its checkpoint)
            self.proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         text=True)  # fmt: skip
        self.trial: int | None = None  # the number of the trial it trains

    def give(self, trial) -> None:
        self.trial = trial.number
        try:  # the id a Trial is rebuilt from (its number is not)
            self.proc.stdin.write(f"{trial._trial_id}\n")
            self.proc.stdin.flush()
        except OSError:  # it has died: reaped by the loop
            pass

    def alive(self) -> bool:
        return self.proc.poll() is None


def _parallel(sweep: Sweep, jobs: int, listener: Listener) -> None:
    env, logs = child_env(sweep, jobs), sweep.folder / "logs"
    logs.mkdir(exist_ok=True)
    workers: list[_Worker] = []
    previous = _stop_on_terminate()
    try:
        while True:
            states = {r.number: r.state for r in records(sweep)}
            for w in workers:
                if w.trial is not None and (not w.alive() or states[w.trial] != "running"):
                    if not w.alive():
                        _reap(sweep, w.trial, w.proc.returncode)
                    listener.ended(sweep, record(sweep, w.trial))
                    w.trial = None
            workers = [w for w in workers if w.alive()]
            idle = [w for w in workers if w.trial is None]
            while sweep.remaining() > 0 and (idle or len(workers) < jobs):
                if not idle:
                    idle.append(_Worker(sweep, env, logs / f"worker-{len(workers)}.log"))
                    workers.append(idle[-1])
                trial = sweep.study.ask(sweep.distributions())
                host_attrs(trial)  # this process's until the worker puts its own
                idle.pop().give(trial)
                listener.started(sweep, trial.number, dict(trial.params))
            if not any(w.trial is not None for w in workers):
                return
            time.sleep(_POLL_S)
    except KeyboardInterrupt:
        _stop(sweep, workers)
        raise SweepInterrupted(sweep) from None
    except BaseException:
        _stop(sweep, workers)
        raise
    finally:
        for w in workers:  # no more trials: idle workers leave
            _close(w)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _reap(sweep: Sweep, number: int, code: int) -> None:
    """A worker that ended without telling the study how its trial went: queue it again."""
    if record(sweep, number).state == "running":
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        sweep.requeue(number, f"its process {how}")


def _stop(sweep: Sweep, workers: list[_Worker]) -> None:
    """Ask every worker to stop: a trial writes its checkpoint and requeues itself. Those that
    take too long are killed and their trials requeued here."""
    for w in workers:
        if w.alive():
            w.proc.send_signal(signal.SIGINT)
        _close(w)  # a trial that ends anyway (a signal while it wrote its summary) is its last
    deadline = time.monotonic() + _STOP_WAIT_S
    for w in workers:
        try:
            w.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, KeyboardInterrupt):  # or a second Ctrl-C
            w.proc.kill()
            w.proc.wait()
        if w.trial is not None:
            _reap(sweep, w.trial, w.proc.returncode)


def _close(w: _Worker) -> None:
    """No more trials for this worker: it leaves when its trial ends."""
    try:
        w.proc.stdin.close()
    except OSError:  # it has died
        pass
