"""Evaluate a checkpoint on a split, with nothing but the checkpoint file."""

from __future__ import annotations

from pathlib import Path

from gradcli.backend import resolve_device
from gradcli.config.build import build_loss
from gradcli.data import DataLoader, build_datasets
from gradcli.errors import ConfigError, DataError
from gradcli.train.metrics import evaluate
from gradcli.train.session import from_checkpoint, trained_model

SPLITS = ("test", "val", "train")


def evaluate_checkpoint(
    path, split="test", data_root=None, batch_size=None, device=None, overrides=()
) -> dict:
    """Rebuild the model from the config stored in the checkpoint and evaluate it on `split`.

    The checkpoint's fitted transforms (e.g. normalisation statistics) are reused, so the data
    is prepared exactly as in training.
    """
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
    info = splits.info
    result = evaluate(model, build_loss(config.loss, dev), loader, info.num_classes, detailed=True)
    state = ck.meta.get("state", {})
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
