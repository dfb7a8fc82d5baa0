"""A stopped sweep continues where it stopped: killed outright (the running trial is found and
queued again) or by Ctrl-C with trials in parallel processes (they checkpoint and requeue)."""

import csv
import signal
import time

import pytest
from sweep_helpers import gradcli, tiny_config

from gradcli.experiments import sweep as lib

pytest.importorskip("optuna")
GRID = ["optimizer.lr=0.01,0.02,0.03,0.04", "--sampler", "grid"]


def _wait_for(paths, proc, timeout=180.0):
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the sweep did not get there in time"
        time.sleep(0.02)


def _epoch_rows(run_dir) -> list[int]:
    with open(run_dir / "metrics.csv", newline="") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f) if r["kind"] == "epoch"]


def test_killed_sweep_resumes_with_only_the_remaining_trials(tmp_path):
    config = tiny_config(tmp_path, epochs=3, samples=3000)
    folder = tmp_path / "sweep"
    proc = gradcli("sweep", config, "-p", *GRID, "--sweep-dir", folder)
    # trial 1 has finished its first epoch and is training its second: kill everything
    _wait_for([folder / "trials/0001/checkpoints/last.safetensors"], proc)
    proc.kill()
    proc.communicate()
    first = folder / "trials/0000/summary.json"
    stamp = first.stat().st_mtime_ns

    found = {r.number: r for r in lib.run(lib.load(folder))}
    assert found[0].state == "complete" and first.stat().st_mtime_ns == stamp  # not run again
    assert found[1].state == "requeued"
    (retry,) = [r for r in found.values() if r.retry_of == 1]
    assert retry.state == "complete" and retry.run_dir == str(folder / "trials/0001")
    assert _epoch_rows(folder / "trials/0001") == [1, 2, 3]  # continued, not restarted
    done = [r for r in found.values() if r.state == "complete"]
    assert sorted(r.params["optimizer.lr"] for r in done) == [0.01, 0.02, 0.03, 0.04]
    assert len(list((folder / "trials").iterdir())) == 4


def test_ctrl_c_with_two_jobs_checkpoints_and_resumes(tmp_path):
    config = tiny_config(tmp_path, epochs=3, samples=3000)
    folder = tmp_path / "sweep"
    proc = gradcli("sweep", config, "-p", *GRID, "--jobs", "2", "--sweep-dir", folder)
    _wait_for([folder / f"trials/000{n}/checkpoints/last.safetensors" for n in (0, 1)], proc)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 130, out
    assert f"resume with: gradcli sweep --resume {folder}" in out
    swept = lib.load(folder)
    stopped = [r for r in lib.records(swept) if r.state == "requeued"]
    assert stopped and all("interrupted" in r.error for r in stopped)

    again = gradcli("sweep", "--resume", folder)
    out, _ = again.communicate(timeout=300)
    assert again.returncode == 0, out
    found = lib.records(swept)
    done = [r for r in found if r.state == "complete"]
    assert sorted(r.params["optimizer.lr"] for r in done) == [0.01, 0.02, 0.03, 0.04]
    for r in stopped:  # each stopped trial continued in its own run folder
        (retry,) = [d for d in done if d.retry_of == r.number]
        assert retry.run_dir == r.run_dir and _epoch_rows(folder / retry.run_dir) == [1, 2, 3]
    assert (folder / "best.yaml").is_file()
