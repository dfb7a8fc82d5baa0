"""A sweep's folder and its Optuna study: what is searched, which trials exist, retries.

    runs/<name>/sweeps/<stamp>/
        sweep.json      what is searched (params, trials, sampler, metric, storage)
        config.yaml     the config as given: every trial starts from this copy
        study.db        the Optuna study (SQLite), unless --storage names another database
        trials/0003/    trial 3's run folder, an ordinary run (resumable, `gradcli eval`-able)
        logs/           the output of trials run in parallel processes
        best.yaml, sweep.png   written when the sweep ends

A trial that stopped without finishing (Ctrl-C, a killed process) is marked failed and queued
again with the same values; the new trial continues the stopped one's run folder from its last
checkpoint. Only failed trials that were queued again are not counted towards `trials`.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gradcli.config.load import read_config
from gradcli.errors import ConfigError, GradcliError
from gradcli.experiments.sweep_space import Param, check, override, parse

SPEC_FILE, CONFIG_FILE, DB_FILE = "sweep.json", "config.yaml", "study.db"
FORMAT = "gradcli-sweep/1"
MAX_ATTEMPTS = 3  # a trial stopped this often (killed for memory, say) is not queued again


def optuna():
    """The optuna module, or a one-line error naming the extra that installs it."""
    try:
        import optuna as module
    except ImportError:
        raise GradcliError("sweeps need Optuna: pip install 'gradcli[sweep]'") from None
    module.logging.set_verbosity(module.logging.WARNING)  # not a line per trial on stderr
    return module


@dataclass
class SweepSpec:
    """What a sweep searches and how; sweep.json, and the study's `gradcli` attribute."""

    params: list[str]  # KEY=SPEC
    trials: int
    sampler: str
    metric: str
    prune: bool
    study: str
    sets: list[str] = field(default_factory=list)  # --set overrides of every trial
    seed: int = 0
    jobs: int = 1
    device: str | None = None
    data_root: str | None = None
    storage: str | None = None  # None: study.db in the sweep folder
    format: str = FORMAT

    @property
    def direction(self) -> str:
        return "maximize" if "accuracy" in self.metric else "minimize"

    def searches_like(self, other: SweepSpec) -> bool:
        keys = ("params", "sets", "sampler", "metric", "prune")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    @classmethod
    def from_dict(cls, data: dict, where: str) -> SweepSpec:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ConfigError(f"{where}: not a gradcli sweep (format {FORMAT})")
        try:
            return cls(**data)
        except TypeError as e:
            raise ConfigError(f"{where}: damaged sweep description ({e})") from None


class Sweep:
    """A sweep folder and its study. `params` are checked against the config already."""

    def __init__(self, folder: Path, spec: SweepSpec, params: list[Param]):
        self.folder, self.spec, self.params = Path(folder), spec, params
        self._study = None

    @property
    def config_path(self) -> Path:
        return self.folder / CONFIG_FILE

    @property
    def storage_url(self) -> str:
        return self.spec.storage or f"sqlite:///{(self.folder / DB_FILE).resolve()}"

    @property
    def grid(self) -> bool:
        return self.spec.sampler == "grid"

    def distributions(self) -> dict:
        op = optuna()
        if self.grid:  # every point is queued when the sweep is made: these only type them
            return {p.key: op.distributions.CategoricalDistribution(p.grid()) for p in self.params}
        return {p.key: p.distribution() for p in self.params}

    @property
    def study(self):
        if self._study is None:
            self._study = open_study(self.spec, self.storage_url, create=False)
        return self._study

    def overrides(self, values: dict) -> list[str]:
        """The `--set` items of a trial with these parameter values."""
        return [*self.spec.sets, *(override(p.key, values[p.key]) for p in self.params)]

    def counted(self) -> list:
        """The trials that count towards `trials`: all but those stopped and queued again, and
        queued ones not yet started."""
        states = optuna().trial.TrialState
        return [t for t in self.study.get_trials(deepcopy=False)
                if t.state != states.WAITING and not t.user_attrs.get("requeued")]  # fmt: skip

    def remaining(self) -> int:
        return max(0, self.spec.trials - len(self.counted()))

    def requeue(self, number: int, why: str) -> bool:
        """Fail a trial that stopped without finishing and queue its values again (its run
        folder continues). False when it had already finished."""
        study, op = self.study, optuna()
        trial = study.get_trials(deepcopy=False)[number]
        if trial.state != op.trial.TrialState.RUNNING:
            return False
        attempt = trial.user_attrs.get("attempt", 1)
        again = attempt < MAX_ATTEMPTS and len(trial.params) == len(self.params)
        storage = study._storage  # a finished trial's attributes can no longer be set
        storage.set_trial_user_attr(trial._trial_id, "stopped", why)
        storage.set_trial_user_attr(trial._trial_id, "requeued", again)
        try:
            study.tell(number, state=op.trial.TrialState.FAIL)
        except RuntimeError:  # another process finished it meanwhile
            return False
        if again:
            attrs = {"retry_of": trial.user_attrs.get("retry_of", number), "attempt": attempt + 1}
            if trial.user_attrs.get("run_dir"):
                attrs["resume_from"] = trial.user_attrs["run_dir"]
            study.enqueue_trial(trial.params, user_attrs=attrs)
        return True

    def requeue_stale(self) -> list[int]:
        """Trials left running by a process of this machine that is gone (killed, say). Trials
        of other machines sharing the storage are theirs to requeue."""
        running = optuna().trial.TrialState.RUNNING
        host, stale = socket.gethostname(), []
        for t in self.study.get_trials(deepcopy=False, states=(running,)):
            pid = t.user_attrs.get("pid")
            if t.user_attrs.get("host", host) == host and not _alive(pid):
                if self.requeue(t.number, "its process ended without finishing it"):
                    stale.append(t.number)
        return stale

    def save_spec(self) -> None:
        text = json.dumps(asdict(self.spec), indent=2) + "\n"
        (self.folder / SPEC_FILE).write_text(text, encoding="utf-8")


def _alive(pid) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def open_study(spec: SweepSpec, url: str, create: bool):
    """The study over `url`, with the spec's sampler and pruner (samplers are not stored: each
    process makes its own). The random samplers are seeded by the trials made so far, so a
    resumed sweep does not draw the values it drew before."""
    op = optuna()
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:
        storage = op.storages.RDBStorage(url, engine_kwargs=kwargs)
        if not create:
            op.load_study(study_name=spec.study, storage=storage)  # exists?
        study = op.create_study(storage=storage, study_name=spec.study,
                                direction=spec.direction, load_if_exists=True)  # fmt: skip
    except KeyError:
        raise ConfigError(f"no study '{spec.study}' in {_safe(url)}") from None
    except (ImportError, ValueError, op.exceptions.OptunaError) as e:
        detail = " ".join(str(e).split())[:200]
        raise ConfigError(f"--storage {_safe(url)}: cannot open the study ({detail})") from None
    seed = spec.seed + len(study.get_trials(deepcopy=False))
    if spec.sampler == "tpe":
        startup = max(2, min(10, spec.trials // 3))
        study.sampler = op.samplers.TPESampler(seed=seed, n_startup_trials=startup)
    else:  # grid points are all queued, so only their retries or leftovers meet the sampler
        study.sampler = op.samplers.RandomSampler(seed=seed)
    if spec.prune:  # judged from the second epoch on, against at least two finished trials
        startup = max(2, min(5, spec.trials // 4))
        study.pruner = op.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=2)
    else:
        study.pruner = op.pruners.NopPruner()
    return study


def _safe(url: str) -> str:
    """A database URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/")[0]:
        who, _, where = rest.partition("@")
        return f"{scheme}://{who.split(':')[0]}:***@{where}"
    return url


def load(folder: Path, storage: str | None = None) -> Sweep:
    """The sweep in `folder` (for --resume), its params checked again against its config."""
    folder = Path(folder)
    path = folder / SPEC_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{folder}: not a sweep folder (no {SPEC_FILE}); give the folder "
                          "`gradcli sweep` printed") from None  # fmt: skip
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: cannot read it ({e})") from None
    spec = SweepSpec.from_dict(data, str(path))
    if storage is not None:
        spec.storage = storage
    raw, source = read_config(folder / CONFIG_FILE)
    params = check([parse(t) for t in spec.params], raw, source, spec.sets)
    return Sweep(folder, spec, params)


def host_attrs(trial) -> None:
    """Which process runs a trial: a resumed sweep requeues the trials of gone processes."""
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
