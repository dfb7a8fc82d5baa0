"""A run killed at any durable write (each fsync and rename of every checkpoint, metrics and
summary write) and resumed ends bit-identical to the run that was never interrupted."""

import os
import signal

import matplotlib.backends.backend_agg  # noqa: F401 - imported once here, not in every child
import numpy as np
import safetensors.numpy

from gradcli.cli.app import main

from .test_train_cmd import _losses

# 2 epochs of 3 steps, a checkpoint after every step, a per-step schedule (onecycle counts its
# steps and fails when stepped once too often), the best checkpoint by validation loss.
TINY = """
name: tiny
seed: 5
data: {dataset: blobs, options: {n_samples: 120}, batch_size: 32, val_split: 0.2}
model: {input_shape: [2], layers: [{linear: 8}, relu, {linear: 3}]}
optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
scheduler: {type: onecycle, max_lr: 0.2}
train: {epochs: 2, log_every_steps: 1, checkpoint: {every_steps: 1}}
"""


def _gradcli(argv, kill_at=0, count_to=None) -> int:
    """Run `gradcli argv` in a forked child (no interpreter start-up per run), SIGKILLed at
    its `kill_at`-th durable-write event (an fsync or a rename) before the call, the way
    `strace -e inject=fsync:signal=KILL:when=N` would; `count_to` gets the number of events."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code, seen = 1, 0

        def counted(real):
            def call(*args, **kwargs):
                nonlocal seen
                seen += 1
                if seen == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args, **kwargs)

            return call

        # A killed process loses nothing the page cache holds, so skipping the flush to disk
        # changes nothing here but the test's speed.
        os.fsync = counted(lambda fd: None)
        os.replace, os.rename = counted(os.replace), counted(os.rename)
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        finally:
            if count_to is not None:
                count_to.write_text(str(seen))
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _state(run_dir):
    tensors = safetensors.numpy.load_file(run_dir / "checkpoints" / "last.safetensors")
    return {k: v for k, v in tensors.items() if k.startswith(("model.", "optim."))}


def test_resume_after_a_kill_at_every_write_is_bit_identical(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    full, count = tmp_path / "full", tmp_path / "count"
    assert _gradcli(["train", config, "--run-dir", full, "-q"], count_to=count) == 0
    events = int(count.read_text())
    assert events >= 6 * 3  # at least fsync, rename and folder fsync per step checkpoint
    expected, expected_losses = _state(full), _losses(full)
    for n in range(1, events + 1):
        cut = tmp_path / f"cut{n}"
        assert _gradcli(["train", config, "--run-dir", cut, "-q"], kill_at=n) == -9, n
        if not (cut / "checkpoints" / "last.safetensors").exists():
            continue  # killed before the first checkpoint: nothing to resume
        assert _gradcli(["train", "--resume", cut, "-q"]) == 0, f"resume after kill {n}"
        state = _state(cut)
        assert state.keys() == expected.keys()
        assert all(np.array_equal(state[k], expected[k]) for k in expected), f"kill {n}"
        assert _losses(cut) == expected_losses, f"kill {n}: metrics.csv differs"
        assert not list((cut / "checkpoints").glob(".*.tmp")), "a temporary file was left"
