"""metrics.csv (one row per logged step and per epoch) and evaluation over a loader."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

import gradcli
from gradcli.backend import CPU, to_device
from gradcli.train.atomic import atomic_write

COLUMNS = (
    "kind", "epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr",
    "grad_norm", "samples_per_s", "elapsed_s",
)  # fmt: skip


class MetricsLog:
    """Appends rows and flushes each one, so a crash loses at most the row being written."""

    def __init__(self, path: Path):
        self.path = path
        new = not path.exists()
        self._file = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.DictWriter(self._file, COLUMNS, extrasaction="ignore")
        if new:
            self._writer.writeheader()
            self._file.flush()

    def write(self, **row) -> None:
        self._writer.writerow({k: _fmt(v) for k, v in row.items()})
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    @staticmethod
    def truncate_after(path: Path, step: int, epoch: int) -> None:
        """On resume: drop what a killed run wrote after its checkpoint (step rows after
        `step`, epoch rows after `epoch`) and a torn last line (a crash mid-write)."""
        if not path.exists():
            return
        keep = []
        for row in read_rows(path):
            try:
                kind, row_step, row_epoch = row["kind"], int(row["step"]), int(row["epoch"])
            except (KeyError, TypeError, ValueError):
                continue
            if None in row or None in row.values() or kind not in ("step", "epoch"):
                continue  # more fields than columns, or a torn line
            if row_step <= step and (kind == "step" or row_epoch <= epoch):
                keep.append(row)
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, COLUMNS)
        writer.writeheader()
        writer.writerows(keep)
        atomic_write(path, text.getvalue().encode("utf-8"))


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return list(csv.DictReader(f))


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if abs(v) >= 1e-4 or v == 0 else f"{v:.8e}"
    return v


def evaluate(
    model, loss_fn, loader, num_classes: int | None, detailed: bool = False, world=None
) -> dict:
    """Mean loss and accuracy over `loader` (no graph, eval mode restored afterwards).

    With a `world` of several ranks, each evaluates every K-th batch and the sums are
    all-reduced: every rank returns the numbers one process would.

    With `detailed`, also top-5 accuracy, the confusion matrix and per-class precision, recall
    and F1 (classification), or MSE and MAE (regression).
    """
    was_training = model.training
    model.eval()
    total_loss, n, correct, top5 = 0.0, 0, 0, 0
    confusion = np.zeros((num_classes, num_classes), np.int64) if num_classes else None
    sq_err = abs_err = 0.0
    rank, ranks = (world.rank, world.size) if world is not None else (0, 1)
    values = 0  # values per sample of the model's output (regression's mean errors)
    try:
        with gradcli.no_grad():
            for i, (x, y) in enumerate(loader):
                if i % ranks != rank:
                    continue
                out = model(x)
                batch = x.shape[0]
                total_loss += float(loss_fn(out, y).item()) * batch
                n += batch
                logits = to_device(out._data, CPU)
                values = int(np.prod(logits.shape[1:]))
                target = to_device(y._data, CPU)
                if num_classes and target.ndim > 1:  # one-hot or probability targets
                    target = target.argmax(axis=1)
                if num_classes:
                    pred = logits.argmax(axis=1)
                    correct += int((pred == target).sum())
                    if detailed:
                        np.add.at(confusion, (target, pred), 1)
                        if num_classes > 5:
                            best5 = np.argpartition(-logits, 5, axis=1)[:, :5]
                            top5 += int((best5 == target[:, None]).any(axis=1).sum())
                elif detailed:
                    diff = logits.astype(np.float64) - target.reshape(logits.shape)
                    sq_err += float((diff**2).sum())
                    abs_err += float(np.abs(diff).sum())
    finally:
        model.train(was_training)
    if ranks > 1:
        matrix = confusion.ravel().tolist() if confusion is not None else []
        sums = [total_loss, n, correct, top5, sq_err, abs_err, values, float(n > 0)]
        sums = world.allreduce_host(sums + matrix)
        total_loss, n, correct, top5, sq_err, abs_err = (float(v) for v in sums[:6])
        n, correct, top5 = int(n), int(correct), int(top5)
        values = int(sums[6] // max(sums[7], 1))  # the same on every rank that had data
        if confusion is not None:
            confusion = sums[8:].astype(np.int64).reshape(confusion.shape)
    result = {"loss": total_loss / max(n, 1), "samples": n}
    if num_classes:
        result["accuracy"] = correct / max(n, 1)
    if detailed and num_classes:
        if num_classes > 5:
            result["top5_accuracy"] = top5 / max(n, 1)
        result["confusion"] = confusion.tolist()
        result["per_class"] = _per_class(confusion)
    elif detailed:
        count = max(n * values, 1)
        result["mse"] = sq_err / count
        result["mae"] = abs_err / count
    return result


def _per_class(confusion: np.ndarray) -> list[dict]:
    tp = np.diag(confusion).astype(np.float64)
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return [
        {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for p, r, f, s in zip(precision, recall, f1, actual)
    ]
