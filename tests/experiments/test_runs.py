"""`gradcli runs`: run folders made by the real trainer (finished, interrupted, failed, running,
resumed, of an older version, damaged) read back with the right status and numbers."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from gradcli.config.load import Source, load_data
from gradcli.experiments.runs import RunsError, find_runs, list_runs, read_run
from gradcli.train import session
from gradcli.train.run import RunLock
from gradcli.train.state import Callback, NonFiniteError, TrainingInterrupted

BASE = {
    "name": "good",
    "seed": 1,
    "data": {"dataset": "blobs", "options": {"n_samples": 400}, "batch_size": 50,
             "val_split": 0.25},
    "model": {"input_shape": [2], "layers": [{"linear": 16}, "relu", {"linear": 3}]},
    "optimizer": {"type": "sgd", "lr": 0.1},
    "train": {"epochs": 3, "log_every_steps": 2, "checkpoint": {"best_metric": "val_accuracy"}},
}  # fmt: skip
STEPS_PER_EPOCH = 6  # 300 training samples in batches of 50


def make_config(root, **overrides):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["output"] = {"runs_dir": str(root)}
    return load_data(data, Source("test", {}), [f"{k}={v}" for k, v in overrides.items()])


class StopAt(Callback):
    """Sends this process SIGINT after step `step`, as Ctrl-C would."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer):
        if trainer.state.step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def interrupt(run, step):
    run.trainer.callbacks.insert(0, StopAt(step))
    with pytest.raises(TrainingInterrupted):
        run.fit()
    return run.folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """runs/<name>/<stamp>/ folders as `gradcli train` makes them, one per kind of ending."""
    root = tmp_path_factory.mktemp("project") / "runs"
    finished = session.start(make_config(root))
    finished.fit()
    made = {"finished": finished.folder}
    made["interrupted"] = interrupt(session.start(make_config(root, name="cut")), 8)
    with pytest.raises(NonFiniteError):
        failed = session.start(make_config(root, name="nan", **{"optimizer.lr": 1e38}))
        made["failed"] = failed.folder
        failed.fit()
    # finished at 3 epochs, resumed for 5 and stopped in epoch 5: its summary.json is stale
    again = session.start(make_config(root, name="again"))
    made["resumed"] = again.folder
    again.fit()
    interrupt(session.resume(again.folder, ["train.epochs=5"]), 4 * STEPS_PER_EPOCH + 2)
    # an earlier gradcli's folder: config.yaml and metrics.csv only, its start in its name
    made["older"] = root / "older" / "20200102-030405"
    made["older"].mkdir(parents=True)
    for name in ("config.yaml", "metrics.csv"):
        shutil.copy(made["interrupted"] / name, made["older"] / name)
    return root, made


def test_each_ending_has_its_status(runs):
    _, made = runs
    got = {kind: read_run(folder).status for kind, folder in made.items()}
    assert got == {"finished": "finished", "interrupted": "interrupted", "failed": "failed",
                   "resumed": "interrupted", "older": None}  # fmt: skip
    assert "resumable from step 8" in read_run(made["interrupted"]).detail
    assert read_run(made["failed"]).detail.startswith("loss is nan at step 2")  # the error
    said = {k: json.loads((made[k] / "summary.json").read_text())["status"] for k in made
            if k != "older"}  # fmt: skip
    assert said == {"finished": "finished", "interrupted": "interrupted", "failed": "failed",
                    "resumed": "interrupted"}  # fmt: skip
    assert read_run(made["resumed"]).detail == "resumable from step 26"


def test_a_summary_from_before_a_resume_is_stale(runs, tmp_path):
    """gradcli before issue 17 wrote summary.json only when a run finished: a run resumed for
    more epochs and then stopped kept its first ending's summary."""
    _, made = runs
    older = tmp_path / "again"
    shutil.copytree(made["resumed"], older)
    summary = json.loads((older / "summary.json").read_text())
    summary.update(steps=18, epochs=3)
    del summary["status"]
    (older / "summary.json").write_text(json.dumps(summary))
    record = read_run(older)
    assert record.status == "interrupted" and "before a resume" in record.detail


def test_a_finished_run_reads_as_its_summary_says(runs):
    _, made = runs
    r = read_run(made["finished"])
    summary = json.loads((made["finished"] / "summary.json").read_text())
    assert (r.name, r.epochs, r.steps, r.device) == ("good", 3, 18, "cpu")
    assert r.wall_s == summary["wall_time_s"]
    best = summary["best"]
    assert (r.best_metric, r.best_value, r.best_epoch) == ("val_accuracy", best["value"],
                                                          best["epoch"])  # fmt: skip
    marker = json.loads((made["finished"] / ".gradcli-run").read_text())
    assert r.started == marker["created"] and r.notices == []


def test_an_interrupted_and_a_resumed_run_count_what_metrics_csv_holds(runs):
    _, made = runs
    cut = read_run(made["interrupted"])
    assert (cut.epochs, cut.planned_epochs, cut.steps) == (1, 3, 8)
    resumed = read_run(made["resumed"])  # planned from its checkpoint, not its first config
    assert (resumed.epochs, resumed.planned_epochs, resumed.steps) == (4, 5, 26)


def test_a_folder_of_an_older_version_lists_with_what_it_has(runs):
    root, made = runs
    r = read_run(made["older"])
    assert (r.name, r.epochs, r.planned_epochs, r.steps) == ("cut", 1, 3, 8)
    assert r.status is None and "no summary.json or readable checkpoint" in r.detail
    assert r.started == time.mktime((2020, 1, 2, 3, 4, 5, 0, 0, -1))
    assert r.best_metric == "val_accuracy" and r.best_epoch == 1 and r.device == "cpu"
    assert r.wall_s is not None and r.notices == []
    # with its planned epochs all in metrics.csv, it finished
    done = root.parent / "older-done"
    done.mkdir()
    for name in ("config.yaml", "metrics.csv"):
        shutil.copy(made["finished"] / name, done / name)
    assert read_run(done).status == "finished"


def test_a_run_whose_lock_is_held_is_running(runs):
    _, made = runs
    lock = RunLock(made["interrupted"]).acquire()
    try:
        r = read_run(made["interrupted"])
    finally:
        lock.release()
    assert r.status == "running" and f"process {os.getpid()} on" in r.detail
    assert read_run(made["interrupted"]).status == "interrupted"  # the probe left no trace
    assert not (made["interrupted"] / ".gradcli.owner").exists()


def test_an_owner_left_without_its_lock_is_a_killed_run(runs, tmp_path):
    _, made = runs
    killed = tmp_path / "killed"
    shutil.copytree(made["interrupted"], killed)
    (killed / "summary.json").unlink()  # kill -9 leaves no summary of its ending
    owner = {"pid": 999999, "host": "elsewhere", "since": 0}
    (killed / ".gradcli.owner").write_text(json.dumps(owner))
    r = read_run(killed)
    assert r.status == "failed" and r.detail.startswith("killed")


def test_a_failure_after_the_last_checkpoint_is_failed(runs, tmp_path):
    _, made = runs
    late = tmp_path / "late"
    shutil.copytree(made["interrupted"], late)
    with open(late / "metrics.csv", "a") as f:  # rows logged after last.safetensors (step 8)
        f.write("step,2,10,0.5,,,,0.1,,1000.0,0.5\n")
    r = read_run(late)
    assert r.status == "failed" and "past its last checkpoint (step 8)" in r.detail


def test_a_status_in_summary_json_is_taken_while_it_covers_the_run(runs, tmp_path):
    _, made = runs  # the format a run could write when it stops (see runs.py)
    said = tmp_path / "said"
    shutil.copytree(made["interrupted"], said)
    summary = {"steps": 8, "status": "failed", "error": "the loss became nan at step 9"}
    (said / "summary.json").write_text(json.dumps(summary))
    assert (read_run(said).status, read_run(said).detail) == ("failed", summary["error"])
    (said / "summary.json").write_text(json.dumps({**summary, "steps": 6}))  # before a resume
    assert read_run(said).status == "interrupted"


def test_damaged_files_are_notices_never_errors(runs, tmp_path):
    _, made = runs
    hurt = tmp_path / "hurt"
    shutil.copytree(made["finished"], hurt)
    (hurt / "summary.json").write_text('{"steps": 1')
    (hurt / "config.yaml").write_text("name: [unclosed\n")
    (hurt / "checkpoints" / "last.safetensors").write_bytes(b"\x00" * 64)
    with open(hurt / "metrics.csv", "a") as f:
        f.write("epoch,4,oops\n")
    r = read_run(hurt)
    text = "\n".join(r.notices)
    for name in ("summary.json", "config.yaml", "checkpoints/last.safetensors", "metrics.csv"):
        assert name in text
    assert r.name == "good" and r.epochs == 3  # from the marker, and the rows that were whole
    assert r.status is None and "no summary.json or readable checkpoint" in r.detail
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"{k}: &{k} [{', '.join([f'*{p}'] * 10)}]" for p, k in zip("abcde", "bcdef")]
    (hurt / "config.yaml").write_text("\n".join(bomb))  # a million values once expanded
    assert any("config.yaml is damaged (over 100,000" in n for n in read_run(hurt).notices)
    os.remove(hurt / "metrics.csv")
    os.mkfifo(hurt / "metrics.csv")  # a FIFO is not read (it would block)
    (hurt / "summary.json").write_bytes(b"\xff\xfe[1, 2]")
    assert read_run(hurt).epochs is None


def test_list_is_newest_first_and_filters_by_name(runs):
    root, made = runs
    records = list_runs(root)
    assert [r.started for r in records] == sorted((r.started for r in records), reverse=True)
    assert records[-1].folder == made["older"]  # its name says 2020
    assert sorted(r.name for r in records) == ["again", "cut", "cut", "good", "nan"]
    assert [r.folder for r in list_runs(root, "cu")] == [made["interrupted"], made["older"]]
    assert [r.name for r in list_runs(root, "?g*")] == ["again"]
    assert find_runs(records[0].folder) == [records[0].folder]  # a run folder lists itself
    with pytest.raises(RunsError, match="is not a folder"):
        list_runs(root / "nowhere")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_training_process_is_running_then_interrupted_or_killed(tmp_path, sig):
    config = yaml.safe_load(yaml.safe_dump(BASE))
    config["train"]["epochs"] = 100_000  # stopped long before its end
    (tmp_path / "long.yaml").write_text(yaml.safe_dump(config))
    folder = tmp_path / "long"
    proc = subprocess.Popen([sys.executable, "-m", "gradcli", "train", tmp_path / "long.yaml",
                             "--run-dir", folder, "-q"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (folder / "checkpoints" / "last.safetensors").exists():
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.01)
        running = read_run(folder)
        os.kill(proc.pid, sig)
        proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert running.status == "running" and f"process {proc.pid} on" in running.detail
    stopped = read_run(folder)
    if sig == signal.SIGINT:
        assert stopped.status == "interrupted" and stopped.detail.startswith("resumable from")
    else:  # no chance to release the folder: its owner file stays
        assert stopped.status == "failed" and stopped.detail.startswith("killed")


def gradcli(*args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "gradcli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)  # fmt: skip


def test_cli_table_json_and_both_command_shapes(runs, tmp_path):
    root, made = runs
    table = gradcli("runs", root)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    for name, status in [("good", "finished"), ("cut", "interrupted"), ("nan", "failed")]:
        assert any(name in line and status in line for line in lines), table.stdout
    assert "older/20200102-030405" in table.stdout
    listed = gradcli("runs", "list", "--name", "cut", "--json", root)
    assert listed.returncode == 0, listed.stderr
    cut, older = json.loads(listed.stdout)  # newest first
    assert older["status"] is None and older["started_iso"].startswith("2020-01-02T03:04:05")
    assert (cut["status"], cut["steps"], cut["folder"]) == ("interrupted", 8,
                                                           str(made["interrupted"]))  # fmt: skip
    in_cwd = gradcli("runs", "--json", cwd=root.parent)  # RUNS_DIR defaults to ./runs
    assert in_cwd.returncode == 0 and len(json.loads(in_cwd.stdout)) == 5


def test_cli_help_and_a_missing_folder(tmp_path):
    helped = gradcli("runs", "--help")
    assert helped.returncode == 0
    assert "[RUNS_DIR]" in helped.stdout and "compare" in helped.stdout
    assert "--name" in gradcli("runs", "list", "--help").stdout
    assert "--output" in gradcli("runs", "compare", "--help").stdout
    missing = gradcli("runs", tmp_path / "none")
    assert missing.returncode == 1
    assert missing.stderr.startswith("error:") and len(missing.stderr.splitlines()) == 1


def test_a_trial_its_sweep_pruned_says_so(runs, tmp_path):
    _, made = runs
    trial = tmp_path / "trial"
    shutil.copytree(made["finished"], trial)
    summary = json.loads((trial / "summary.json").read_text())
    summary["sweep"] = {"trial": 3, "pruned": {"epoch": 2, "value": 0.4}}
    (trial / "summary.json").write_text(json.dumps(summary))
    record = read_run(trial)
    assert (record.status, record.detail) == ("finished", "pruned by its sweep at epoch 2")
