"""Argument checks shared by the ops: errors name the op, show what it got and say how to fix."""

from __future__ import annotations

import operator

from gradcli.backend import device_of
from gradcli.errors import DeviceError, ShapeError


def pair(op: str, name: str, value, minimum: int) -> tuple:
    """An int or a pair of ints as a pair, each at least `minimum`."""
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise TypeError
            result = (operator.index(value[0]), operator.index(value[1]))
        else:
            v = operator.index(value)
            result = (v, v)
    except TypeError:
        raise ShapeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}") from None
    if min(result) < minimum:
        raise ShapeError(f"{op}: {name} must be at least {minimum}, got {value!r}")
    return result


def check_4d(op: str, t):
    shape = tuple(t._data.shape)
    if len(shape) == 3:
        raise ShapeError(
            f"{op}: expected a 4-D input (N, C, H, W) but got shape {shape}; "
            "add a batch dimension with x.unsqueeze(0)"
        )
    if len(shape) != 4:
        raise ShapeError(f"{op}: expected a 4-D input (N, C, H, W) but got shape {shape}")


def check_same_kind(op, tensors):
    """Parameters (None for a missing one) must match the input's device and dtype: a float64
    weight would otherwise silently make a float32 model's gradients float64."""
    first = tensors[0]._data
    for t in tensors[1:]:
        if t is None:
            continue
        a = t._data
        dev, first_dev = device_of(a), device_of(first)
        if dev is not first_dev and dev != first_dev:  # CPU is one object: `is` decides it
            raise DeviceError(
                f"{op}: input is on {first_dev} but a parameter is on {dev}; "
                "move the model and the data to the same device with .to(device)"
            )
        if a.dtype is not first.dtype and a.dtype != first.dtype:
            raise ShapeError(
                f"{op}: input dtype {first.dtype} and parameter dtype {a.dtype} differ; "
                "convert one with .to(dtype) (e.g. model.double() or x.float())"
            )
