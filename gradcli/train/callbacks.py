"""What a run writes: each output is a callback the training loop fires events at.

Each is registered in `OUTPUTS` with a `for_run(config, run_dir, command)` that makes it for
one run (or None when the config turns it off). They hear each event in registration order
(then by `order`: summary.json is written last, with what the others added to the summary):
the metrics row is written before the checkpoint that a resume truncates metrics.csv back to,
and early stopping decides before the checkpoint that saves its decision. A new kind of run
output is one more registered callback, here or in a module of its own.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from gradcli.data import DataLoader
from gradcli.errors import GradcliError
from gradcli.registry import Registry
from gradcli.train import checkpoint as ckpt_io
from gradcli.train.atomic import atomic_write
from gradcli.train.metrics import MetricsLog, evaluate
from gradcli.train.state import Callback

OUTPUTS: Registry[type[Callback]] = Registry("run output")
_REDRAW_S = 5.0  # curves.png is redrawn after an epoch at most this often (and at the end)


def _saved(state: dict, key: str, kind: type):
    """A number from a checkpoint's callback state (None when absent), checked: a damaged
    value must fail the resume, not the end of the next epoch."""
    value = state.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise ValueError(f"callback state '{key}' is {value!r}, not a number")
    return value


def _maximise(mode: str | None, metric: str) -> bool:
    return (mode or ("max" if "accuracy" in metric else "min")) == "max"


def _final_epoch(trainer) -> bool:
    st = trainer.state
    return st.epoch >= trainer.total_epochs or st.stopped_early or trainer.steps_done()


@OUTPUTS.register("metrics")
class MetricsCSV(Callback):
    """metrics.csv: a row per logged step and per epoch, flushed as written."""

    def __init__(self, path: Path):
        self.path, self.log = path, None

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        return cls(run_dir / "metrics.csv")

    def on_train_start(self, trainer):
        # A resumed run drops what the killed one wrote after its checkpoint.
        MetricsLog.truncate_after(self.path, trainer.state.step, trainer.state.epoch)
        self.log = MetricsLog(self.path)

    def on_log(self, trainer, row):
        self.log.write(**row)

    def on_epoch_end(self, trainer, row):
        self.log.write(**row)

    def close(self):
        if self.log is not None:
            self.log.close()


@OUTPUTS.register("early_stopping")
class EarlyStopping(Callback):
    """Stop when the watched metric has not improved by `min_delta` for `patience` epochs."""

    name = "early_stopping"

    def __init__(self, spec):
        self.spec, self.best, self.bad_epochs = spec, None, 0

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        spec = config.train.early_stopping
        return cls(spec) if spec is not None else None

    def on_epoch_end(self, trainer, row):
        watched = trainer.watched(self.spec.metric, row)
        if watched is None:
            return  # not validated this epoch: neither better nor worse
        (name, value), delta = watched, self.spec.min_delta
        if _maximise(self.spec.mode, name):
            better = self.best is None or value > self.best + delta
        else:
            better = self.best is None or value < self.best - delta
        if better:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
            trainer.state.stopped_early = self.bad_epochs >= self.spec.patience

    def state_dict(self):
        return {"es_best": self.best, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state):
        self.best = _saved(state, "es_best", float)
        self.bad_epochs = _saved(state, "bad_epochs", int) or 0


@OUTPUTS.register("checkpoints")
class Checkpoints(Callback):
    """checkpoints/: `last` every N epochs and steps and on interrupt, `best` by a metric,
    and the newest `keep_last` epoch-numbered copies."""

    name = "checkpoints"

    def __init__(self, folder: Path, policy):
        self.folder, self.policy = folder, policy
        self.best = self.best_epoch = None
        self.last: tuple[Path, int] | None = None  # the newest last.safetensors and its step

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        return cls(run_dir / "checkpoints", config.train.checkpoint)

    def save(self, trainer, which: str) -> Path:
        path = ckpt_io.save(self.folder / f"{which}.safetensors", trainer.checkpoint())
        if which == "last":
            self.last = (path, trainer.state.step)
        return path

    def on_step_end(self, trainer):
        every = self.policy.every_steps
        if every and trainer.state.step % every == 0:
            self.save(trainer, "last")

    def on_epoch_end(self, trainer, row):
        p, epoch = self.policy, trainer.state.epoch
        watched = trainer.watched(p.best_metric, row) if p.best_metric is not None else None
        if watched is not None:
            name, value = watched
            maximise = _maximise(p.mode, name)
            if self.best is None or (value > self.best if maximise else value < self.best):
                self.best, self.best_epoch = value, epoch
                self.save(trainer, "best")
        if p.every_epochs and (epoch % p.every_epochs == 0 or _final_epoch(trainer)):
            self.save(trainer, "last")
            if p.keep_last > 1:
                self._keep_epoch_copy(epoch, p.keep_last)

    def on_interrupt(self, trainer, signum):
        self.save(trainer, "last")

    def on_train_end(self, trainer, summary):
        history = trainer.state.history
        row = next((h for h in history if h["epoch"] == self.best_epoch), None)
        metric = self.policy.best_metric and trainer.watched_metric(self.policy.best_metric)
        summary["best"] = {"metric": metric, "epoch": self.best_epoch,
                           "value": self.best, "row": row}  # fmt: skip

    def _keep_epoch_copy(self, epoch: int, keep: int) -> None:
        copy = self.folder / f"epoch-{epoch:04d}.safetensors"
        ckpt_io.write_bytes(copy, (self.folder / "last.safetensors").read_bytes())
        for old in sorted(self.folder.glob("epoch-*.safetensors"))[:-keep]:
            old.unlink()

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self.best = _saved(state, "best", float)
        self.best_epoch = _saved(state, "best_epoch", int)

    def describe(self) -> str:
        """What a failed run leaves behind, for its error message."""
        if self.last is None:
            kept = sorted(p.name for p in self.folder.glob("*.safetensors"))
            if not kept:
                return "no checkpoint was written"
            return f"checkpoints kept in {self.folder}: {', '.join(kept)}"
        path, step = self.last
        return f"the last good checkpoint is {path} (step {step})"


@OUTPUTS.register("curves")
class Curves(Callback):
    """curves.png: drawn when the run ends or stops, and after an epoch when the last drawing
    is older than a few seconds (drawing takes a large part of a second)."""

    def __init__(self, run_dir: Path):
        self.csv, self.png = run_dir / "metrics.csv", run_dir / "curves.png"
        self.drawn, self.stale = 0.0, False

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        return cls(run_dir)

    def draw(self):
        from gradcli.train.plots import draw_curves  # matplotlib only when a run draws

        draw_curves(self.csv, self.png)
        self.drawn, self.stale = time.perf_counter(), False

    def on_train_start(self, trainer):
        self.drawn = time.perf_counter()

    def on_epoch_end(self, trainer, row):
        self.stale = True
        if time.perf_counter() - self.drawn >= _REDRAW_S and not _final_epoch(trainer):
            self.draw()

    def on_interrupt(self, trainer, signum):
        if self.stale:
            self.draw()

    def on_train_end(self, trainer, summary):
        if self.stale:
            self.draw()


@OUTPUTS.register("test")
class TestSplit(Callback):
    """`train.test: true`: at the end, the best checkpoint (else the last) on the test split,
    its metrics in summary.json and the final line."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        return cls(run_dir / "checkpoints") if config.train.test else None

    def on_train_end(self, trainer, summary):
        from gradcli.train.session import trained_model  # session imports this module

        path = next((p for p in (self.folder / f"{w}.safetensors" for w in ("best", "last"))
                     if p.is_file()), None)  # fmt: skip
        if path is None:
            return
        try:  # the test split was loaded (and checked) with the run's data, transforms fitted
            ck = ckpt_io.load(path)
            model = trained_model(ck, trainer.config, path).to(trainer.device)
        except GradcliError as e:  # the run itself is done: say so, and still write the summary
            summary["test"] = {"checkpoint": str(path), "error": " ".join(str(e).split())}
            return
        d = trainer.config.data
        loader = DataLoader(trainer.data.test, d.eval_batch_size, device=trainer.device,
                            dtype=trainer.config.dtype)  # fmt: skip
        result = evaluate(model, trainer.loss_fn, loader, trainer.num_classes, detailed=True)
        keep = ("samples", "loss", "accuracy", "top5_accuracy", "mse", "mae")
        summary["test"] = {"checkpoint": str(path), "epoch": ck.meta["state"]["epoch"],
                           **{k: result[k] for k in keep if k in result}}  # fmt: skip


@OUTPUTS.register("summary")
class Summary(Callback):
    """summary.json: final and best metrics, throughput, size, versions, the command."""

    order = 100  # after every output that adds to the summary

    def __init__(self, path: Path, command: str | None = None):
        self.path, self.command = path, command

    @classmethod
    def for_run(cls, config, run_dir: Path, command=None):
        return cls(run_dir / "summary.json", command)

    def on_train_end(self, trainer, summary):
        summary["status"] = "finished"
        self._write(summary)

    # A run that did not finish says so too (`gradcli runs` reads it), best effort: the
    # interrupt or the error itself must reach the user whatever happens here.
    def on_interrupt(self, trainer, signum):
        with contextlib.suppress(OSError):
            self._write({**trainer.summary(), "status": "interrupted"})

    def on_train_failed(self, trainer, error):
        text = " ".join(str(error).split())[:300] or type(error).__name__
        with contextlib.suppress(OSError):
            self._write({**trainer.summary(), "status": "failed", "error": text})

    def _write(self, summary: dict) -> None:
        if self.command:
            summary["command"] = self.command
        atomic_write(self.path, (json.dumps(summary, indent=2) + "\n").encode())


def run_outputs(config, run_dir: Path, command: str | None = None) -> list[Callback]:
    """The registered outputs this config asks for, in the order they must hear events."""
    made = (cls.for_run(config, run_dir, command) for _, cls in OUTPUTS.items())
    return sorted((cb for cb in made if cb is not None), key=lambda cb: cb.order)
