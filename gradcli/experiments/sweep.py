"""Hyperparameter sweeps on Optuna: the library side of `gradcli sweep`.

    sweep = create("configs/spirals_mlp.yaml", ["optimizer.lr=log:1e-4..1e-1"], trials=8)
    records = run(sweep, jobs=2)          # or run(load("runs/spirals-mlp/sweeps/<stamp>"))
    best_yaml, plot = finish(sweep)

Every parameter is checked against the config before the sweep folder exists (see
`sweep_space`); the folder's layout and how stopped trials continue are in `sweep_store`, a
trial itself in `sweep_trial`, running trials at once in `sweep_pool`.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

from gradcli.config.load import load_data, read_config
from gradcli.errors import ConfigError
from gradcli.experiments.sweep_pool import SweepInterrupted, run
from gradcli.experiments.sweep_report import finish, records
from gradcli.experiments.sweep_space import GRID_MAX, Param, check, normalise_key, parse, parse_spec
from gradcli.experiments.sweep_store import (
    CONFIG_FILE,
    Sweep,
    SweepSpec,
    load,
    open_study,
    optuna,
)
from gradcli.train.run import claim_empty_dir, new_run_dir

__all__ = ["create", "join", "load", "run", "finish", "records", "Sweep", "SweepInterrupted"]
SAMPLERS = ("tpe", "random", "grid")
METRICS = ("val_loss", "val_accuracy", "train_loss")
DEFAULT_TRIALS = 20
_ATTR = "gradcli"  # the study attribute holding the sweep's spec and config, for joiners


def create(config, params=(), sets=(), *, trials=None, sampler=None, metric=None, prune=None,
           jobs=None, storage=None, study=None, folder=None, device=None,
           data_root=None) -> Sweep:  # fmt: skip
    """A new sweep of `config` (a YAML file) over `params` (KEY=SPEC strings) and the config's
    `sweep:` section; flags given here win over the section. Nothing is written until every
    parameter has been tried on the config."""
    optuna()  # the extra is missing: say so before anything else
    raw, source = read_config(config)
    sets = [*sets]
    base = load_data(copy.deepcopy(raw), copy.copy(source), sets)
    section = base.sweep
    if section is not None:
        sets.append("sweep=null")  # a trial's own config searches nothing
    given: dict[str, Param] = {}
    for key, spec in (section.params if section else {}).items():
        where = f"{base.where('sweep', 'params', key)}: sweep.params"
        text = spec if isinstance(spec, str) else ",".join(str(v) for v in spec)
        given[normalise_key(key)] = parse_spec(normalise_key(key), text, where)
    for text in params:
        p = parse(text)
        given[p.key] = p
    if not given:
        raise ConfigError(
            "nothing to sweep: give --param KEY=SPEC (e.g. --param optimizer.lr=log:1e-4..1e-1) "
            "or a sweep: section with params in the config"
        )
    checked = check(list(given.values()), raw, source, sets)
    sampler = sampler or (section.sampler if section else "tpe")
    if sampler not in SAMPLERS:
        raise ConfigError(f"--sampler {sampler}: choose one of {', '.join(SAMPLERS)}")
    metric = metric or (section and section.metric) or base.train.checkpoint.best_metric
    metric = metric or "val_loss"
    if metric not in METRICS:
        raise ConfigError(f"--metric {metric}: choose one of {', '.join(METRICS)}")
    if prune is None:
        prune = section.prune if section and section.prune is not None else sampler == "tpe"
    trials = trials or (section and section.trials) or None
    points = _grid(checked) if sampler == "grid" else None
    if points is not None:
        trials = min(trials or len(points), len(points))
    folder = _new_folder(folder, base)
    spec = SweepSpec(
        params=[f"{p.key}={p.spec}" for p in checked], trials=trials or DEFAULT_TRIALS,
        sampler=sampler, metric=metric, prune=bool(prune), sets=sets, seed=base.seed,
        study=study or f"{base.name}-{folder.name}", jobs=jobs or (section.jobs if section else 1),
        device=device, data_root=str(data_root) if data_root else None, storage=storage,
    )  # fmt: skip
    try:
        shutil.copyfile(config, folder / CONFIG_FILE)
        sweep = Sweep(folder, spec, checked)
        sweep.save_spec()
        _publish(sweep, Path(config).read_text(encoding="utf-8"), points)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return sweep


def _grid(params: list[Param]) -> list[dict]:
    """Every combination of the grid, in a fixed shuffled order: a grid cut short by --trials
    still spreads over the whole space."""
    import itertools
    import random

    size = 1
    for p in params:
        size *= len(p.grid())
        if size > GRID_MAX:
            raise ConfigError(f"the grid has more than {GRID_MAX:,} points; give fewer values, "
                              "or use --sampler tpe or random")  # fmt: skip
    keys = [p.key for p in params]
    points = [dict(zip(keys, values)) for values in itertools.product(*(p.grid() for p in params))]
    random.Random(0).shuffle(points)
    return points


def _new_folder(folder, base) -> Path:
    try:
        if folder is None:
            return new_run_dir(Path(base.output.runs_dir) / base.name, "sweeps")
        folder = Path(folder)
        if not claim_empty_dir(folder):
            raise ConfigError(f"--sweep-dir {folder} is not an empty folder; give a new one, "
                              f"or --resume {folder} to continue its sweep")  # fmt: skip
        return folder
    except OSError as e:
        raise ConfigError(
            f"cannot create the sweep folder ({e.strerror or e}); point "
            "output.runs_dir or --sweep-dir at a writable folder"
        ) from None


def _publish(sweep: Sweep, config_text: str, points) -> None:
    """Make the study (or check the one there searches the same way) and queue the grid."""
    study = open_study(sweep.spec, sweep.storage_url, create=True)
    stored = study.user_attrs.get(_ATTR)
    if stored is not None:
        theirs = SweepSpec.from_dict(stored["spec"], f"study {sweep.spec.study}")
        if not theirs.searches_like(sweep.spec):
            raise ConfigError(
                f"study '{sweep.spec.study}' in the storage searches other params or settings; "
                "give another --study name, or join it with --storage URL --study NAME alone"
            )
        return
    spec = dict(vars(sweep.spec), storage=None)  # joiners give their own URL
    study.set_user_attr(_ATTR, {"spec": spec, "config": config_text})
    for point in points or ():
        study.enqueue_trial(point)


def join(storage: str, study: str, *, folder=None, jobs=None, device=None, data_root=None,
         runs_dir=None) -> Sweep:  # fmt: skip
    """A local folder for a sweep another machine made in a shared `storage`: the same params,
    config and settings, read from the study."""
    probe = SweepSpec(params=[], trials=1, sampler="random", metric="val_loss", prune=False,
                      study=study, storage=storage)  # fmt: skip
    stored = open_study(probe, storage, create=False).user_attrs.get(_ATTR)
    if not isinstance(stored, dict) or "spec" not in stored:
        raise ConfigError(f"study '{study}' was not made by gradcli sweep; nothing to join")
    spec = SweepSpec.from_dict(stored["spec"], f"study {study}")
    spec.storage, spec.jobs = storage, jobs or spec.jobs
    spec.device, spec.data_root = device or spec.device, data_root or spec.data_root
    config_path = None
    folder_made = None
    try:
        if folder is None:
            import yaml

            name = (yaml.safe_load(stored["config"]) or {}).get("name", "sweep")
            folder = new_run_dir(Path(runs_dir or "runs") / str(name), "sweeps")
        folder_made = _new_folder(folder, None)
        config_path = folder_made / CONFIG_FILE
        config_path.write_text(stored["config"], encoding="utf-8")
        raw, source = read_config(config_path)
        params = check([parse(t) for t in spec.params], raw, source, spec.sets)
        sweep = Sweep(folder_made, spec, params)
        sweep.save_spec()
    except BaseException:
        if folder_made is not None:
            shutil.rmtree(folder_made, ignore_errors=True)
        raise
    return sweep
