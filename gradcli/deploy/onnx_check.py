"""Check an exported ONNX model against gradcli with ONNX Runtime: the same sample batch through
both, the largest absolute difference reported, an error above the float32 tolerance.

The sample is the start of the checkpoint's test split when its files are at hand (synthetic
datasets always are), else random data in the range the model was trained on: pixel values
when the transforms scale, token ids for an embedding, standard normal values otherwise.
"""

from __future__ import annotations

import numpy as np

from gradcli.config.layers_tokens import TokenEmbedding
from gradcli.data import load_dataset
from gradcli.deploy.export_errors import ExportMismatchError
from gradcli.errors import GradcliError

TOLERANCE = 1e-4  # float32, absolute; 1e-6 of the largest output where that is more
RELATIVE = 1e-6
SAMPLES = 16


def sample_batch(loaded, n: int = SAMPLES, seed: int = 0) -> tuple[np.ndarray, str]:
    """(raw inputs (n, *raw_shape), where they came from)."""
    d = loaded.config.data
    try:
        x, _, _ = load_dataset(d.dataset, d.root, "test", **(d.options or {}))
        if tuple(x.shape[1:]) == tuple(loaded.raw_shape) and len(x):
            return np.asarray(x[:n]), f"the first {min(n, len(x))} test samples of {d.dataset}"
    except (GradcliError, OSError):
        pass  # files not downloaded: random data does as well for comparing two runtimes
    rng = np.random.default_rng(seed)
    shape = (n, *loaded.raw_shape)
    scale = next((t for t in loaded.transform_spec if t.get("type") == "scale"), None)
    embedding = next((m for m in loaded.model.modules() if isinstance(m, TokenEmbedding)), None)
    if scale is not None:
        top = float(scale.get("max_value", 255.0))
        return rng.integers(0, int(top) + 1, shape).astype(np.float32), "random pixel values"
    if embedding is not None:
        ids = rng.integers(0, embedding.num_embeddings, shape)
        return ids.astype(np.float32), "random token ids"
    return rng.standard_normal(shape).astype(np.float32), "random normal inputs"


def run_onnx(data: bytes, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are not the user's
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def check_onnx(data: bytes, loaded, transforms: bool) -> dict | None:
    """Compare ONNX Runtime on `data` (the serialized model) with gradcli on a sample batch and
    on its first sample alone (the batch dimension is dynamic). None without onnxruntime.

    The tolerance is 1e-4, or 1e-6 of the largest output where that is more (outputs above
    100): float32 is exact only relative to the values (neighbouring float32s near 500 are
    6e-5 apart, and a regression model's two computations there differ by 2e-4)."""
    try:
        import onnxruntime
    except ImportError:
        return None
    raw, source = sample_batch(loaded)
    prepared = loaded.prepare(raw)
    expected = np.asarray(loaded.forward(prepared), dtype=np.float64)
    feed = (raw if transforms else prepared).astype(np.float32)
    got = run_onnx(data, feed).astype(np.float64)
    one = run_onnx(data, feed[:1]).astype(np.float64)
    if got.shape != expected.shape or one.shape != expected[:1].shape:
        raise ExportMismatchError(
            f"ONNX Runtime gives outputs of shape {got.shape} (and {one.shape} for one sample) "
            f"where gradcli gives {expected.shape}; this is a bug in the exporter, please report it"
        )
    diff = float(max(np.max(np.abs(got - expected)), np.max(np.abs(one - expected[:1]))))
    tolerance = max(TOLERANCE, RELATIVE * float(np.max(np.abs(expected))))
    result = {
        "max_abs_diff": diff,
        "tolerance": tolerance,
        "samples": len(raw),
        "data": source,
        "onnxruntime": onnxruntime.__version__,
    }
    if not diff <= tolerance:  # NaN fails too
        raise ExportMismatchError(
            f"ONNX Runtime differs from gradcli by up to {diff:.3g} on {source} (tolerance "
            f"{tolerance:.3g}); the file was not written; please report this with the config"
        )
    return result
