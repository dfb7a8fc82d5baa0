"""Batched predictions of a loaded checkpoint on a user's files.

    loaded = load_for_inference("runs/mnist-lenet/<run>")
    result = predict_files(loaded, ["digits/"], top_k=3)
    result.predictions[0].top   # [("7", 0.98), ("1", 0.01), ("9", 0.004)]
    result.failures             # [Sample("digits/bad.png", error="...")]

Files are read a chunk ahead of the model by worker processes or threads (see decode_pool), so
reading the next chunk overlaps the forward pass of this one. A file that cannot be read is a
failure of that file alone: the others are still predicted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from gradcli.deploy.decode_pool import decoded
from gradcli.deploy.image_inputs import ImageOptions
from gradcli.deploy.inputs import InputSpec, Sample, expand
from gradcli.deploy.loaded import LoadedModel
from gradcli.errors import ConfigError


@dataclass
class Prediction:
    """One input's result: `top`, the k most probable (class name, probability) pairs, best
    first, and `index`, the best class's index (classification); or `values`, the model's
    outputs for this sample (regression)."""

    input: str
    top: list[tuple[str, float]] | None = None
    index: int | None = None
    values: list[float] | None = None


@dataclass
class Predictions:
    """Every input's prediction in order, the inputs that failed, and `bright`: greyscale
    images far brighter than the training images were (see `_BRIGHT`)."""

    task: str
    predictions: list[Prediction] = field(default_factory=list)
    failures: list[Sample] = field(default_factory=list)
    bright: list[str] = field(default_factory=list)


# After the fitted normalisation the training images average 0 with a spread of 1; a grey image
# averaging more than this is most likely dark-on-light (MNIST's inverted: about 2.4), which a
# model trained on light-on-dark digits misreads.
_BRIGHT = 1.5


def predict_arrays(loaded: LoadedModel, raw: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's outputs (logits or values) for raw samples (N, *raw_shape), in batches."""
    outs = [
        loaded.forward(loaded.prepare(raw[s : s + batch_size]))
        for s in range(0, len(raw), batch_size)
    ]
    return np.concatenate(outs) if outs else np.zeros((0,), np.float32)


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Softmax over classes in float64 (the largest logit subtracted first: no overflow). A
    model trained with `nll` outputs log-probabilities, whose softmax is the probabilities."""
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def predict_files(
    loaded: LoadedModel,
    paths: Iterable,
    top_k: int = 1,
    batch_size: int = 256,
    options: ImageOptions | None = None,
    workers: int | None = None,
    processes: bool | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Predictions:
    """Predict every input in `paths` (files and folders), in their order. `workers` and
    `processes` choose how files are read (see `decode_pool.decoded`); `on_progress(done,
    total)` is called after each chunk of files."""
    if top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {top_k}")
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")
    files, failed = expand(paths)
    result = Predictions(loaded.task, failures=failed)
    done = 0
    spec, options = InputSpec.of(loaded), options or ImageOptions()
    for count, samples in decoded(files, spec, options, workers, processes):
        good = [s for s in samples if s.error is None]
        result.failures += [s for s in samples if s.error is not None]
        if good:
            outs = _predict(loaded, good, batch_size, result.bright)
            result.predictions += _describe(loaded, good, outs, top_k)
        done += count
        if on_progress is not None:
            on_progress(done, len(files))
    return result


def _predict(loaded, samples, batch_size, bright: list[str]) -> np.ndarray:
    """`predict_arrays`, noting in `bright` the grey images far brighter than in training."""
    raw = np.stack([s.x for s in samples])
    check = loaded.raw_shape[:1] == (1,) and loaded.is_image and _normalised(loaded)
    outs = []
    for start in range(0, len(raw), batch_size):
        x = loaded.prepare(raw[start : start + batch_size])
        outs.append(loaded.forward(x))
        if check:
            means = x.reshape(len(x), -1).mean(axis=1)
            bright += [samples[start + i].name for i in np.flatnonzero(means > _BRIGHT)]
    return np.concatenate(outs)


def _normalised(loaded) -> bool:
    return bool(loaded.transforms.transforms) and loaded.transforms.transforms[-1].name == (
        "normalize"
    )


def _describe(loaded, samples, outs, top_k) -> list[Prediction]:
    if not loaded.is_classification:
        rows = outs.reshape(len(outs), -1).astype(np.float64)
        return [Prediction(s.name, values=r.tolist()) for s, r in zip(samples, rows)]
    probs = probabilities(outs.reshape(len(outs), -1))
    names = loaded.class_names
    k = min(top_k, probs.shape[1])
    # argsort of the negated row: stable, so equal probabilities keep class order
    best = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return [
        Prediction(s.name, [(names[j], float(p[j])) for j in b], index=int(b[0]))
        for s, p, b in zip(samples, probs, best)
    ]
