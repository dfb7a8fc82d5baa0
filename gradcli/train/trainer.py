"""The training loop: steps, validation and the state a checkpoint restores.

Everything a run writes or shows (metrics.csv, curves, checkpoints, early stopping, summary,
the display) is a `Callback` (see `callbacks.py`); the loop only fires events:

    on_train_start -> (on_epoch_start -> ([on_log, on_step], on_step_end)* -> on_validation_end
    -> on_epoch_end)* -> on_train_end, with on_interrupt when a signal asks it to stop
    (on_log and on_step when values are read back: every step on the CPU).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time

import numpy as np

import gradcli
from gradcli import threads
from gradcli.backend import is_out_of_memory
from gradcli.config.build import build_training, run_length
from gradcli.distributed import SINGLE
from gradcli.errors import CheckpointError
from gradcli.nn.utils import clip_grad_norm_, clip_grad_value_
from gradcli.train import checkpoint as ckpt_io
from gradcli.train.checkpoint_read import check_same_data
from gradcli.train.checks import explain_non_finite, finite, out_of_memory
from gradcli.train.metrics import evaluate
from gradcli.train.parallel import STOP_SIGNALS, DataParallel
from gradcli.train.run import versions
from gradcli.train.state import (
    NonFiniteError,
    RunState,
    StepInfo,
    TrainingInterrupted,
    Window,
)


class Trainer(DataParallel):
    """Build a run from a validated config and train it.

    >>> summary = Trainer(config, callbacks=[...]).fit()
    """

    def __init__(self, config, device=None, callbacks=(), data_root=None, world=SINGLE):
        self.config, self.device, self.world = config, device, world
        self.callbacks = list(callbacks)
        self.run_dir = None  # where the callbacks write, when they write a run folder
        self.data_root = data_root
        parts = build_training(config, device, data_root)
        self.data, self.model, self.loss_fn = parts.data, parts.model, parts.loss_fn
        self.optimizer, self.schedule = parts.optimizer, parts.schedule
        self.train_loader, self.val_loader = parts.train_loader, parts.val_loader
        self.num_classes = self.data.info.num_classes
        self._length = run_length(config.train, len(self.train_loader))  # as the schedule's
        self.state = RunState()
        self._signal = None  # the signal this process received
        self._stop_signal = None  # the one every rank agreed on: finish the step, then stop
        self._grad_norm = None  # the last total gradient norm, when clipping by norm
        self._window = Window()
        self._epoch_clock = None  # (time, samples seen) when this epoch's steps started here
        self._started = None  # perf_counter() at which this run's clock would read 0
        # On the CPU reading a value back is free; on a GPU it waits for the queued work.
        self._on_cpu = device is None or device.type == "cpu"
        self._sync = self._share(world) if world.size > 1 else None

    # ---- where training is ---------------------------------------------------------------------

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def batches(self) -> int:
        return len(self.train_loader)

    @property
    def total_epochs(self) -> int:
        return self._length.epochs

    @property
    def total_steps(self) -> int:
        return self._length.steps

    def steps_done(self) -> bool:
        return self.state.step >= self.total_steps

    # ---- the loop ------------------------------------------------------------------------------

    def fit(self) -> dict:
        started = time.perf_counter() - self.state.elapsed
        self._started = started
        previous = self._install_signal_handlers()
        try:
            # Non-finite values are detected and explained by the loop; numpy's warnings would
            # only add noise to the display.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if self._sync is not None:  # every rank starts from rank 0's weights
                    self._sync.broadcast([*self.model.parameters(), *self.model.buffers()])
                self._fire("on_train_start")
                while self.state.epoch < self.total_epochs and not self.state.stopped_early:
                    # After a resume at the last step of an epoch only its end is left to do.
                    steps_left = self.state.batch_in_epoch(self.batches) < self.batches
                    if steps_left and not self.steps_done():
                        self._train_epoch()
                    self._end_epoch()
                    self._stop_if_requested()
                    if self.steps_done():
                        break
            # The handlers stay until the outputs are written: a signal now (drawing the curves
            # takes a second) must not leave a finished run without its summary.
            summary = self._summary(time.perf_counter() - started)
            self._fire("on_train_end", summary)
        except TrainingInterrupted:
            raise
        except Exception as error:
            for cb in self.callbacks:  # each records what it can; the error itself goes on up
                with contextlib.suppress(Exception):
                    cb.on_train_failed(self, error)
            raise
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return summary

    def _fire(self, event: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, event)(self, *args)

    def _train_epoch(self) -> None:
        """One pass over the training data (the rest of it after a mid-epoch resume)."""
        cfg, st, model, batches = self.config.train, self.state, self.model, self.batches
        model.train()
        self._fire("on_epoch_start", st.epoch, batches)
        sync_every = 1 if self._on_cpu else cfg.log_every_steps  # GPU: read back when logging
        self._tick = time.perf_counter()
        self._epoch_clock = (self._tick, st.epoch_seen)
        step = self._step if self._sync is None else self._shared_step
        for x, y in self.train_loader:
            try:
                loss, correct = step(x, y)
            except Exception as e:
                if is_out_of_memory(e):
                    bs = self.config.data.batch_size
                    raise out_of_memory(self.device, st.step + 1, bs) from None
                raise
            if self.schedule is not None and self.schedule.per_step:
                self.schedule.scheduler.step()
            st.step += 1
            self._window.add(loss, correct, x.shape[0])
            last = st.batch_in_epoch(batches) == batches or self.steps_done()
            if st.step % sync_every == 0 or last or self._stop_signal:
                self._flush(x, y)
            self._fire("on_step_end")
            threads.adapt()  # fewer BLAS threads while other processes use our cores
            self._stop_if_requested()
            if self.steps_done():
                return

    def _step(self, x, y):
        """One optimizer step on a batch; (loss, correct predictions) as device scalars."""
        out = self.model(x)
        loss = self.loss_fn(out, y)
        # checked before the step, so the weights that made it are the ones diagnosed
        if self._on_cpu and not math.isfinite(loss.item()):
            self._non_finite(x, y, f"loss is {loss.item()}")
        self.optimizer.zero_grad()
        loss.backward()
        self._clip_gradients(x, y)
        self.optimizer.step()
        return loss._data, self._correct(out, y)

    def _correct(self, out, y):
        if not self.num_classes:
            return None
        # one-hot or probability targets count by their top class
        return (out.argmax(1) == (y.argmax(1) if y.ndim > 1 else y)).sum()._data

    def _read_window(self, x=None, y=None) -> tuple[float, int] | None:
        """Add the device-side sums to the run state; (mean loss, samples) of the window."""
        if not self._window.steps:
            return None
        st = self.state
        loss_sum, weighted, correct, steps, samples = self._window.read()
        if not math.isfinite(loss_sum) and x is not None:
            self._non_finite(x, y, f"loss became {loss_sum} within the last {steps} step(s)")
        st.interval_loss += loss_sum
        st.interval_steps += steps
        st.epoch_loss += weighted
        st.epoch_seen += samples
        st.epoch_correct += correct
        st.samples += samples
        return loss_sum / steps, samples

    def _flush(self, x, y) -> None:
        """Read the device-side sums back, check them, log and update the display."""
        read = self._read_window(x, y)
        if read is None:
            return
        st, (loss, samples) = self.state, read
        now = time.perf_counter()
        speed = samples / max(now - self._tick, 1e-9)
        self._tick = now
        if st.step % self.config.train.log_every_steps == 0:
            grad_norm = float(self._grad_norm.item()) if self._grad_norm is not None else None
            row = {
                "kind": "step", "epoch": st.epoch + 1, "step": st.step,
                "train_loss": st.interval_loss / max(st.interval_steps, 1), "lr": self.lr,
                "grad_norm": grad_norm, "samples_per_s": round(speed, 1),
                "elapsed_s": round(now - self._started, 3),
            }  # fmt: skip
            st.interval_loss, st.interval_steps = 0.0, 0
            self._fire("on_log", row)
        acc = st.epoch_correct / st.epoch_seen if self.num_classes and st.epoch_seen else None
        batch = st.batch_in_epoch(self.batches)
        info = StepInfo(st.epoch, st.step, batch, self.batches, loss, acc, self.lr, speed)
        self._fire("on_step", info)

    def _end_epoch(self) -> None:
        cfg, st = self.config.train, self.state
        self._read_window()
        last_epoch = st.epoch + 1 >= self.total_epochs or self.steps_done()
        val = {}
        due = (st.epoch + 1) % cfg.val_every_epochs == 0 or last_epoch
        if self.val_loader is not None and due:
            val = evaluate(
                self.model, self.loss_fn, self.val_loader, self.num_classes, world=self.world
            )
            self._fire("on_validation_end", val)
        elapsed = time.perf_counter() - self._started
        row = {
            "kind": "epoch", "epoch": st.epoch + 1, "step": st.step,
            "train_loss": st.epoch_loss / max(st.epoch_seen, 1),
            "train_accuracy": (st.epoch_correct / max(st.epoch_seen, 1))
            if self.num_classes else None,
            "val_loss": val.get("loss"), "val_accuracy": val.get("accuracy"), "lr": self.lr,
            "samples_per_s": self._epoch_speed(),
            "elapsed_s": round(elapsed, 3),
        }  # fmt: skip
        if self.schedule is not None and not self.schedule.per_step:
            watched = self.watched(self.schedule.metric, row) if self.schedule.metric else None
            if not self.schedule.metric:
                self.schedule.scheduler.step()
            elif watched is not None:  # plateau: stepped on validated epochs only
                self.schedule.scheduler.step(watched[1])
        st.epoch += 1
        st.epoch_loss, st.epoch_correct, st.epoch_seen = 0.0, 0, 0
        st.elapsed = elapsed
        st.history.append({k: v for k, v in row.items() if k != "kind"})
        self._fire("on_epoch_end", row)
        if self._sync is not None:
            self._agree_at_epoch_end()

    def watched_metric(self, metric: str | None) -> str:
        """The metric epochs are judged by (best checkpoint, early stopping, plateau). Without
        a validation split the training metric of the same kind stands in: val_accuracy ->
        train_accuracy, which is maximised as val_accuracy is (train_loss was, minimised)."""
        name = metric or "val_loss"
        return name.replace("val_", "train_", 1) if self.val_loader is None else name

    def watched(self, metric: str | None, row: dict) -> tuple[str, float] | None:
        """(name, value) of the watched metric in an epoch row; None for an epoch that was not
        validated."""
        name = self.watched_metric(metric)
        value = row.get(name)
        return None if value is None else (name, value)

    def _epoch_speed(self) -> float | None:
        """Samples/s of this epoch's steps in this process (not validation or callbacks); None
        when they all ran before a resume."""
        if self._epoch_clock is None:
            return None
        (started, seen), self._epoch_clock = self._epoch_clock, None
        return round((self.state.epoch_seen - seen) / max(self._tick - started, 1e-9), 1)

    def _stop_if_requested(self) -> None:
        if self._stop_signal is None:
            return
        self._fire("on_interrupt", self._stop_signal)
        raise TrainingInterrupted(self._stop_signal, self.state.epoch + 1, self.state.step, None)

    # ---- checkpoints ---------------------------------------------------------------------------

    def checkpoint(self) -> ckpt_io.Checkpoint:
        """Everything a resumed run needs, as of now. Non-finite weights are never packed."""
        self._read_window()
        if self._started is not None:  # a resume continues the clock from here
            self.state.elapsed = time.perf_counter() - self._started
        for name, tensor in self.model.state_dict().items():
            if not finite(tensor):
                raise NonFiniteError(
                    f"the weights became non-finite at step {self.state.step} "
                    f"(epoch {self.state.epoch + 1}, model.{name}); no checkpoint was written "
                    "with them. Try a lower optimizer.lr or train.grad_clip"
                )
        meta = {
            "config": self.config.model_dump(mode="json"),
            "state": self.state.__dict__,
            "rng": gradcli.get_rng_state(),
            "loader": self.train_loader.state_dict(),
            "scheduler": self.schedule.scheduler.state_dict() if self.schedule else None,
            "callbacks": {cb.name: cb.state_dict() for cb in self.callbacks if cb.name},
            "dataset": self.data.info.to_dict(),
            "transforms": self.data.transforms.spec(),
            "versions": versions(),
        }
        return ckpt_io.pack(self.model, self.optimizer, meta)

    def restore(self, ck: ckpt_io.Checkpoint, source: str) -> None:
        """Continue from a checkpoint: weights, optimizer, schedule, RNGs, data order, state."""
        meta = ck.meta
        check_same_data(meta, self.data.info.to_dict(), self.data.transforms.spec(), source)
        try:
            self.model.load_state_dict(ck.model_state())
            self.optimizer.load_state_dict(ck.optimizer_state())
            if self.schedule is not None and meta.get("scheduler") is not None:
                self.schedule.scheduler.load_state_dict(meta["scheduler"])
            gradcli.set_rng_state(meta["rng"])
            self.train_loader.load_state_dict(meta["loader"])
            self.state = RunState.from_dict(meta["state"])
            saved = meta.get("callbacks") or {}
            for cb in self.callbacks:
                if cb.name:  # earlier versions kept callback state in `state`
                    cb.load_state_dict(saved.get(cb.name, meta["state"]))
        except Exception as e:  # noqa: BLE001 - any mismatch is the checkpoint's
            detail = " ".join(str(e).split()) or type(e).__name__
            raise CheckpointError(f"{source}: cannot resume from it ({detail})") from None
        st, epoch, batch = self.state, meta["loader"]["epoch"], meta["loader"]["batch_index"]
        if epoch * self.batches + batch != st.step:
            raise CheckpointError(
                f"{source}: its data position (epoch {epoch}, batch {batch}) does not match "
                f"its step {st.step}; use another checkpoint"
            )
        planned = getattr(self.schedule.scheduler, "total_steps", None) if self.schedule else None
        if planned is not None and planned < self.total_steps:
            raise CheckpointError(
                f"{source}: its schedule was made for {planned} steps but the run would now take "
                f"{self.total_steps} (train.epochs or train.steps changed); a one-cycle schedule "
                "cannot be stretched. Keep the run's length, or start a new run"
            )
        if st.batch_in_epoch(self.batches) < 0 and not self.steps_done():
            raise CheckpointError(
                f"{source}: this run stopped at train.steps={st.step}, in the middle of an epoch "
                "that it then closed; it cannot be extended. Start a new run instead"
            )

    # ---- failures ------------------------------------------------------------------------------

    def _non_finite(self, x, y, what: str):
        st, dataset = self.state, self.config.data.dataset
        where = explain_non_finite(self.model, self.loss_fn, x, y, dataset)
        error = NonFiniteError(f"{what} at step {st.step + 1} (epoch {st.epoch + 1}); {where}")
        error.collective = self._sync is not None  # from global values: every rank raises it
        raise error

    def _clip_gradients(self, x, y) -> None:
        clip = self.config.train.grad_clip
        if clip is None:
            return
        params = self.model.parameters()
        if clip.value is not None:
            clip_grad_value_(params, clip.value)
            return
        norm = clip_grad_norm_(params, clip.max_norm)
        self._grad_norm = norm  # a device scalar: read back only when logged (no GPU sync)
        if self._on_cpu:
            value = float(norm.item())
            if not math.isfinite(value):
                self._non_finite(x, y, f"gradient norm is {value}")

    def _install_signal_handlers(self) -> dict:
        """Ctrl-C, SIGTERM (Slurm, Kubernetes) and SIGHUP finish the step, then stop with a
        checkpoint; a second one leaves at once (checkpoints are written atomically)."""
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum, frame):
            if self._signal is not None:
                raise KeyboardInterrupt
            self._signal = signum
            if self._sync is None:  # alone; with several ranks, they agree at the next step
                self._stop_signal = signum

        return {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}

    def summary(self) -> dict:
        """The run so far, as summary.json holds it at the end."""
        return self._summary(time.perf_counter() - self._started if self._started else 0.0)

    def _summary(self, wall: float) -> dict:
        st = self.state
        return {
            "name": self.config.name,
            "epochs": st.epoch,
            "steps": st.step,
            "stopped_early": st.stopped_early,
            "wall_time_s": round(wall, 3),
            "samples_per_s": round(st.samples / max(st.elapsed, 1e-9), 1),  # the whole run's
            "final": st.history[-1] if st.history else {},
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "device": str(self.device or "cpu"),
            "versions": versions(),
        }
