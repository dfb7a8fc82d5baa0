"""PyTorch's `default_collate` / `default_convert`: a list of samples -> one batch of Tensors.

Used by the `DataLoader` for datasets written for PyTorch (a `Dataset` subclass, a
`TensorDataset` of Tensors, or any loader given a `collate_fn`). Semantics follow PyTorch:
dtypes are kept, Python floats become float64 and ints int64, tuples come back as lists,
dicts and namedtuples keep their keys and type, strings are left as they come.

>>> default_collate([(np.zeros(2), 1), (np.ones(2), 0)])
[tensor([[0., 0.], [1., 1.]], dtype=gradcli.float64), tensor([1, 0])]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .errors import DataError


def _engine():
    import gradcli  # lazy: data loads without the engine (see gradcli/data/__init__.py)

    return gradcli


def _is_tensor(x) -> bool:
    return type(x).__module__.startswith("gradcli.") and hasattr(x, "grad_fn")


def _numeric(arr: np.ndarray, batch) -> np.ndarray:
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"default_collate: numpy arrays of dtype {arr.dtype} cannot become Tensors "
            f"(first sample: {type(batch[0]).__name__}); return numbers, not strings or objects"
        )
    return arr


def default_collate(batch):
    """Stack a list of samples field by field (see the module doc)."""
    elem = batch[0]
    gradcli = _engine()
    if _is_tensor(elem):
        with gradcli.no_grad():  # a batch is data, not part of anyone's graph
            return gradcli.stack(list(batch))
    if isinstance(elem, np.ndarray):
        return gradcli.from_numpy(_numeric(np.stack(batch), batch))
    if isinstance(elem, np.generic):
        return gradcli.from_numpy(_numeric(np.asarray(batch), batch))
    if isinstance(elem, bool):
        return gradcli.tensor(list(batch), dtype=gradcli.bool)
    if isinstance(elem, float):
        return gradcli.tensor(list(batch), dtype=gradcli.float64)
    if isinstance(elem, int):
        return gradcli.tensor(list(batch), dtype=gradcli.int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        return collated if type(elem) is dict else _rebuild(elem, collated)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        if len({len(s) for s in batch}) != 1:
            raise DataError(
                "default_collate: each element in list of batch should be of equal size, got "
                f"lengths {sorted({len(s) for s in batch})}"
            )
        return [default_collate(s) for s in zip(*batch)]
    raise DataError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__} (pass a collate_fn that handles it)"
    )


def _rebuild(elem, collated: dict):
    try:  # a dict subclass (OrderedDict, ...) keeps its type, as in PyTorch
        return type(elem)(collated)
    except TypeError:
        return collated


def default_convert(data):
    """Numpy arrays and numbers inside `data` -> Tensors, without batching (batch_size=None)."""
    gradcli = _engine()
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return gradcli.from_numpy(data)
    if isinstance(data, np.generic) and data.dtype.kind in "biuf":
        return gradcli.from_numpy(np.asarray(data))
    if isinstance(data, Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(v) for v in data]
    return data
