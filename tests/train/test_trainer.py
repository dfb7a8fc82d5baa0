"""Trainer behaviours, in process: early stopping, clipping, devices, checkpoint policy."""

import csv
import json

import numpy as np
import pytest
import yaml

import gradcli
from gradcli.config.load import Source, load_data
from gradcli.errors import CheckpointError, DataError, DeviceError
from gradcli.train import checkpoint, session
from gradcli.train.callbacks import OUTPUTS
from gradcli.train.checks import explain_non_finite
from gradcli.train.evaluation import evaluate_checkpoint
from gradcli.train.state import Callback, NonFiniteError
from gradcli.train.trainer import Trainer

BASE = {
    "name": "t",
    "seed": 1,
    "data": {
        "dataset": "blobs",
        "options": {"n_samples": 400},
        "batch_size": 50,
        "val_split": 0.25,
    },
    "model": {"input_shape": [2], "layers": [{"linear": 16}, "relu", {"linear": 3}]},
    "optimizer": {"type": "sgd", "lr": 0.1},
    "train": {"epochs": 3, "log_every_steps": 2},
}


def config(**overrides):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    return load_data(data, Source("test", {}), [f"{k}={v}" for k, v in overrides.items()])


def test_early_stopping_stops_after_patience(tmp_path):
    cfg = config(**{
        "optimizer.lr": 1e-12, "train.epochs": 6,
        "train.early_stopping": "{metric: val_loss, patience: 2, min_delta: 0.1}",
    })  # fmt: skip
    summary = session.start(cfg, run_dir=tmp_path).fit()
    assert summary["stopped_early"] and summary["epochs"] == 3


def test_grad_clipping_by_norm_is_logged(tmp_path):
    cfg = config(**{"train.grad_clip": "{max_norm: 0.01}"})
    session.start(cfg, run_dir=tmp_path).fit()
    rows = [r for r in csv.DictReader(open(tmp_path / "metrics.csv")) if r["kind"] == "step"]
    assert rows and all(float(r["grad_norm"]) > 0 for r in rows)


def test_grad_clipping_by_value_bounds_every_gradient(tmp_path):
    cfg = config(**{"train.grad_clip": "{value: 0.001}", "train.steps": 1})
    run = session.start(cfg, run_dir=tmp_path)
    run.fit()
    for p in run.trainer.model.parameters():
        assert float(p.grad.abs().max()) <= 0.001 + 1e-9


def test_checkpoints_keep_last_n_epoch_copies_and_best(tmp_path):
    cfg = config(
        **{"train.epochs": 4, "train.checkpoint": "{keep_last: 2, best_metric: val_accuracy}"}
    )
    session.start(cfg, run_dir=tmp_path).fit()
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == [
        "best.safetensors", "epoch-0003.safetensors", "epoch-0004.safetensors", "last.safetensors",
    ]  # fmt: skip
    best = checkpoint.load(tmp_path / "checkpoints" / "best.safetensors")
    assert best.meta["config"]["name"] == "t" and "model.0.weight" in best.tensors


def test_regression_has_no_accuracy(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["data"] = {"dataset": "regression", "options": {"n_samples": 64, "in_features": 5,
                    "out_features": 2}, "batch_size": 16, "val_split": 0.25}  # fmt: skip
    data["model"] = {"input_shape": [5], "layers": [{"linear": 2}]}
    data["loss"] = "mse"
    summary = session.start(load_data(data, Source("t", {})), run_dir=tmp_path).fit()
    assert summary["final"]["val_accuracy"] is None and summary["final"]["val_loss"] > 0


@pytest.mark.skipif(gradcli.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_is_a_clear_error(tmp_path):
    with pytest.raises(DeviceError, match="CUDA device requested"):
        Trainer(config(), gradcli.device("cuda"))


def test_non_finite_weights_are_never_written(tmp_path):
    run = session.start(config(**{"train.checkpoint.every_steps": 1}), run_dir=tmp_path)
    step = run.trainer.optimizer.step

    def overflowing_step():
        step()
        if run.trainer.state.step == 1:  # the second step leaves an infinite weight
            run.trainer.model[0].weight._data[0, 0] = float("inf")

    run.trainer.optimizer.step = overflowing_step
    last = tmp_path / "checkpoints" / "last.safetensors"
    with pytest.raises(NonFiniteError, match="weights became non-finite at step 2") as e:
        run.fit()
    assert f"the last good checkpoint is {last} (step 1)" in str(e.value)
    assert checkpoint.load(last).meta["state"]["step"] == 1


class EventLog(Callback):
    """A run output defined here, in the test: it only has to be registered."""

    events: list = []

    @classmethod
    def for_run(cls, config, run_dir, command=None):
        return cls()

    def on_train_start(self, trainer):
        self.events.append("start")

    def on_epoch_end(self, trainer, row):
        self.events.append(f"epoch {row['epoch']}")

    def on_validation_end(self, trainer, metrics):
        self.events.append("val")

    def on_train_end(self, trainer, summary):
        summary["events"] = len(self.events)
        self.events.append("end")


def test_a_registered_run_output_hears_every_run(tmp_path):
    with OUTPUTS.temporarily("event_log", EventLog):
        session.start(config(**{"train.epochs": 2}), run_dir=tmp_path / "a").fit()
    assert EventLog.events == ["start", "val", "epoch 1", "val", "epoch 2", "end"]
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["events"] == 5
    EventLog.events.clear()
    session.start(config(), run_dir=tmp_path / "b").fit()
    assert EventLog.events == []  # unregistered: gone


def test_train_test_evaluates_the_best_checkpoint_on_the_test_split(tmp_path):
    cfg = config(**{"train.test": "true", "train.checkpoint.best_metric": "val_accuracy"})
    summary = session.start(cfg, run_dir=tmp_path).fit()
    best = tmp_path / "checkpoints" / "best.safetensors"
    expected = evaluate_checkpoint(best, "test")
    assert summary["test"]["checkpoint"] == str(best)
    assert summary["test"]["accuracy"] == expected["accuracy"] and expected["samples"] > 0
    assert json.loads((tmp_path / "summary.json").read_text())["test"] == summary["test"]


def test_non_finite_input_is_blamed_on_the_data():
    model = gradcli.nn.Linear(2, 3)
    x = gradcli.tensor([[1.0, float("nan")], [0.0, 1.0]])
    loss_fn = gradcli.nn.CrossEntropyLoss()
    why = explain_non_finite(model, loss_fn, x, gradcli.tensor([0, 1]), "blobs")
    assert why.startswith("the input batch itself holds 1 non-finite value(s): dataset 'blobs'")


def test_epochs_without_validation_do_not_compete_with_validated_ones(tmp_path):
    cfg = config(**{"train.epochs": 4, "train.val_every_epochs": 3,
                    "train.checkpoint.best_metric": "val_accuracy"})  # fmt: skip
    summary = session.start(cfg, run_dir=tmp_path).fit()
    assert summary["best"]["epoch"] in (3, 4)  # only epochs 3 and 4 were validated
    assert summary["best"]["value"] == summary["best"]["row"]["val_accuracy"]


def test_train_test_without_a_test_split_fails_before_training(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 2)).astype(np.float32), rng.integers(0, 3, 60)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    cfg = config(**{"data.dataset": "npz", "data.options": f"{{path: {tmp_path / 'd.npz'}}}",
                    "train.test": "true"})  # fmt: skip
    with pytest.raises(DataError, match="x_test"):
        session.start(cfg, run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_one_hot_targets_with_mse_train_and_count_accuracy(tmp_path):
    cfg = config(**{"data.transforms": "[one_hot]", "loss": "mse"})
    summary = session.start(cfg, run_dir=tmp_path).fit()
    assert 0 < summary["final"]["train_accuracy"] <= 1
    assert 0 < summary["final"]["val_accuracy"] <= 1
    ev = evaluate_checkpoint(tmp_path / "checkpoints" / "last.safetensors", "val")
    assert ev["accuracy"] == summary["final"]["val_accuracy"]


def test_train_steps_sets_the_schedule_length_too(tmp_path):
    cfg = config(**{"train.steps": 20, "scheduler": "cosine"})  # 6 batches an epoch: 4 epochs
    run = session.start(cfg, run_dir=tmp_path)
    summary = run.fit()
    assert run.trainer.total_epochs == 4 and summary["epochs"] == 4 and summary["steps"] == 20
    assert run.trainer.schedule.scheduler.T_max == 4


def test_damaged_callback_state_fails_the_resume_not_a_later_epoch(tmp_path):
    session.start(config(), run_dir=tmp_path).fit()
    path = tmp_path / "checkpoints" / "last.safetensors"
    ck = checkpoint.load(path)
    ck.meta["callbacks"]["checkpoints"]["best"] = "x"
    checkpoint.save(path, ck)
    with pytest.raises(CheckpointError, match="callback state 'best' is 'x'"):
        session.resume(tmp_path, ["train.epochs=4"])


def test_a_run_that_stopped_mid_epoch_at_train_steps_is_not_extended(tmp_path):
    session.start(config(**{"train.steps": 8}), run_dir=tmp_path).fit()  # 6 batches an epoch
    with pytest.raises(CheckpointError, match="cannot be extended"):
        session.resume(tmp_path, ["train.steps=12"])
    with session.resume(tmp_path) as same:  # resuming a finished run is harmless
        assert same.fit()["steps"] == 8


def test_a_failed_resume_of_a_loose_checkpoint_leaves_nothing_behind(tmp_path):
    session.start(config(), run_dir=tmp_path / "a").fit()
    ck = checkpoint.load(tmp_path / "a" / "checkpoints" / "last.safetensors")
    ck.meta["callbacks"]["checkpoints"]["best"] = "x"
    checkpoint.save(tmp_path / "loose.safetensors", ck)
    runs = tmp_path / "runs"
    with pytest.raises(CheckpointError, match="callback state"):
        session.resume(tmp_path / "loose.safetensors", [f"output.runs_dir={runs}"])
    assert [p for p in runs.rglob("*") if not p.is_dir()] == []
    assert list((runs / "t").iterdir()) == []  # the new run folder is gone again


def test_a_float64_run_evaluates_and_tests_in_float64(tmp_path):
    summary = session.start(
        config(dtype="float64", **{"train.test": "true"}), run_dir=tmp_path
    ).fit()
    assert summary["test"]["samples"] > 0 and "error" not in summary["test"]
    ev = evaluate_checkpoint(tmp_path / "checkpoints" / "last.safetensors", "val")
    assert ev["accuracy"] == summary["final"]["val_accuracy"]


def test_a_one_cycle_run_is_not_stretched_on_resume(tmp_path):
    session.start(config(scheduler="{type: onecycle, max_lr: 0.2}"), run_dir=tmp_path).fit()
    with pytest.raises(CheckpointError, match="made for 18 steps but the run would now take 30"):
        session.resume(tmp_path, ["train.epochs=5"])
