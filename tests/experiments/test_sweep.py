"""`gradcli sweep`: the SPEC grammar, errors before anything is written, a whole sweep through
the CLI, grids, pruning, the config's sweep: section, and trials in parallel processes."""

import itertools
import json
import os
import sys

import pytest
import yaml
from sweep_helpers import gradcli, sweep_folders, tiny_config

from gradcli.config.load import load_config
from gradcli.errors import ConfigError, GradcliError
from gradcli.experiments import sweep as lib
from gradcli.experiments.sweep_pool import child_env
from gradcli.experiments.sweep_space import parse

pytest.importorskip("optuna")


@pytest.mark.parametrize(
    "text, kind, low, high, step, log, choices",
    [
        ("optimizer.lr=log:1e-4..1e-1", "float", 1e-4, 0.1, None, True, ()),
        ("model.layers[0].linear=int:32..256:32", "int", 32, 256, 32, False, ()),
        ("optimizer.momentum=0.8..0.99", "float", 0.8, 0.99, None, False, ()),
        ("train.epochs=1..3", "int", 1, 3, None, False, ()),
        ("data.batch_size=logint:16..256", "int", 16, 256, None, True, ()),
        ("optimizer.lr=1e-3,1e-2,0.1", "choice", None, None, None, False, (1e-3, 1e-2, 0.1)),
        ("optimizer.type=adam, sgd", "choice", None, None, None, False, ("adam", "sgd")),
    ],
)
def test_spec_grammar(text, kind, low, high, step, log, choices):
    p = parse(text)
    assert (p.kind, p.low, p.high, p.step, p.log, p.choices) == (kind, low, high, step, log,
                                                                 choices)  # fmt: skip
    assert "[" not in p.key  # model.layers[0].linear is written model.layers.0.linear


@pytest.mark.parametrize(
    "param, expected",
    [
        ("optimizer.lrx=log:1e-4..1e-1", "optimizer.lrx: unknown key 'lrx'; did you mean 'lr'?"),
        ("optimizer.lr=-1,0.1", "optimizer.lr: Input should be greater than 0"),
        ("data.batch_size=uniform:16..64", "is a whole number; sweep it with int:16..64"),
        ("model.layers[7].linear=int:8..32", "model.layers[7] does not exist"),
        ("optimizer.lr=log:0..1", "a log range must be above 0"),
        ("optimizer.lr=0.1..0.01", "the range is empty"),
        ("optimizer.lr", "expected KEY=SPEC"),
    ],
)
def test_bad_param_is_one_line_before_any_folder(tmp_path, param, expected):
    config = tiny_config(tmp_path)
    with pytest.raises(ConfigError) as e:
        lib.create(config, [param], trials=2)
    assert expected in str(e.value) and "\n" not in str(e.value)
    assert "--param" in str(e.value)
    assert not (tmp_path / "runs").exists()


def test_cli_bad_param_exits_2_with_one_line(tmp_path):
    config = tiny_config(tmp_path)
    proc = gradcli("sweep", config, "-p", "optimizer.momentum=0.5..0.9", "-n", "2")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert out.strip().splitlines() == [
        "error: --param optimizer.momentum=0.5..0.9 (trying 0.5): optimizer.momentum: unknown "
        "key 'momentum'"
    ], out
    assert not (tmp_path / "runs").exists()


def test_four_trial_sweep_through_the_cli(tmp_path):
    config = tiny_config(tmp_path)
    params = ["-p", "optimizer.lr=log:1e-3..1e-1", "-p", "model.layers[0].linear=int:8..32"]
    proc = gradcli("sweep", config, *params, "-n", "4", "--sampler", "random")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    (folder,) = sweep_folders(tmp_path)
    assert "4 trials in" in out and "best first by val_loss" in out
    for n in range(4):
        assert f"trials/{n:04d}" in out
        summary = json.loads((folder / "trials" / f"{n:04d}" / "summary.json").read_text())
        assert summary["sweep"]["trial"] == n and summary["sweep"]["pruned"] is None
    best = load_config(folder / "best.yaml")  # gradcli's own loader: a trainable config
    assert best.sweep is None
    swept = lib.load(folder)
    top = lib.records(swept)[0]
    assert best.optimizer.lr == pytest.approx(top.params["optimizer.lr"])
    assert best.model.layers[0].out_features == top.params["model.layers.0.linear"]
    assert (folder / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    values = [r.value for r in lib.records(swept)]
    assert values == sorted(values) and len(values) == 4
    # a finished sweep grows with --resume and a new total: one more trial, the rest kept
    more = gradcli("sweep", "--resume", folder, "--trials", "5")
    out, _ = more.communicate(timeout=300)
    assert more.returncode == 0, out
    assert "trial 4 started" in out and "trial 3 started" not in out
    assert len(lib.records(lib.load(folder))) == 5


def test_grid_covers_exactly_the_grid(tmp_path):
    config = tiny_config(tmp_path, epochs=1)
    sweep = lib.create(config, ["optimizer.lr=0.01,0.05", "model.layers[0].linear=int:8..12:4"],
                       sampler="grid")  # fmt: skip
    assert sweep.spec.trials == 4
    found = lib.run(sweep)
    assert {r.state for r in found} == {"complete"}
    tried = sorted((r.params["optimizer.lr"], r.params["model.layers.0.linear"]) for r in found)
    assert tried == sorted(itertools.product([0.01, 0.05], [8, 12]))
    for r in found:  # each trial trained the values it says
        ran = yaml.safe_load((tmp_path / r.run_dir / "config.yaml").read_text())
        assert ran["optimizer"]["lr"] == r.params["optimizer.lr"]


def test_a_bad_trial_is_pruned_and_its_run_says_so(tmp_path):
    config = tiny_config(tmp_path, epochs=4)
    sweep = lib.create(config, ["optimizer.lr=log:1e-6..1e-1"], trials=3, sampler="random",
                       prune=True)  # fmt: skip
    for lr in (0.05, 0.05, 1e-6):  # two good trials set the median, then a hopeless one
        sweep.study.enqueue_trial({"optimizer.lr": lr})
    found = {r.number: r for r in lib.run(sweep)}
    assert [found[n].state for n in range(3)] == ["complete", "complete", "pruned"]
    pruned = found[2]
    assert pruned.epochs == 2  # judged from the second epoch on
    summary = json.loads((tmp_path / pruned.run_dir / "summary.json").read_text())
    assert summary["stopped_early"] is True and summary["epochs"] == 2
    assert summary["sweep"]["pruned"]["epoch"] == 2
    assert lib.finish(sweep)[0] is not None


def test_sweep_section_of_the_config(tmp_path):
    section = """
sweep:
  params:
    optimizer.lr: [0.01, 0.05]
    model.layers[0].linear: int:8..16:8
  sampler: grid
"""
    config = tiny_config(tmp_path, epochs=1, extra=section)
    sweep = lib.create(config, ["optimizer.lr=0.02,0.03,0.04"])  # a flag wins over the section
    assert sweep.spec.sampler == "grid" and sweep.spec.trials == 6
    assert "sweep=null" in sweep.spec.sets
    bad = tiny_config(tmp_path, extra=section.replace("int:8..16:8", "int:8..x"))
    with pytest.raises(ConfigError, match=r"tiny.yaml:\d+:\d+: sweep.params model.layers.0"):
        lib.create(bad)


def test_two_jobs_run_trials_at_once(tmp_path):
    config = tiny_config(tmp_path, epochs=3, samples=3000)
    sweep = lib.create(config, ["optimizer.lr=0.01,0.02"], sampler="grid", jobs=2)
    env = child_env(sweep, 2)
    share = str(max(1, len(os.sched_getaffinity(0)) // 2))
    assert env["GRADCLI_THREADS"] == env["OMP_NUM_THREADS"] == share
    found = lib.run(sweep)
    assert [r.state for r in found] == ["complete", "complete"]
    first, second = sorted(found, key=lambda r: r.started)
    assert second.started < first.ended  # the second began before the first had ended
    assert len({r.run_dir for r in found}) == 2


def test_two_machines_share_one_study_through_its_storage(tmp_path):
    config = tiny_config(tmp_path, epochs=1)
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = lib.create(config, ["optimizer.lr=log:1e-3..1e-1"], trials=3, sampler="random",
                       storage=url, study="shared", folder=tmp_path / "a")  # fmt: skip
    # a second machine joins from the storage alone: same params, config and settings
    second = lib.join(url, "shared", folder=tmp_path / "b")
    assert second.spec.params == first.spec.params and second.spec.trials == 3
    assert (tmp_path / "b" / "config.yaml").read_text() == config.read_text()
    second.spec.trials = 2  # this machine makes two of them
    assert len(lib.run(second)) == 2
    found = lib.run(first)  # the first makes the third, and sees all three
    assert [r.state for r in found] == ["complete"] * 3
    where = sorted(str(tmp_path / r.run_dir).split("/")[-3] for r in found)
    assert where == ["a", "b", "b"]
    assert lib.finish(first)[0].is_file()
    with pytest.raises(ConfigError, match="searches other params"):
        lib.create(config, ["optimizer.lr=0.1,0.2"], storage=url, study="shared",
                   folder=tmp_path / "c")  # fmt: skip
    assert not (tmp_path / "c").exists()


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path):
    # dataset options are the dataset's to check: this one fails when its trial builds the data
    config = tiny_config(tmp_path, epochs=2)
    sweep = lib.create(config, ["data.options.n_samples=300,-5"], sampler="grid")
    found = {r.params["data.options.n_samples"]: r for r in lib.run(sweep)}
    assert found[300].state == "complete"
    assert found[-5].state == "failed"
    assert found[-5].error == "spirals: n_samples must be a positive integer, got -5"
    best_yaml, _ = lib.finish(sweep)
    assert load_config(best_yaml).data.options["n_samples"] == 300


def test_without_optuna_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    with pytest.raises(GradcliError, match=r"^sweeps need Optuna: pip install 'gradcli\[sweep\]'$"):
        lib.create(tiny_config(tmp_path), ["optimizer.lr=0.1,0.2"])
    assert not (tmp_path / "runs").exists()
