"""Validation errors as one line each: `file:line:col: dotted.key: what is wrong`, with a "did
you mean" for unknown keys and names. Locations are walked through the generated schema, so a
component registered later is explained like a built-in one."""

from __future__ import annotations

from pydantic import BaseModel

from gradcli._text import clip
from gradcli.config.schema import REGISTRIES, config_model
from gradcli.config.spec import Spec, Typed
from gradcli.registry import did_you_mean, unknown_name

Path_ = tuple  # a key path: ("model", "layers", 0, "conv2d")


def printable(text: str) -> str:
    """`text` with control characters escaped: a message stays one line whatever a key holds."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def dotted(path: Path_) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def resolve(loc: Path_) -> tuple[list[type[BaseModel]], Path_]:
    """The schema models that may own the mapping at validation location `loc` (one, or a
    union's members), and `loc` as a path in the YAML file (pydantic adds a `type:` union's tag
    to locations; the YAML has no such key)."""
    candidates: list = [config_model()]
    path: list = []
    for part in loc:
        if isinstance(part, int):
            path.append(part)
            continue
        tagged = [m for m in candidates if issubclass(m, Spec) and m.kind == part]
        if tagged and len(candidates) > 1:  # a union tag, not a field
            candidates = tagged[:1]
            if not issubclass(tagged[0], Typed):  # a layer's name is its key in the YAML
                path.append(part)
            continue
        path.append(part)
        fields = [m.model_fields[part] for m in candidates if part in m.model_fields]
        candidates = [m for f in fields for m in _models_in(f.annotation)]
    return candidates, tuple(path)


def _models_in(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _models_in(origin)


def _registry_of(members) -> object | None:
    """The registry a union's members come from."""
    names = {m.kind for m in members if issubclass(m, Spec)}
    return next((r for r in REGISTRIES if names and names <= set(r)), None)


def format_error(err: dict, source) -> str:
    """One pydantic error as `where: key: message`."""
    loc = tuple(err["loc"])
    members, path = resolve(loc)
    where, key = source.where(path), dotted(path)
    kind, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        owners = resolve(loc[:-1])[0]
        hint = did_you_mean(loc[-1], list(owners[0].model_fields) if len(owners) == 1 else [])
        msg = f"unknown key '{loc[-1]}'" + (f"; did you mean '{hint}'?" if hint else "")
    elif kind == "union_tag_invalid":
        registry = _registry_of(members)
        noun = registry.kind if registry is not None else "type"
        msg = unknown_name(noun, ctx.get("tag"), list(registry or []))
    elif kind == "union_tag_not_found":
        registry = _registry_of(members)
        if registry is not None and registry.kind == "layer":
            msg = (
                "a layer is a name (`- relu`) or a one-key mapping (`- linear: 10`, "
                "`- conv2d: {out_channels: 6, kernel_size: 5}`)"
            )
        else:
            msg = f"give its `type:` ({', '.join(registry or [])})"
    elif kind == "missing":
        msg = "required key is missing"
    elif kind in ("value_error", "assertion_error") and "error" in ctx:
        msg = str(ctx["error"])  # without pydantic's "Value error, " prefix
    elif "input" in err and kind not in ("model_type", "dict_type"):
        msg = f"{msg} (got {clip(repr(err['input']))})"
    return printable(f"{where}: {key}: {msg}")
