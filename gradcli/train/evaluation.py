"""Evaluate a checkpoint on a split, with nothing but the checkpoint file."""

from __future__ import annotations

from pathlib import Path

from gradcli.backend import resolve_device
from gradcli.config.build import build_loss
from gradcli.data import DataLoader, build_datasets
from gradcli.distributed import detect
from gradcli.distributed.startup import start_together
from gradcli.errors import ConfigError, DataError
from gradcli.train.metrics import evaluate
from gradcli.train.session import from_checkpoint, trained_model

SPLITS = ("test", "val", "train")


def evaluate_checkpoint(
    path, split="test", data_root=None, batch_size=None, device=None, overrides=(), world=None
) -> dict:
    """Rebuild the model from the config stored in the checkpoint and evaluate it on `split`.

    The checkpoint's fitted transforms (e.g. normalisation statistics) are reused, so the data
    is prepared exactly as in training. Under an MPI launcher each rank evaluates its share of
    the batches and every rank returns the whole split's numbers.
    """
    world = world or detect()
    prepared = start_together(
        world,
        lambda: _prepare(path, split, data_root, batch_size, device, overrides),
        lambda p: p[0],
    )
    config, ck, path, model, loader, info, dev = prepared
    loss = build_loss(config.loss, dev)
    result = evaluate(model, loss, loader, info.num_classes, detailed=True, world=world)
    state = ck.meta.get("state", {})
    d = config.data
    return {
        "checkpoint": str(Path(path)),
        "name": config.name,
        "dataset": d.dataset,
        "split": split,
        "task": info.task,
        "epoch": state.get("epoch"),
        "step": state.get("step"),
        "class_names": list(info.class_names) if info.class_names else None,
        **result,
    }


def _prepare(path, split, data_root, batch_size, device, overrides):
    if split not in SPLITS:
        raise ConfigError(f"--split must be one of {', '.join(SPLITS)}, not '{split}'")
    ck, config, path = from_checkpoint(path, overrides)
    dev = resolve_device(device or "cpu")
    model = trained_model(ck, config, path, overrides).to(dev)
    d = config.data
    # Only the files of `split` are read: the fitted transforms come from the checkpoint.
    splits = build_datasets(
        d.dataset, data_root or d.root, d.options, ck.meta.get("transforms", d.transforms),
        d.val_split, config.seed, splits=[split],
    )  # fmt: skip
    dataset = {"test": splits.test, "val": splits.val, "train": splits.train}[split]
    if dataset is None or len(dataset) == 0:
        raise DataError(f"dataset '{d.dataset}' has no {split} split for this run (val_split 0?)")
    loader = DataLoader(dataset, batch_size or d.eval_batch_size, device=dev, dtype=config.dtype)
    return config, ck, path, model, loader, splits.info, dev
