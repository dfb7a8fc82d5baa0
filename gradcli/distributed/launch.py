"""`gradcli train CONFIG --procs K`: start K ranks on this machine through the MPI launcher.

The launcher's own report of a dead process names its pid; this one watches the job's
processes while it runs, so that it can say which rank died and of what.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from gradcli.errors import GradcliError

_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


def find_launcher() -> str:
    """mpiexec from this Python's environment (where `gradcli[mpi]` puts MPICH's), else PATH."""
    here = Path(sys.executable).parent
    for name in ("mpiexec", "mpirun"):
        if (here / name).is_file():
            return str(here / name)
    for name in ("mpiexec", "mpirun"):
        found = shutil.which(name)
        if found:
            return found
    raise GradcliError(
        "--procs needs an MPI launcher (mpiexec) and mpi4py; install them with "
        "pip install 'gradcli[mpi]', or start the ranks yourself with mpirun -n K gradcli ..."
    )


def launch(procs: int, args: list[str]) -> int:
    """Run `gradcli ARGS` as `procs` ranks; the job's exit code. A rank that dies is named."""
    command = [find_launcher(), "-n", str(procs), sys.executable, "-m", "gradcli", *args]
    token = uuid.uuid4().hex  # marks this job's ranks among the machine's processes
    env = {**os.environ, "GRADCLI_JOB": token}
    pipe = subprocess.PIPE
    job = subprocess.Popen(command, stdout=pipe, stderr=pipe, text=True, errors="replace", env=env)
    ranks: dict[int, int] = {}  # pid -> rank, read from /proc while the job runs
    watcher = threading.Thread(target=_watch, args=(job, token, procs, ranks), daemon=True)
    watcher.start()

    # Ctrl-C reaches every rank directly (one process group): they stop together, with a
    # checkpoint. Here it must not kill the launcher before the ranks are done. SIGTERM and
    # SIGHUP sent to the launcher alone (a scheduler, `kill`) are passed on to the ranks.
    def forward(signum, frame):
        for pid in list(ranks):
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    handlers = {signal.SIGINT: signal.SIG_IGN, signal.SIGTERM: forward, signal.SIGHUP: forward}
    previous = {signum: signal.signal(signum, h) for signum, h in handlers.items()}
    dead: dict = {}
    relays = [
        threading.Thread(target=_relay, args=(job.stdout, sys.stdout, dead)),
        threading.Thread(target=_relay, args=(job.stderr, sys.stderr, dead)),
    ]
    try:
        for relay in relays:
            relay.start()
        for relay in relays:
            relay.join()
        code = job.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if code and dead.get("pid") is not None:
        pid, status = dead["pid"], dead.get("status")
        rank = ranks.get(pid)
        who = f"rank {rank} (pid {pid})" if rank is not None else f"process {pid}"
        print(f"error: {who} of {procs} {_cause(status)}; the job was stopped", file=sys.stderr)
    return code


def _relay(stream, out, dead: dict) -> None:
    """Copy one of the job's streams through, keeping back the launcher's banner about a dead
    process (one line naming the rank replaces it); its pid and exit status go to `dead`."""
    for line in stream:
        if set(line.strip()) == {"="}:
            continue
        text = line.strip(" =\n")
        if text.startswith("PID ") and text.split()[1].isdigit():
            dead["pid"] = int(text.split()[1])
        elif text.startswith("EXIT CODE:"):
            dead["status"] = text.split(":", 1)[1].strip()
        elif not _banner(text):
            out.write(line)
            out.flush()


# MPICH's words about a failed or interrupted job: ours, which name the rank, replace them
_BANNER = (
    "[mpiexec@",
    "YOUR APPLICATION",
    "This typically",
    "Please see",
    "BAD TERMINATION",
    "CLEANING UP",
    "YOU CAN IGNORE",
    "Abort(",
)


def _banner(text: str) -> bool:
    return text.startswith(_BANNER)


def _cause(status: str | None) -> str:
    # MPICH reports a process killed by a signal with the signal's number as its status
    if status in ("9", "137"):
        return "was killed (SIGKILL: kill -9, or the kernel's out-of-memory killer)"
    if status in ("6", "11", "15"):
        return f"was killed by {signal.Signals(int(status)).name}"
    if status and status.isdigit():
        return f"exited with status {status}"
    return "failed"


def _watch(job, token: str, procs: int, ranks: dict) -> None:
    """Record the pid of every rank of the job (Linux /proc) once they have all started."""
    while job.poll() is None and len(ranks) < procs:
        for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
            if not entry.name.isdigit() or int(entry.name) in ranks:
                continue
            try:
                env = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            rank = _rank_of(env, token)
            if rank is not None:
                ranks[int(entry.name)] = rank
        try:
            job.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass


def _rank_of(env: list[bytes], token: str) -> int | None:
    found = dict(item.split(b"=", 1) for item in env if b"=" in item)
    if found.get(b"GRADCLI_JOB") != token.encode():
        return None
    for name in _RANK_VARS:
        value = found.get(name.encode(), b"")
        if value.isdigit():
            return int(value)
    return None
