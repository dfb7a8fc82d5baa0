"""`gradcli.save` / `gradcli.load`: PyTorch's calls, in a format that never runs code.

PyTorch pickles whatever it is given, and unpickling a file can run arbitrary code. gradcli
writes one safetensors file instead: every tensor is a named entry, and the object's shape
(dicts, lists, tuples, numbers, strings, None, bools, dtypes, devices) is JSON in the header's
metadata under `gradcli.structure`. Any safetensors reader sees the tensors; a saved
`state_dict()` keeps its own keys as the tensor names, so it is also a plain weights file.

>>> gradcli.save({"model": model.state_dict(), "epoch": 3}, "ckpt.pt")
>>> ckpt = gradcli.load("ckpt.pt", map_location="cpu")

`load` also reads `.safetensors` files written by PyTorch or Hugging Face (a flat dict of
tensors; bfloat16 is widened to float32, exactly, with a warning). It refuses PyTorch's own
pickle files with a one-line error that says how to convert them.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections import OrderedDict

import numpy as np
import safetensors.numpy

from gradcli import _safetensors
from gradcli.autograd.tensor import Size, Tensor
from gradcli.backend import device as _device
from gradcli.dtypes import dtype as _dtype
from gradcli.dtypes import from_numpy_dtype
from gradcli.errors import CheckpointError, GradcliError

FORMAT_KEY = "gradcli.structure"
_VERSION = 1
_CONVERT = (
    "convert it where PyTorch is installed: "
    "`from safetensors.torch import save_file; save_file(torch.load(path), 'model.safetensors')` "
    "(for a state_dict), then gradcli.load('model.safetensors')"
)


class UnsafeObjectError(GradcliError, TypeError):
    """`save` was given an object that can only be stored by pickling it."""


# -- save -----------------------------------------------------------------------------------


class _Encoder:
    """Turns an object into JSON-able structure, collecting its tensors by path-derived name."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.seen: dict[int, str] = {}  # id(tensor) -> name: a tensor saved twice is stored once

    def name_for(self, parts: list[str]) -> str:
        base = ".".join(parts) or "tensor"
        name, n = base, 1
        while name in self.arrays:
            name, n = f"{base}#{n}", n + 1
        return name

    def encode(self, obj, where: str, parts: list[str]):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and not isinstance(obj, bool):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, Tensor):
            return self.tensor(obj, parts)
        if isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind in "biuf":
            name = self.name_for(parts)
            self.arrays[name] = _contiguous(np.asarray(obj))
            return {"ndarray": name, "scalar": isinstance(obj, np.generic)}
        if isinstance(obj, _dtype):
            return {"dtype": obj.name}
        if isinstance(obj, _device):
            return {"device": str(obj)}
        if isinstance(obj, Size):
            return {"size": list(obj)}
        if isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
            items = [self.encode(v, f"{where}[{i}]", [*parts, str(i)]) for i, v in enumerate(obj)]
            return items if isinstance(obj, list) else {"tuple": items}
        if type(obj) in (dict, OrderedDict):
            pairs = []
            for k, v in obj.items():
                if not isinstance(k, (type(None), bool, int, float, str, tuple)):
                    self.refuse(k, f"{where} key {k!r}")
                key = self.encode(k, f"{where} key {k!r}", [*parts, "key"])
                pairs.append([key, self.encode(v, f"{where}[{k!r}]", [*parts, str(k)])])
            return {"dict": pairs, "ordered": isinstance(obj, OrderedDict)}
        self.refuse(obj, where)

    def tensor(self, t: Tensor, parts: list[str]) -> dict:
        name = self.seen.get(id(t))
        if name is None:
            name = self.seen[id(t)] = self.name_for(parts)
            self.arrays[name] = _contiguous(t.detach().cpu().numpy())
        entry = {"tensor": name}
        if t.requires_grad:
            entry["requires_grad"] = True
        if type(t).__name__ == "Parameter":
            entry["parameter"] = True
        if t.device.type != "cpu":
            entry["device"] = str(t.device)
        return entry

    @staticmethod
    def refuse(obj, where: str):
        kind = type(obj).__name__
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = f"; save its {kind}.state_dict() instead and load_state_dict() it back"
        raise UnsafeObjectError(
            f"save: {where} is a {kind}, which can only be stored by pickling (gradcli never "
            f"pickles); save tensors, state_dicts, dicts/lists/tuples, numbers, strings{hint}"
        )


def _contiguous(a: np.ndarray) -> np.ndarray:
    # not np.ascontiguousarray: it turns a 0-d array into shape (1,)
    return a if a.flags.c_contiguous else a.copy(order="C")


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write `obj` to the path or binary file object `f` (safetensors, see the module doc)."""
    if pickle_module is not None:
        raise UnsafeObjectError("save: gradcli never pickles; leave pickle_module out")
    enc = _Encoder()
    structure = enc.encode(obj, "obj", [])
    header = {FORMAT_KEY: json.dumps({"version": _VERSION, "object": structure}), "format": "pt"}
    data = safetensors.numpy.save(enc.arrays, metadata=header)
    if hasattr(f, "write"):
        f.write(data)
        return
    with open(os.fspath(f), "wb") as out:
        out.write(data)


# -- load -----------------------------------------------------------------------------------


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """Read what `save` wrote, or a PyTorch/Hugging Face `.safetensors` file (a dict of
    tensors). `map_location`: a device, a name, a {saved: wanted} dict or a callable."""
    if pickle_module is not None or kwargs:
        raise UnsafeObjectError("load: gradcli never unpickles; leave pickle arguments out")
    where = "load" if hasattr(f, "read") else os.fspath(f)
    if hasattr(f, "read"):
        data = f.read()
    else:
        with open(where, "rb") as src:
            data = src.read()
    _refuse_pickle(data, where)
    arrays, metadata, widened = _safetensors.read(data, where)
    if widened:
        shown = ", ".join(widened[:3]) + (", ..." if len(widened) > 3 else "")
        warnings.warn(
            f"load: {len(widened)} bfloat16 tensor(s) ({shown}) loaded as float32 (exact): "
            "gradcli has no bfloat16",
            stacklevel=2,
        )
    if FORMAT_KEY not in metadata:  # someone else's safetensors: a flat dict of tensors
        return {k: _place(Tensor._make(a), {}, map_location) for k, a in arrays.items()}
    try:
        doc = json.loads(metadata[FORMAT_KEY])
        return _Decoder(arrays, map_location).decode(doc["object"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(f"{where}: the {FORMAT_KEY} metadata is malformed ({e})") from None


def _refuse_pickle(data: bytes, where: str) -> None:
    head = bytes(data[:4])
    if head == b"PK\x03\x04" or head[:1] == b"\x80":
        raise CheckpointError(
            f"{where} is a PyTorch pickle file, which gradcli will not load (unpickling can run "
            f"any code); {_CONVERT}"
        )


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray], map_location):
        self.arrays = arrays
        self.map_location = map_location
        self.made: dict[str, Tensor] = {}  # one Tensor per stored name: sharing survives

    def decode(self, node):
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "tensor" in node:
            return self.tensor(node)
        if "dict" in node:
            pairs = [(_hashable(self.decode(k)), self.decode(v)) for k, v in node["dict"]]
            return OrderedDict(pairs) if node.get("ordered") else dict(pairs)
        if "tuple" in node:
            return tuple(self.decode(v) for v in node["tuple"])
        if "float" in node:
            return float(node["float"])
        if "ndarray" in node:
            a = self.arrays[node["ndarray"]].copy()
            return a[()] if node.get("scalar") else a
        if "dtype" in node:
            return from_numpy_dtype(node["dtype"])
        if "device" in node:
            return _device(node["device"])
        if "size" in node:
            return Size(node["size"])
        raise ValueError(f"unknown entry {sorted(node)}")

    def tensor(self, node) -> Tensor:
        name = node["tensor"]
        if name not in self.made:
            t = _place(Tensor._make(self.arrays[name]), node, self.map_location)
            if node.get("parameter"):
                from gradcli.nn import Parameter  # lazy: nn sits above this module

                t = Parameter(t, requires_grad=bool(node.get("requires_grad")))
            elif node.get("requires_grad"):
                t.requires_grad_(True)
            self.made[name] = t
        return self.made[name]


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _place(t: Tensor, node: dict, map_location) -> Tensor:
    saved = node.get("device", "cpu")
    if map_location is None:
        wanted = saved
    elif isinstance(map_location, dict):
        wanted = map_location.get(saved, saved)
    elif callable(map_location) and not isinstance(map_location, (str, _device)):
        moved = map_location(t, saved)
        return moved if isinstance(moved, Tensor) else t
    else:
        wanted = map_location
    return t if str(_device(wanted)) == "cpu" else t.to(_device(wanted))
