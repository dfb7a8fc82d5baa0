"""A signal while a finished run writes its outputs (curves, test split, summary) is held
until they are written, like one during a step: the run keeps its summary.json."""

import json
import os
import signal

from test_trainer import config

from gradcli.train import session
from gradcli.train.state import Callback


class _SignalAtEnd(Callback):
    def on_train_end(self, trainer, summary):
        os.kill(os.getpid(), signal.SIGINT)


def test_sigint_while_the_outputs_are_written_keeps_the_summary(tmp_path):
    def reached_default(signum, frame):  # stands for Python's KeyboardInterrupt handler
        raise RuntimeError("the signal reached the handler outside the trainer")

    previous = signal.signal(signal.SIGINT, reached_default)
    try:
        run = session.start(config(**{"train.epochs": 1}), run_dir=tmp_path)
        run.trainer.callbacks.insert(0, _SignalAtEnd())  # before curves and summary
        summary = run.fit()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert json.loads((tmp_path / "summary.json").read_text())["steps"] == summary["steps"]
