"""Module state: `state_dict` / `load_state_dict` and moves between devices and dtypes."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from gradcli import dtypes
from gradcli.autograd.grad_mode import no_grad
from gradcli.autograd.tensor import Tensor
from gradcli.backend import device
from gradcli.errors import GradcliError


class StateDictError(GradcliError, RuntimeError):
    """`load_state_dict` found missing, unexpected or wrongly shaped entries."""


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _quoted(keys):
    return ", ".join(f'"{k}"' for k in keys)


class StateMixin:
    """The state and device half of Module (kept apart to keep module.py readable)."""

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name; values share storage (detached)."""
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(
                    destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars
                )
        return destination

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers in place (under no_grad).

        Every problem is reported at once, and nothing is copied unless the load can succeed:
        missing and unexpected keys (when `strict`) and shape mismatches (always).
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors, pairs = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                value = Tensor._make(np.asarray(value))
            if tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} "
                    f"from checkpoint, the shape in current model is {tuple(target.shape)}."
                )
            pairs.append((target, value))
        if strict:
            if unexpected:
                errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
            if missing:
                errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}. ")
        if errors:
            raise StateDictError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for target, value in pairs:
                target.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # ---- devices and dtypes ------------------------------------------------------------------

    def _apply(self, fn):
        """Replace every parameter's, gradient's and buffer's array by `fn(tensor)`'s, in place.

        The Parameter objects stay the same, so an optimizer built before `.to()` still holds them.
        """
        for m in self.children():
            m._apply(fn)
        with no_grad():
            for t in list(self._parameters.values()) + list(self._buffers.values()):
                if t is None:
                    continue
                new = fn(t)
                if new is not t:
                    t._data = new._data
                    t._vc[0] += 1
                if t.grad is not None:
                    g = fn(t.grad)
                    if g is not t.grad:
                        t.grad = Tensor._make(g._data)
        return self

    def to(self, *args, **kwargs):
        """`to(device)`, `to(dtype)` or both; only floating point tensors change dtype."""
        dt, dev = kwargs.get("dtype"), kwargs.get("device")
        for a in args:
            if isinstance(a, Tensor):
                dt, dev = a.dtype, a.device
            elif isinstance(a, (dtypes.dtype, np.dtype, type)):
                dt = a
            else:
                dev = a
        if (
            dt is not None
            and not dtypes.from_numpy_dtype(dtypes.to_numpy_dtype(dt)).is_floating_point
        ):
            raise TypeError(
                f"Module.to only accepts floating point dtypes, but got desired dtype={dt}"
            )
        dev = device(dev) if dev is not None else None

        def convert(t):
            return t.to(device=dev, dtype=dt if t.is_floating_point() else None)

        return self._apply(convert)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device_index=None):
        return self.to(device("cuda", device_index))

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)
