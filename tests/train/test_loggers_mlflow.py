"""output.loggers: mlflow, read back with MLflow's client from a SQLite store in tmp."""

import os
import signal
import sys

import pytest
from loggers_runs import LOGGED, crash, csv_series, train
from test_trainer import config

from gradcli.errors import ConfigError
from gradcli.train import session
from gradcli.train.state import Callback, TrainingInterrupted

pytest.importorskip("mlflow", reason="needs the mlflow extra")
pytest.importorskip("sqlalchemy", reason="the SQLite store needs sqlalchemy")
from mlflow.tracking import MlflowClient  # noqa: E402

from gradcli.train.loggers.mlflow_logger import flat_params  # noqa: E402

ML = {"output.loggers": "[csv, mlflow]"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # one database for the module: making one takes seconds; runs are told apart by name
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    # made here, else MLflow would keep the artifacts of a store it was given in ./mlruns
    MlflowClient(uri).create_experiment("t", artifact_location=(folder / "artifacts").as_uri())
    return uri


@pytest.fixture
def client(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    return MlflowClient(store)


def runs_named(client, name):
    experiment = client.get_experiment_by_name("t")  # the config's name
    return client.search_runs([experiment.experiment_id], f"attributes.run_name = '{name}'")


def assert_same_as_resumed_csv(client, run_dir, run_id):
    """Each step once, with metrics.csv's values (float64 both: exactly). The steps a crashed
    process logged after its checkpoint keep its values, as MLflow cannot take points back:
    the resumed process computes the same ones again, but not its speed."""
    expected = csv_series(run_dir)
    assert set(client.get_run(run_id).data.metrics) == set(expected)
    for key, points in expected.items():
        logged = sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
        if key.endswith("samples_per_s"):  # (the resumed one has none for epoch 1's steps)
            steps = [s for s, _ in logged]
            assert len(set(steps)) == len(steps) and {s for s, _ in points} <= set(steps), key
        else:
            assert logged == points, key


def test_params_metrics_artifacts_and_status(client, tmp_path):
    run_dir = tmp_path / "a"
    train(run_dir, **LOGGED, **ML, **{"train.test": "true"})
    (run,) = runs_named(client, "a")
    assert run.info.status == "FINISHED"
    assert run.data.tags["gradcli.run_dir"] == str(run_dir.resolve())
    params = run.data.params
    assert params["optimizer.lr"] == "0.1" and params["data.options.n_samples"] == "400"
    assert params["model.layers.0.linear.out_features"] == "16"
    assert params["model.layers.1"] == "relu" and params["model.input_shape"] == "[2]"
    assert params["train.grad_clip.max_norm"] == "1.0" and params["scheduler"] == "null"
    assert params["output.loggers"] == '["csv", "mlflow"]'
    metrics = run.data.metrics
    test = {k: v for k, v in metrics.items() if k.startswith("test/")}
    assert set(test) == {"test/loss", "test/accuracy"}
    del metrics["test/loss"], metrics["test/accuracy"]
    assert {"step/grad_norm", "epoch/val_accuracy"} <= set(metrics)
    expected = csv_series(run_dir)
    for key, points in expected.items():
        history = client.get_metric_history(run.info.run_id, key)
        assert [(m.step, m.value) for m in history] == points, key
    files = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert files == {"checkpoints", "curves.png", "summary.json", "config.yaml"}
    best = client.download_artifacts(run.info.run_id, "checkpoints/best.safetensors", tmp_path)
    assert open(best, "rb").read() == (run_dir / "checkpoints" / "best.safetensors").read_bytes()


def test_a_crashed_run_is_failed_and_its_resume_continues_it(client, tmp_path):
    run_dir = tmp_path / "b"
    crash(run_dir, **ML)
    (run,) = runs_named(client, "b")
    assert run.info.status == "FAILED"
    session.resume(run_dir).fit()
    (resumed,) = runs_named(client, "b")
    assert resumed.info.run_id == run.info.run_id and resumed.info.status == "FINISHED"
    # the crashed process logged steps 8 and the end of epoch 1 after its checkpoint (step 6):
    # the resumed one replays them, each is held once
    assert_same_as_resumed_csv(client, run_dir, run.info.run_id)


class _Sigint(Callback):
    def on_step_end(self, trainer):
        if trainer.state.step == 4:
            os.kill(os.getpid(), signal.SIGINT)


def test_an_interrupted_run_is_killed_and_resumes_in_the_same_run(client, tmp_path):
    run_dir = tmp_path / "c"
    run = session.start(config(**LOGGED, **ML), run_dir=run_dir)
    run.trainer.callbacks.append(_Sigint())
    with pytest.raises(TrainingInterrupted):
        run.fit()
    (killed,) = runs_named(client, "c")
    assert killed.info.status == "KILLED"
    assert [m.step for m in client.get_metric_history(killed.info.run_id, "step/lr")] == [2, 4]
    session.resume(run_dir).fit()
    (finished,) = runs_named(client, "c")
    assert finished.info.run_id == killed.info.run_id and finished.info.status == "FINISHED"
    assert_same_as_resumed_csv(client, run_dir, killed.info.run_id)


def test_resumed_into_another_folder_is_a_new_run_that_names_the_first(client, tmp_path):
    crash(tmp_path / "d", **ML)
    session.resume(tmp_path / "d", run_dir=tmp_path / "e").fit()
    (first,), (second,) = runs_named(client, "d"), runs_named(client, "e")
    assert second.data.tags["gradcli.resumed_from"] == first.info.run_id
    assert second.info.status == "FINISHED" and first.info.status == "FAILED"
    assert_same_as_resumed_csv(client, tmp_path / "e", second.info.run_id)


def test_without_a_tracking_uri_mlruns_is_next_to_runs_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    runs = tmp_path / "runs"
    session.start(config(**ML, **{"output.runs_dir": str(runs)})).fit()
    local = MlflowClient(f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}")
    (run,) = local.search_runs([local.get_experiment_by_name("t").experiment_id])
    assert run.info.run_name == next((runs / "t").iterdir()).name
    assert run.info.artifact_uri.startswith((tmp_path / "mlruns" / "artifacts").as_uri())
    assert (tmp_path / "mlruns" / "artifacts").is_dir()


def test_params_are_cut_to_mlflow_limits():
    from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_PARAM_VAL_LENGTH

    flat = dict(flat_params({"data": {"options": {"path": "x" * 7000, "a:b/c": [1, {"k": None}]}},
                             "k" * 300: True}))  # fmt: skip
    assert flat["data.options.path"] == "x" * MAX_PARAM_VAL_LENGTH
    assert flat["data.options.a_b_c.0"] == "1" and flat["data.options.a_b_c.1.k"] == "null"
    assert flat["k" * MAX_ENTITY_KEY_LENGTH] == "true"


def test_missing_extra_is_one_line_before_any_folder(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(ConfigError) as e:
        session.start(config(**ML), run_dir=tmp_path / "run")
    assert str(e.value) == (
        "--set output.loggers=[csv, mlflow]: output.loggers: mlflow needs the mlflow extra: "
        "pip install 'gradcli[mlflow]'"
    )
    assert not (tmp_path / "run").exists()


def test_the_local_store_without_sqlalchemy_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(ConfigError, match="mlflow's local store .* needs sqlalchemy: pip install"):
        session.start(config(**ML), run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_turned_on_at_a_resume_it_starts_with_the_run_so_far(client, tmp_path):
    run_dir = tmp_path / "f"
    train(run_dir, **LOGGED)
    session.resume(run_dir, ["train.epochs=4", "output.loggers=[csv, mlflow]"]).fit()
    (run,) = runs_named(client, "f")
    assert_same_as_resumed_csv(client, run_dir, run.info.run_id)
    history = client.get_metric_history(run.info.run_id, "epoch/val_loss")
    assert [m.step for m in history] == [6, 12, 18, 24]


def test_a_store_that_refuses_is_one_line_and_the_run_ends_failed(client, tmp_path, monkeypatch):
    from mlflow.exceptions import MlflowException

    from gradcli.train.loggers.common import LoggerError

    def refuse(self, run_id, metrics=(), params=(), tags=(), **kwargs):
        if metrics:
            raise MlflowException("the store is read-only\nmore detail")

    monkeypatch.setattr(MlflowClient, "log_batch", refuse)
    with pytest.raises(LoggerError) as e:
        train(tmp_path / "g", **ML)
    assert str(e.value).startswith("mlflow: cannot log to sqlite:///")
    assert str(e.value).endswith(": the store is read-only")
    (run,) = runs_named(client, "g")
    assert run.info.status == "FAILED"
