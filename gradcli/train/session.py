"""Start and resume runs: the library side of `gradcli train`.

    run = start(load_config("configs/quickstart.yaml"))      # or resume("runs/quickstart/<run>")
    summary = run.fit()

Everything is checked (config, data, model, checkpoint) before a run folder is created or
written to, so a bad input leaves nothing behind; a run folder is locked while it trains.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from gradcli.backend import cuda_available, resolve_device
from gradcli.config.build import build_model
from gradcli.config.load import Source, load_config, load_data
from gradcli.distributed import SINGLE, World, detect, for_device, launched_size, local_rank
from gradcli.distributed.startup import start_together
from gradcli.errors import CheckpointError, ConfigError, GradcliError
from gradcli.train import checkpoint as ckpt_io
from gradcli.train.callbacks import Checkpoints, run_outputs
from gradcli.train.loggers import check_loggers  # importing it registers the loggers
from gradcli.train.run import RunLock, claim_empty_dir, is_run_dir, mark, new_run_dir
from gradcli.train.state import NonFiniteError, TrainingInterrupted
from gradcli.train.trainer import Trainer


@dataclass
class Run:
    """A run ready to train: its trainer, folder, lock, and what a user should be told."""

    trainer: Trainer
    folder: Path | None  # None on ranks other than 0, which write nothing
    lock: RunLock | None
    notices: list[str] = field(default_factory=list)
    created: bool = False  # the folder is new: discard() removes it
    world: World = SINGLE

    def fit(self) -> dict:
        """Train to the end. Failures say what was saved; the folder is unlocked either way."""
        trainer = self.trainer
        saver = next((c for c in trainer.callbacks if isinstance(c, Checkpoints)), None)
        try:
            return trainer.fit()
        except TrainingInterrupted as e:
            last = saver.last[0] if saver and saver.last else None
            st = trainer.state
            raise TrainingInterrupted(e.signum, st.epoch + 1, st.step, last) from None
        except NonFiniteError as e:
            kept = saver.describe() if saver else "no checkpoints are written by this run"
            error = NonFiniteError(f"{e}; {kept}")
            error.collective = getattr(e, "collective", False)
            raise error from None
        finally:
            self.close()

    def close(self) -> None:
        """Release the run's files, display and folder lock (`fit` does it when it ends)."""
        for cb in self.trainer.callbacks:
            cb.close()
        if self.lock is not None:
            self.lock.release()

    def discard(self) -> None:
        """Close a run that will not train; a folder it created (still empty of results) goes."""
        self.close()
        if self.created and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start(
    config,
    overrides=(),
    *,
    run_dir=None,
    device=None,
    data_root=None,
    display=(),
    command=None,
    world=None,
) -> Run:
    """A new run of a config (validated, or a YAML file and its `--set` overrides), in a new
    folder (`run_dir`, or under runs_dir).

    Under an MPI launcher every rank calls it; rank 0 alone makes the folder."""
    world = world or detect()

    def build():
        nonlocal config
        if isinstance(config, str | Path):
            config = load_config(config, overrides)
        check_loggers(config)  # a missing extra fails before data is loaded or a folder made
        dev, notices = _device(device or config.device)
        trainer = Trainer(config, dev, data_root=data_root, world=_world(world, config, dev))
        if not world.is_main:
            return Run(trainer, None, None, world=world)
        folder = _new_folder(config, run_dir)
        return _assemble(trainer, folder, display, command, notices, world=world)

    return start_together(world, build, lambda run: run.trainer.config)


def resume(
    path,
    overrides=(),
    *,
    run_dir=None,
    device=None,
    data_root=None,
    display=(),
    command=None,
    world=None,
) -> Run:
    """Continue a run exactly where its checkpoint stopped, in the checkpoint's run folder.

    A checkpoint outside a run folder (copied elsewhere, say) or older than its run's last
    (best, an epoch copy) continues in a new folder, as does any run when `run_dir` is given;
    nothing is ever written into a folder that is not recognisably a run. The checkpoint holds
    no trace of how many ranks wrote it: any number can continue it.
    """
    world = world or detect()

    def build():
        if world.is_main:
            return _resume(path, overrides, run_dir, device, data_root, display, command, world)
        ck, config, ck_path = from_checkpoint(path, overrides)
        ckpt_io.check_resumable(ck, ck_path)
        dev, _ = _device(device or config.device)
        trainer = Trainer(config, dev, data_root=data_root, world=_world(world, config, dev))
        trainer.restore(ck, str(ck_path))
        return Run(trainer, None, None, world=world)

    return start_together(world, build, lambda run: run.trainer.config)


def _resume(path, overrides, run_dir, device, data_root, display, command, world) -> Run:
    ck, config, ck_path = from_checkpoint(path, overrides)
    ckpt_io.check_resumable(ck, ck_path)
    check_loggers(config)
    home, elsewhere = _resume_home(ck_path, run_dir)
    lock = folder = run = None
    if home is not None:
        lock = RunLock(home).acquire()  # before anything is built: fail fast when busy
    try:
        dev, notices = _device(device or config.device)
        trainer = Trainer(config, dev, data_root=data_root, world=_world(world, config, dev))
        if lock is None:
            folder = _new_folder(config, run_dir)
            where = f"{ck_path} {elsewhere}: continuing" if elsewhere else f"continuing {ck_path}"
            notices.append(f"{where} in {folder}")
        else:
            for folder_with_temps in (home, home / "checkpoints"):
                ckpt_io.remove_stale_temps(folder_with_temps)
        run = _assemble(trainer, folder or home, display, command, notices, lock, world)
        trainer.restore(ck, str(ck_path))
    except BaseException:
        if run is not None:
            run.close()
        elif lock is not None:
            lock.release()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)  # created above, holds nothing yet
        raise
    st = trainer.state
    if st.stopped_early:
        run.notices.append(f"{ck_path} ended its run early (epoch {st.epoch}): nothing to train")
    elif st.epoch >= trainer.total_epochs:  # it said "resumed from epoch 4" of a 3-epoch run
        run.notices.append(
            f"{ck_path} ended its run (epoch {st.epoch}, step {st.step}): nothing to train; "
            "--set train.epochs=N with more epochs continues it"
        )
    else:
        run.notices.append(f"resumed from epoch {st.epoch + 1} step {st.step} of {ck_path}")
    return run


def _resume_home(ck_path: Path, run_dir) -> tuple[Path | None, str]:
    """The run folder a checkpoint continues in, else None and why it starts a new one. Only
    a run's last checkpoint continues in place: from an older one (best, an epoch copy) the
    run would rewrite its later metrics and then its last checkpoint."""
    home = ck_path.parent.parent if ck_path.parent.name == "checkpoints" else None
    if run_dir is not None:
        return None, ""
    if home is None or not is_run_dir(home):
        return None, "is not in a run folder"
    last = home / "checkpoints" / "last.safetensors"
    if last.is_file() and not ck_path.samefile(last):
        return None, f"is not the last checkpoint of {home}, which is kept as it is"
    return home, ""


def from_checkpoint(path, overrides=()):
    """(checkpoint, its config with `overrides` applied, checkpoint file) of a checkpoint
    file or run folder; the one way eval, resume and inspect-graph read a checkpoint."""
    ck_path = ckpt_io.resolve(path)
    ck = ckpt_io.load(ck_path)
    data = ck.meta.get("config")
    if not isinstance(data, dict):
        raise CheckpointError(f"{ck_path}: the checkpoint holds no config to rebuild the run")
    return ck, load_data(data, Source(str(ck_path), {}), overrides), ck_path


def trained_model(ck, config, ck_path, overrides=()):
    """The model `config` builds, with the checkpoint's weights; a mismatch is one line."""
    model = build_model(config)
    try:
        model.load_state_dict(ck.model_state())
    except GradcliError as e:
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        fix = "drop the --set overrides that change the model" if overrides else "re-train it"
        raise CheckpointError(
            f"{ck_path}: its weights do not fit the model its config builds "
            f"({(lines[1:] or lines or [str(e)])[0].rstrip('. ')}); {fix}"
        ) from None
    return model


def _world(world, config, device):
    return for_device(world, config.distributed.backend, device)


def _device(spec: str):
    if spec == "cuda" and launched_size() > 1:  # one GPU per rank on each node
        spec = f"cuda:{local_rank()}"
    dev, notices = resolve_device(spec), []
    if spec == "auto" and dev.type == "cpu" and not cuda_available():
        notices.append("device auto: no usable GPU, training on the CPU")
    return dev, notices


def _new_folder(config, run_dir) -> Path:
    if run_dir is not None:
        path, key = Path(run_dir), "--run-dir"
    else:
        path, key = Path(config.output.runs_dir), config.where("output", "runs_dir")
    try:
        if run_dir is None:
            return new_run_dir(path, config.name)
        if not claim_empty_dir(path):
            raise ConfigError(
                f"--run-dir {path} is not an empty folder; runs are never overwritten"
            )
        return path
    except OSError as e:
        raise ConfigError(
            f"{key}: cannot create a run folder in {path}: {e.strerror or e}; "
            "point output.runs_dir or --run-dir at a writable folder"
        ) from None


def _assemble(trainer, folder, display, command, notices, lock=None, world=SINGLE) -> Run:
    created = lock is None
    try:
        if created:
            mark(folder, trainer.config)
            lock = RunLock(folder).acquire()
        trainer.run_dir = folder
        trainer.callbacks = run_outputs(trainer.config, folder, command) + list(display)
        return Run(trainer, folder, lock, notices, created, world)
    except BaseException:
        if created:
            shutil.rmtree(folder, ignore_errors=True)  # nothing of the user's is in it yet
        raise
