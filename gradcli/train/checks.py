"""Checks that stop a run early with a message that says what to change."""

from __future__ import annotations

from gradcli.backend import get_array_module, memory_info
from gradcli.errors import DeviceError


def explain_non_finite(model, loss_fn, x, y, dataset: str) -> str:
    """Where a non-finite loss came from: the data itself, or the first layer whose output or
    gradient is not finite."""
    if not finite(x):
        xp = get_array_module(x._data)
        bad = int(xp.count_nonzero(~xp.isfinite(x._data)))
        return (
            f"the input batch itself holds {bad} non-finite value(s): dataset '{dataset}' has "
            "NaN or inf in its data"
        )
    return first_non_finite(model, loss_fn, x, y)


def out_of_memory(device, step: int, batch_size: int) -> DeviceError:
    """The error for a GPU that ran out of memory: what was in use, and the batch to try."""
    info, gib = memory_info(device) or {}, 1024**3
    return DeviceError(
        f"out of GPU memory at step {step} with batch size {batch_size} (memory pool: "
        f"{info.get('used', 0) / gib:.2f} GiB in use, {info.get('held', 0) / gib:.2f} GiB held; "
        f"device: {info.get('free', 0) / gib:.2f} GiB free of {info.get('total', 0) / gib:.2f} "
        f"GiB). Lower the batch size, e.g. --set data.batch_size={max(1, batch_size // 2)}"
    )


def first_non_finite(model, loss_fn, x, y) -> str:
    bad = []
    handles = []
    for i, layer in enumerate(model):

        def hook(module, inputs, output, i=i):
            if not bad and not finite(output):
                bad.append(i)

        handles.append(layer.register_forward_hook(hook))
    try:
        model.zero_grad()
        loss = loss_fn(model(x), y)
    finally:
        for h in handles:
            h.remove()
    if bad:
        i = bad[0]
        return f"first non-finite output: model.layers[{i}] ({type(model[i]).__name__})"
    loss.backward()
    for i, layer in enumerate(model):
        for name, p in layer.named_parameters():
            if p.grad is not None and not finite(p.grad):
                return f"first non-finite gradient: model.layers[{i}].{name}"
    return "every layer's output is finite: the loss itself overflowed"


def finite(t) -> bool:
    return bool(get_array_module(t._data).isfinite(t._data).all())
