"""Read a YAML config safely, apply `--set` overrides, validate, and explain every error at once.

Each error names the file, line and column, the dotted key, what was expected, and for an
unknown key or layer a "did you mean" suggestion:

    configs/x.yaml:14:7: optimizer.momentum: Input should be greater than or equal to 0 (got -1)
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from gradcli.config.layers import LAYERS
from gradcli.config.schema import Config
from gradcli.errors import ConfigError

Path_ = tuple  # a key path: ("model", "layers", 0, "conv2d")


class Source:
    """Where each key of a config came from: a file position, or a `--set` override."""

    def __init__(self, name: str, positions: dict[Path_, tuple[int, int]]):
        self.name = name
        self.positions = positions
        self.overrides: dict[Path_, str] = {}

    def where(self, path: Path_) -> str:
        """`file:line:col`, or `--set k=v`, of the longest known prefix of `path`."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.overrides:
                return f"--set {self.overrides[path[:n]]}"
            if path[:n] in self.positions:
                line, col = self.positions[path[:n]]
                return f"{self.name}:{line}:{col}"
        return self.name


_TAGGED = ("loss", "optimizer", "scheduler")  # chosen by `type:`; pydantic adds the tag to locs


def yaml_path(loc: Path_) -> Path_:
    """A validation error's location as a path in the YAML file (drops the `type` tag)."""
    if len(loc) >= 2 and loc[0] in _TAGGED:
        return loc[:1] + loc[2:]
    return loc


def dotted(path: Path_) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _positions(node, path: Path_ = (), out=None) -> dict:
    out = {} if out is None else out
    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _positions(value, path + (key.value,), out)
            out[path + (key.value,)] = (key.start_mark.line + 1, key.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _positions(item, path + (i,), out)
    return out


def parse_yaml(text: str, name: str) -> tuple[Any, Source]:
    """Safe-load YAML (no tags that build objects) and record every key's position."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise ConfigError(_yaml_error(e, text, name)) from None
    return data, Source(name, _positions(node) if node is not None else {})


def _yaml_error(e: yaml.YAMLError, text: str, name: str) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    if mark is None:
        return f"{name}: YAML syntax error: {problem}"
    lines = text.splitlines() or [""]
    line = lines[min(mark.line, len(lines) - 1)]
    caret = " " * mark.column + "^"
    return (
        f"{name}:{mark.line + 1}:{mark.column + 1}: YAML syntax error: {problem}\n"
        f"    {line}\n    {caret}"
    )


def apply_override(data: dict, source: Source, item: str) -> None:
    """`key.sub=value` (value parsed as YAML, so `0.05`, `true`, `[1, 2]` keep their types)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item}: expected KEY=VALUE, e.g. --set optimizer.lr=0.05")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    parts: list = [int(p) if p.isdigit() else p for p in key.strip().split(".")]
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node[part] if _has(node, part) else None
        if not isinstance(nxt, (dict, list)):
            if isinstance(part, int):
                raise ConfigError(f"--set {item}: {dotted(tuple(parts[: i + 1]))} does not exist")
            nxt = {}
            node[part] = nxt
        node = nxt
    last = parts[-1]
    if isinstance(node, list) and not (isinstance(last, int) and last < len(node)):
        raise ConfigError(f"--set {item}: {dotted(tuple(parts))} does not exist")
    node[last] = value
    source.overrides[tuple(parts)] = item


def _has(node, part) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _suggest(word: str, choices) -> str:
    best = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{best[0]}'?" if best else ""


def _model_at(loc: Path_) -> type[BaseModel] | None:
    """The schema model that owns the mapping at validation location `loc`."""
    candidates: list = [Config]
    for part in loc:
        if isinstance(part, int):
            continue
        if part in LAYERS:
            candidates = [LAYERS[part]]
            continue
        fields = [m.model_fields[part] for m in candidates if part in m.model_fields]
        if fields:
            candidates = [m for f in fields for m in _models_in(f.annotation)]
        else:  # a `type` tag: the union member whose Literal holds it
            candidates = [m for m in candidates if part in _type_tags(m)]
    return candidates[0] if len(candidates) == 1 else None


def _type_tags(model) -> tuple:
    field = model.model_fields.get("type")
    return getattr(field.annotation, "__args__", ()) if field is not None else ()


def _models_in(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _models_in(origin)


def _format_error(err: dict, source: Source) -> str:
    loc = tuple(err["loc"])
    path = yaml_path(loc)
    where, key = source.where(path), dotted(path)
    kind, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        owner = _model_at(loc[:-1])
        fields = list(owner.model_fields) if owner is not None else []
        msg = f"unknown key '{loc[-1]}'{_suggest(loc[-1], fields)}"
    elif kind == "union_tag_invalid":
        tag = ctx.get("tag")
        if loc[-2:-1] == ("layers",):
            msg = f"unknown layer '{tag}'{_suggest(tag, LAYERS)} (known: {', '.join(LAYERS)})"
        else:
            msg = f"unknown type '{tag}'{_suggest(tag, _tags(ctx))} (expected {ctx.get('expected_tags')})"  # noqa: E501
    elif kind == "union_tag_not_found":
        msg = (
            "a layer is a name (`- relu`) or a one-key mapping (`- linear: 10`, "
            "`- conv2d: {out_channels: 6, kernel_size: 5}`)"
        )
    elif kind == "missing":
        msg = "required key is missing"
    elif "input" in err and kind not in ("model_type", "dict_type"):
        msg = f"{msg} (got {err['input']!r})"
    return f"{where}: {key}: {msg}"


def _tags(ctx) -> list[str]:
    return [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]


def validate(data: Any, source: Source) -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{source.name}: expected a mapping of keys (name, data, model, ...)")
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        lines = [_format_error(err, source) for err in e.errors()]
        noun = "error" if len(lines) == 1 else "errors"
        raise ConfigError(f"{len(lines)} config {noun}:\n" + "\n".join(lines)) from None


def load_config(path: str | Path, overrides: list[str] | tuple = ()) -> Config:
    """Read, override and validate a config file. Raises ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    data, source = parse_yaml(text, str(path))
    return load_data(data if data is not None else {}, source, overrides)


def load_data(data: Any, source: Source, overrides=()) -> Config:
    for item in overrides:
        if not isinstance(data, dict):
            break
        apply_override(data, source, item)
    config = validate(data, source)
    config._source = source
    return config
