"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, step, state_dict.

Subclasses validate their hyper-parameters, pass them as `defaults`, and implement
`_step_group(group)`, which calls a plain update function on raw arrays (the maths lives in
those functions, apart from the classes, so it can be read and tested on its own).
"""

from __future__ import annotations

import copy
import itertools
import numbers
from collections import defaultdict

from gradcli.autograd.grad_mode import enable_grad, no_grad
from gradcli.autograd.tensor import Tensor
from gradcli.backend import device_of, get_array_module, to_device
from gradcli.errors import GradcliError
from gradcli.optim._flat import FlatGroups


class OptimizerError(GradcliError, ValueError):
    """Invalid optimizer or scheduler arguments, or a state dict that does not fit."""


class _Required:
    """Marks a hyper-parameter with no default: every param group must then give it."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


def check_non_negative(value, what: str) -> None:
    """Raise PyTorch's message, e.g. `Invalid learning rate: -0.1`, unless `value >= 0`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {what}: {value!r} (expected a number)")
    if not 0.0 <= value:  # written this way so that NaN is rejected too
        raise OptimizerError(f"Invalid {what}: {value}")


def state_zeros(p: Tensor, fill: float = 0.0) -> Tensor:
    """A state buffer shaped, typed and placed like parameter `p`."""
    xp = get_array_module(p._data)
    return Tensor._make(xp.full_like(p._data, fill))


class Optimizer:
    """Base class of all optimizers.

    >>> opt = gradcli.optim.SGD(model.parameters(), lr=0.1)
    >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._flat = FlatGroups()  # whole-group updates, where they apply (see _flat.py)
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a Tensor: pass [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise OptimizerError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (the missing ones take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise OptimizerError("param_group must have a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        group["params"] = params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise OptimizerError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise OptimizerError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise OptimizerError(
                "optimizer got a parameter group with duplicate parameters: each parameter "
                "must appear once (deduplicate shared/tied weights before building it)"
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise OptimizerError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: drop them (default) or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad._data.fill(0)
                p.grad._vc[0] += 1

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns `closure()`'s loss, if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _step_group(group)")

    # ---- state dicts -------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """PyTorch's layout: `{'state': {index: {...}}, 'param_groups': [{..., 'params': [...]}]}`.

        Parameters are replaced by their position across all groups. Like PyTorch, the state
        entries are the optimizer's own buffers (Tensors) and step counts (Python numbers), not
        copies: save them before the next `step()`.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = copy.deepcopy({k: v for k, v in group.items() if k != "params"})
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by `state_dict()` (the arrays are copied)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise OptimizerError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' (as "
                f"returned by Optimizer.state_dict()), got {got}"
            )
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise OptimizerError(
                f"loaded state dict has a different number of parameter groups: "
                f"{len(saved_groups)} saved, {len(self.param_groups)} in this {name}; build the "
                "optimizer with the same parameter groups as the one that was saved"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise OptimizerError(
                    f"loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(saved['params'])} parameters in "
                    f"the state dict but {len(group['params'])} in this {name}; build the "
                    "optimizer over the same parameters, in the same order"
                )
        id_map = dict(
            zip(
                (int(i) for i in itertools.chain.from_iterable(g["params"] for g in saved_groups)),
                itertools.chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        state: defaultdict[Tensor, dict] = defaultdict(dict)
        for key, entry in state_dict["state"].items():
            index = int(key)  # keys may have become strings on the way through JSON
            if index not in id_map:
                raise OptimizerError(
                    f"loaded state dict has state for parameter {index}, which is in none of its "
                    f"param_groups (it lists {len(id_map)} parameters)"
                )
            p = id_map[index]
            state[p] = {k: _load_value(p, k, v, index) for k, v in entry.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            for key, value in group.items():
                # tuples (betas) come back as lists from JSON; options missing from an older
                # save keep this optimizer's values
                if isinstance(value, tuple) and isinstance(saved.get(key), list):
                    saved[key] = tuple(saved[key])
                saved.setdefault(key, value)
            saved["params"] = group["params"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        lines.append(")")
        return "\n".join(lines)


def _load_value(p: Tensor, key, value, index: int):
    """A private copy of one state value, on `p`'s device and (for floats) in `p`'s dtype."""
    array = value._data if isinstance(value, Tensor) else value
    if not hasattr(array, "shape") or not hasattr(array, "dtype"):
        return copy.deepcopy(value)  # Python numbers, None, ...
    if key == "step":
        step = array.item()  # saved as a 0-d tensor (as PyTorch does): back to a number
        return int(step) if float(step).is_integer() else step
    if tuple(array.shape) != tuple(p._data.shape):
        raise OptimizerError(
            f"loaded state dict has '{key}' of shape {tuple(array.shape)} for parameter {index}, "
            f"but that parameter has shape {tuple(p._data.shape)}; the state dict was saved "
            "for a different model"
        )
    array = to_device(array, device_of(p._data))
    dtype = p._data.dtype if array.dtype.kind == "f" and p._data.dtype.kind == "f" else None
    xp = get_array_module(array)
    return Tensor._make(xp.array(array, dtype=dtype, copy=True))
