"""Read a YAML config safely, apply `--set` overrides, validate, and explain every error at once.

Each error names the file, line and column, the dotted key, what was expected, and for an
unknown key or name a "did you mean" suggestion:

    configs/x.yaml:14:7: optimizer.momentum: Input should be greater than or equal to 0 (got -1)

A config file is untrusted input: its size, nesting depth and expansion through YAML aliases
are bounded, duplicate keys and non-finite numbers are refused, and any of these is a one-line
ConfigError rather than a traceback, a hang or a machine out of memory.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gradcli.config.messages import Path_, dotted, format_error, printable
from gradcli.config.schema import config_model
from gradcli.errors import ConfigError

MAX_BYTES = 1_000_000  # a config is a page of text; a megabyte is not one
MAX_NODES = 100_000  # values once aliases are expanded ("billion laughs" stops here)
MAX_DEPTH = 64  # nesting levels


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


def _at(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _positions(root, name: str) -> dict:
    """Every key path's `(line, col)`, walking the node graph without recursion and within
    MAX_NODES and MAX_DEPTH. Refuses duplicate keys, naming both lines."""
    out: dict = {}
    stack = [(root, ())]
    for _ in range(MAX_NODES + 1):
        if not stack:
            return out
        node, path = stack.pop()
        out.setdefault(path, _at(node))
        if len(path) > MAX_DEPTH:
            line, col = _at(node)
            raise ConfigError(f"{name}:{line}:{col}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key, value in node.value:
                line, col = _at(key)
                if not isinstance(key, yaml.ScalarNode):
                    raise ConfigError(f"{name}:{line}:{col}: a key must be a plain name")
                if key.value in seen and key.tag != "tag:yaml.org,2002:merge":
                    raise ConfigError(
                        f"{name}:{line}:{col}: duplicate key '{printable(key.value)}' (also on "
                        f"line {seen[key.value]}); keep one"
                    )
                seen[key.value] = line
                out[path + (key.value,)] = (line, col)
                stack.append((value, path + (key.value,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (i,)) for i, item in enumerate(node.value))
    raise ConfigError(
        f"{name}: the config holds more than {MAX_NODES:,} values once its aliases (*name) "
        "are expanded; is it a YAML bomb?"
    )


def parse_yaml(text: str, name: str) -> tuple[Any, Source]:
    """Safe-load YAML (no tags that build objects) and record every key's position."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        positions = _positions(node, name) if node is not None else {}
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as e:
        raise ConfigError(_yaml_error(e, text, name)) from None
    except RecursionError:
        raise ConfigError(f"{name}: nested more than {MAX_DEPTH} levels deep") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, Source(name, positions)


def _yaml_error(e: yaml.YAMLError, text: str, name: str) -> str:
    if isinstance(e, yaml.reader.ReaderError):  # a control character: a binary file?
        return f"{name}: not a YAML text file: character U+{e.character:04X} at offset {e.position}"
    mark = getattr(e, "problem_mark", None)
    problem = " ".join(str(getattr(e, "problem", None) or e).split())
    if mark is None:
        return f"{name}: YAML syntax error: {problem}"
    lines = text.splitlines() or [""]
    line = lines[min(mark.line, len(lines) - 1)]
    start = max(0, mark.column - 60)  # long lines: show the part around the error
    caret = " " * len(printable(line[start : mark.column])) + "^"
    shown = printable(line[start : start + 100])
    return (
        f"{name}:{mark.line + 1}:{mark.column + 1}: YAML syntax error: {printable(problem)}\n"
        f"    {shown}\n    {caret}"
    )


def apply_override(data: dict, source: Source, item: str) -> None:
    """`key.sub=value` (value parsed as YAML, so `0.05`, `true`, `[1, 2]` keep their types)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item}: expected KEY=VALUE, e.g. --set optimizer.lr=0.05")
    try:
        value = parse_yaml(raw, f"--set {item}")[0]
    except ConfigError:
        value = raw
    parts: list = [int(p) if p.isdigit() else p for p in key.strip().split(".")]
    if "" in parts:
        raise ConfigError(f"--set {item}: a key has an empty part; write it like model.layers.0")
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node[part] if _has(node, part) else None
        if not isinstance(nxt, (dict, list)):
            if isinstance(part, int) or isinstance(node, list):  # only a mapping gains keys
                raise ConfigError(_missing(item, parts[: i + 1], node))
            nxt = {}
            node[part] = nxt
        node = nxt
    last = parts[-1]
    if isinstance(node, list) and not (isinstance(last, int) and last < len(node)):
        raise ConfigError(_missing(item, parts, node))
    node[last] = value
    source.overrides[tuple(parts)] = item


def _missing(item: str, parts: list, node) -> str:
    where = f" (positions 0 to {len(node) - 1})" if isinstance(node, list) and node else ""
    return f"--set {item}: {dotted(tuple(parts))} does not exist{where}"


def _has(node, part) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _non_finite(data: Any, name: str) -> list[Path_]:
    """Paths of inf and nan numbers anywhere, dataset options included. Data that did not come
    through `parse_yaml` (a checkpoint's stored config) gets its size and depth bounded here."""
    found, stack = [], [(data, ())]
    for _ in range(MAX_NODES + 1):
        if not stack:
            return found
        value, path = stack.pop()
        if isinstance(value, (dict, list)) and len(path) >= MAX_DEPTH:
            raise ConfigError(f"{name}: {dotted(path)}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, float) and not math.isfinite(value):
            found.append(path)
        elif isinstance(value, dict):
            stack.extend((v, path + (k,)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(value))
    raise ConfigError(f"{name}: the config holds more than {MAX_NODES:,} values")


def validate(data: Any, source: Source):
    if not isinstance(data, dict):
        raise ConfigError(f"{source.name}: expected a mapping of keys (name, data, model, ...)")
    lines = [
        printable(
            f"{source.where(p)}: {dotted(p)}: inf and nan are not allowed; give a finite number"
        )
        for p in sorted(_non_finite(data, source.name), key=str)
    ]
    if not lines:
        try:
            return config_model().model_validate(data)
        except ValidationError as e:
            lines = [format_error(err, source) for err in e.errors()]
        except RecursionError:
            lines = [f"{source.name}: nested too deeply"]
    noun = "error" if len(lines) == 1 else "errors"
    raise ConfigError(f"{len(lines)} config {noun}:\n" + "\n".join(lines))


def load_config(path: str | Path, overrides: list[str] | tuple = ()):
    """Read, override and validate a config file. Raises ConfigError listing every problem."""
    return load_data(*read_config(path), overrides)


def read_config(path: str | Path) -> tuple[Any, Source]:
    """A config file's YAML data and key positions (no validation)."""
    path = Path(path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or /dev/zero would hang or never end
            raise ConfigError(f"{path}: not a regular file; give a YAML config file")
        if st.st_size > MAX_BYTES:
            raise ConfigError(
                f"{path}: {st.st_size:,} bytes is too big for a config (limit {MAX_BYTES:,})"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path}: not a UTF-8 text file (byte 0x{raw[e.start]:02x} at offset {e.start}); "
            "give a YAML config"
        ) from None
    data, source = parse_yaml(text, str(path))
    return (data if data is not None else {}), source


def load_data(data: Any, source: Source, overrides=()):
    for item in overrides:
        if not isinstance(data, dict):
            break
        apply_override(data, source, item)
    config = validate(data, source)
    config._source = source
    return config
