"""The training loop: one object that owns the run's state, so a checkpoint can restore it all.

Display is left to callbacks (`Callback`); this module writes the run's files itself:
metrics.csv, curves.png, checkpoints/ and summary.json.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

import gradcli
from gradcli.backend import is_out_of_memory, memory_info
from gradcli.config.build import build_loss, build_model, build_optimizer, build_scheduler
from gradcli.data import DataLoader, build_datasets
from gradcli.errors import ConfigError, DeviceError
from gradcli.nn.utils import clip_grad_norm_, clip_grad_value_
from gradcli.train import checkpoint as ckpt_io
from gradcli.train.checks import check_outputs, first_non_finite
from gradcli.train.metrics import MetricsLog, evaluate
from gradcli.train.plots import draw_curves
from gradcli.train.run import versions
from gradcli.train.state import (
    NonFiniteError,
    RunState,
    StepInfo,
    TrainingInterrupted,
    Window,
)

_REDRAW_S = 5.0  # curves.png is redrawn after an epoch at most this often (and at the end)


class Trainer:
    def __init__(self, config, run_dir: Path, device, callbacks=(), resume=None):
        self.config, self.run_dir, self.device = config, Path(run_dir), device
        self.callbacks = list(callbacks)
        gradcli.manual_seed(config.seed)
        d = config.data
        self.data = build_datasets(
            d.dataset, d.root, d.options, d.transforms, d.val_split, config.seed, test=False
        )
        self.num_classes = self.data.info.num_classes
        sample_shape = tuple(self.data.train[0][0].shape)
        if sample_shape != tuple(config.model.input_shape):
            raise ConfigError(
                f"{config.where('model', 'input_shape')}: model.input_shape is "
                f"{list(config.model.input_shape)} but dataset '{d.dataset}' gives samples of "
                f"shape {list(sample_shape)} (after transforms); set input_shape to that"
            )
        self.model = build_model(config, device)
        check_outputs(config, self.model, self.data.info)
        self.loss_fn = build_loss(config.loss, device)
        self.optimizer = build_optimizer(config.optimizer, self.model.parameters())
        self.train_loader = DataLoader(
            self.data.train, d.batch_size, shuffle=d.shuffle, seed=config.seed, device=device
        )
        self.val_loader = None
        if self.data.val is not None and len(self.data.val):
            self.val_loader = DataLoader(self.data.val, d.eval_batch_size, device=device)
        self.schedule = build_scheduler(config, self.optimizer, len(self.train_loader))
        self.state = RunState()
        self.metrics = None
        self._stop_requested = False
        self._grad_norm = None  # the last total gradient norm, when clipping by norm
        # On the CPU reading a value back is free; on a GPU it waits for the queued work.
        self._on_cpu = device is None or device.type == "cpu"
        if resume is not None:
            self._restore(resume)

    # ---- the loop ----------------------------------------------------------------------------

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    @property
    def total_epochs(self) -> int:
        t = self.config.train
        if t.steps is None:
            return t.epochs
        return math.ceil(t.steps / len(self.train_loader))

    def fit(self) -> dict:
        self.metrics = MetricsLog(self.run_dir / "metrics.csv")
        started = time.perf_counter() - self.state.elapsed
        self._started = started
        self._drawn = -math.inf
        previous = self._install_sigint()
        try:
            # Non-finite values are detected and explained by the loop; numpy's warnings would
            # only add noise to the display.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self._run_epochs()
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            self.metrics.close()
        if self.state.history:
            self._draw()  # epochs shorter than _REDRAW_S are drawn once more at the end
        summary = self._summary(time.perf_counter() - started)
        (self.run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        for cb in self.callbacks:
            cb.on_train_end(self, summary)
        return summary

    def _run_epochs(self) -> None:
        for cb in self.callbacks:
            cb.on_train_start(self)
        while self.state.epoch < self.total_epochs and not self.state.stopped_early:
            reached_limit = self._train_epoch()
            self._end_epoch()
            if reached_limit:
                break

    def _train_epoch(self) -> bool:
        """One pass over the training data (the rest of it after a mid-epoch resume).
        Returns True when train.steps was reached."""
        cfg, st = self.config.train, self.state
        model, batches = self.model, len(self.train_loader)
        model.train()
        for cb in self.callbacks:
            cb.on_epoch_start(self, st.epoch, batches)
        sync_every = 1 if self._on_cpu else cfg.log_every_steps  # GPU: read back when logging
        window = Window()
        self._tick = time.perf_counter()
        for x, y in self.train_loader:
            try:
                out = model(x)
                loss = self.loss_fn(out, y)
                # checked before the step, so the weights that made it are the ones diagnosed
                if self._on_cpu and not math.isfinite(loss.item()):
                    self._non_finite(x, y, f"loss is {loss.item()}")
                self.optimizer.zero_grad()
                loss.backward()
                self._clip_gradients(x, y)
                self.optimizer.step()
            except Exception as e:
                if is_out_of_memory(e):
                    raise self._out_of_memory() from None
                raise
            if self.schedule is not None and self.schedule.per_step:
                self.schedule.scheduler.step()
            st.step += 1
            st.batch += 1
            correct = (out.argmax(1) == y).sum()._data if self.num_classes else None
            window.add(loss._data, correct, x.shape[0])
            every = cfg.checkpoint.every_steps
            save_now = bool(every) and st.step % every == 0
            last = st.batch == batches or (cfg.steps is not None and st.step >= cfg.steps)
            if st.step % sync_every == 0 or save_now or last or self._stop_requested:
                self._flush(window, x, y, batches)
            if save_now:
                self.save("last")
            if self._stop_requested:
                raise TrainingInterrupted(self.save("last"))
            if cfg.steps is not None and st.step >= cfg.steps:
                return True
        return False

    def _flush(self, window: Window, x, y, batches: int) -> None:
        """Read the device-side sums back, check them, log and update the display."""
        st = self.state
        loss_sum, weighted, correct, steps, samples = window.read()
        if not math.isfinite(loss_sum):
            self._non_finite(x, y, f"loss became {loss_sum} within the last {steps} step(s)")
        st.interval_loss += loss_sum
        st.interval_steps += steps
        st.epoch_loss += weighted
        st.epoch_seen += samples
        st.epoch_correct += correct
        now = time.perf_counter()
        speed = samples / max(now - self._tick, 1e-9)
        self._tick = now
        if st.step % self.config.train.log_every_steps == 0:
            self._log_step(speed, now)
        acc = st.epoch_correct / st.epoch_seen if self.num_classes else None
        info = StepInfo(st.epoch, st.step, st.batch, batches, loss_sum / steps, acc, self.lr, speed)
        for cb in self.callbacks:
            cb.on_step(self, info)

    def _out_of_memory(self) -> DeviceError:
        info = memory_info(self.device) or {}
        gib = 1024**3
        return DeviceError(
            f"out of GPU memory at step {self.state.step + 1} with batch size "
            f"{self.config.data.batch_size} (memory pool: {info.get('used', 0) / gib:.2f} GiB in "
            f"use, {info.get('held', 0) / gib:.2f} GiB held; device: "
            f"{info.get('free', 0) / gib:.2f} GiB free of {info.get('total', 0) / gib:.2f} GiB). "
            "Lower the batch size, e.g. --set data.batch_size="
            f"{max(1, self.config.data.batch_size // 2)}"
        )

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

    def _log_step(self, speed: float, now: float) -> None:
        st = self.state
        self.metrics.write(
            kind="step", epoch=st.epoch + 1, step=st.step,
            train_loss=st.interval_loss / max(st.interval_steps, 1), lr=self.lr,
            grad_norm=float(self._grad_norm.item()) if self._grad_norm is not None else None,
            samples_per_s=round(speed, 1), elapsed_s=round(now - self._started, 3),
        )  # fmt: skip
        st.interval_loss, st.interval_steps = 0.0, 0

    def _end_epoch(self) -> None:
        cfg, st = self.config.train, self.state
        last_epoch = st.epoch + 1 >= self.total_epochs
        val = {}
        due = (st.epoch + 1) % cfg.val_every_epochs == 0 or last_epoch
        if self.val_loader is not None and due:
            val = evaluate(self.model, self.loss_fn, self.val_loader, self.num_classes)
        elapsed = time.perf_counter() - self._started
        row = {
            "kind": "epoch", "epoch": st.epoch + 1, "step": st.step,
            "train_loss": st.epoch_loss / max(st.epoch_seen, 1),
            "train_accuracy": (st.epoch_correct / max(st.epoch_seen, 1))
            if self.num_classes else None,
            "val_loss": val.get("loss"), "val_accuracy": val.get("accuracy"), "lr": self.lr,
            "samples_per_s": round(st.epoch_seen / max(elapsed - st.elapsed, 1e-9), 1),
            "elapsed_s": round(elapsed, 3),
        }  # fmt: skip
        self.metrics.write(**row)
        if self.schedule is not None and not self.schedule.per_step:
            metric = self.schedule.metric
            if metric:
                value = row.get(metric)
                self.schedule.scheduler.step(value if value is not None else row["train_loss"])
            else:
                self.schedule.scheduler.step()
        st.epoch += 1
        st.epoch_loss, st.epoch_correct, st.epoch_seen, st.batch = 0.0, 0, 0, 0
        st.elapsed = elapsed
        st.history.append({k: v for k, v in row.items() if k != "kind"})
        self._track_best(row)
        ck = cfg.checkpoint
        if ck.every_epochs and (st.epoch % ck.every_epochs == 0 or last_epoch):
            self.save("last")
            if ck.keep_last > 1:
                self._keep_epoch_copy(ck.keep_last)
        if time.perf_counter() - self._drawn >= _REDRAW_S or last_epoch:
            self._draw()
        for cb in self.callbacks:
            cb.on_epoch_end(self, row)

    def _draw(self) -> None:
        draw_curves(self.run_dir / "metrics.csv", self.run_dir / "curves.png")
        self._drawn = time.perf_counter()

    def _metric(self, name: str | None, row: dict):
        name = name or "val_loss"
        value = row.get(name)
        if value is None and name != "train_loss":
            name, value = "train_loss", row["train_loss"]  # no validation split
        return name, value

    def _track_best(self, row: dict) -> None:
        cfg, st = self.config.train, self.state
        ck = cfg.checkpoint
        if ck.best_metric is not None:
            name, value = self._metric(ck.best_metric, row)
            maximise = (ck.mode or ("max" if "accuracy" in name else "min")) == "max"
            if st.best is None or (value > st.best if maximise else value < st.best):
                st.best, st.best_epoch = value, st.epoch
                self.save("best")
        es = cfg.early_stopping
        if es is not None:
            name, value = self._metric(es.metric, row)
            maximise = (es.mode or ("max" if "accuracy" in name else "min")) == "max"
            ref = st.es_best
            better = ref is None or (
                value > ref + es.min_delta if maximise else value < ref - es.min_delta
            )
            if better:
                st.es_best, st.bad_epochs = value, 0
            else:
                st.bad_epochs += 1
                st.stopped_early = st.bad_epochs >= es.patience

    # ---- checkpoints -------------------------------------------------------------------------

    def save(self, which: str) -> Path:
        meta = {
            "config": self.config.model_dump(mode="json"),
            "state": asdict(self.state),
            "rng": gradcli.get_rng_state(),
            "loader": self.train_loader.state_dict(),
            "scheduler": self.schedule.scheduler.state_dict() if self.schedule else None,
            "dataset": self.data.info.to_dict(),
            "transforms": self.data.transforms.spec(),
            "versions": versions(),
        }
        path = self.run_dir / "checkpoints" / f"{which}.safetensors"
        return ckpt_io.save(path, ckpt_io.pack(self.model, self.optimizer, meta))

    def _keep_epoch_copy(self, keep: int) -> None:
        folder = self.run_dir / "checkpoints"
        copy = folder / f"epoch-{self.state.epoch:04d}.safetensors"
        copy.write_bytes((folder / "last.safetensors").read_bytes())
        for old in sorted(folder.glob("epoch-*.safetensors"))[:-keep]:
            old.unlink()

    def _restore(self, ck: ckpt_io.Checkpoint) -> None:
        meta = ck.meta
        self.model.load_state_dict(ck.model_state())
        self.optimizer.load_state_dict(ck.optimizer_state())
        if self.schedule is not None and meta.get("scheduler") is not None:
            self.schedule.scheduler.load_state_dict(meta["scheduler"])
        gradcli.set_rng_state(meta["rng"])
        self.train_loader.load_state_dict(meta["loader"])
        self.state = RunState(**meta["state"])
        MetricsLog.truncate_after(self.run_dir / "metrics.csv", self.state.step)

    # ---- failures ----------------------------------------------------------------------------

    def _non_finite(self, x, y, what: str):
        """Name the first layer whose output or gradient is not finite, then stop."""
        st = self.state
        where = first_non_finite(self.model, self.loss_fn, x, y)
        raise NonFiniteError(
            f"{what} at step {st.step + 1} (epoch {st.epoch + 1}); {where}. The last good "
            f"checkpoint is kept in {self.run_dir / 'checkpoints'}. Try a lower optimizer.lr or "
            "train.grad_clip"
        )

    def _install_sigint(self):
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):
            if self._stop_requested:  # second Ctrl-C: leave at once (checkpoints are atomic)
                raise KeyboardInterrupt
            self._stop_requested = True

        return signal.signal(signal.SIGINT, handler)

    def _summary(self, wall: float) -> dict:
        st = self.state
        final = st.history[-1] if st.history else {}
        best = next((h for h in st.history if h["epoch"] == st.best_epoch), None)
        return {
            "name": self.config.name,
            "epochs": st.epoch,
            "steps": st.step,
            "stopped_early": st.stopped_early,
            "wall_time_s": round(wall, 3),
            "samples_per_s": final.get("samples_per_s"),  # the last epoch's
            "final": final,
            "best": {"metric": self.config.train.checkpoint.best_metric, "epoch": st.best_epoch,
                     "value": st.best, "row": best},
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "device": str(self.device or "cpu"),
            "versions": versions(),
        }  # fmt: skip
