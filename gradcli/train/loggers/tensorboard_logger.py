"""TensorBoard: event files in <run>/tensorboard/, which `tensorboard --logdir runs` finds.

Scalars are metrics.csv's rows, tagged `step/<column>` and `epoch/<column>`, each at its
global step; the resolved config is a text entry, and `output.tensorboard.histograms` adds a
histogram of every weight at each epoch end.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from gradcli.backend import CPU, to_device
from gradcli.train.callbacks import OUTPUTS
from gradcli.train.loggers.common import require, scalars
from gradcli.train.metrics import read_rows
from gradcli.train.state import Callback

_FLUSH_S = 10  # how stale a live TensorBoard may be between epoch ends


@OUTPUTS.register("tensorboard")
class TensorBoardLogger(Callback):
    def __init__(self, run_dir: Path, histograms: bool):
        self.folder, self.csv = run_dir / "tensorboard", run_dir / "metrics.csv"
        self.histograms, self.writer = histograms, None

    @classmethod
    def require(cls, config) -> None:
        require(config, "tensorboard", "tensorboardX", "tensorboard")

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        if "tensorboard" not in config.output.loggers:
            return None
        cls.require(config)
        return cls(run_dir, config.output.tensorboard.histograms)

    def on_train_start(self, trainer):
        from tensorboardX import SummaryWriter

        st = trainer.state
        # A resumed run tells TensorBoard to drop what earlier writers logged at its
        # checkpoint's step or later (a killed run got further than its checkpoint), then puts
        # back that step's rows, which metrics.csv (already cut back to the checkpoint) kept;
        # all of them when the run had no TensorBoard before.
        earlier = self.folder.is_dir() and any(self.folder.glob("events.out.tfevents.*"))
        # Event files are named by the second they were opened in, and read in name order:
        # the time in nanoseconds keeps a resume within the same second from overwriting the
        # file of the run it resumes, and sorts its file after that one.
        self.writer = SummaryWriter(
            str(self.folder), purge_step=st.step or None, flush_secs=_FLUSH_S,
            filename_suffix=f".{time.time_ns()}",
        )  # fmt: skip
        if st.step and self.csv.is_file():
            for row in read_rows(self.csv):
                if row.get("step") == str(st.step) or not earlier:
                    self._scalars(row, int(row["step"]))
            if st.history and st.history[-1]["step"] == st.step:
                self._histograms(trainer, st.step)  # the weights are those of that epoch end
        text = yaml.safe_dump(trainer.config.model_dump(mode="json"), sort_keys=False)
        self.writer.add_text("config", f"```yaml\n{text}```", st.step)

    def on_log(self, trainer, row):
        self._scalars(row, row["step"])

    def on_epoch_end(self, trainer, row):
        self._scalars(row, row["step"])
        self._histograms(trainer, row["step"])
        self.writer.flush()

    def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _scalars(self, row: dict, step: int) -> None:
        for tag, value in scalars(row).items():
            self.writer.add_scalar(tag, value, step)

    def _histograms(self, trainer, step: int) -> None:
        if not self.histograms:
            return
        for name, p in trainer.model.named_parameters():
            self.writer.add_histogram(f"weights/{name}", to_device(p._data, CPU), step)
