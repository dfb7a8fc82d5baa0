"""Reading a run folder's files without trust: a file may be missing, torn by a crash, damaged
or not a regular file. Each reader returns what it could read and appends a one-line notice
for what it could not; none raises for a file's contents."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import yaml

from gradcli.config.load import MAX_BYTES, MAX_DEPTH, MAX_NODES
from gradcli.train.metrics import read_rows

_MAX_JSON = 10_000_000  # bytes: a summary or marker is a page; anything larger is not one


def checkpoint_meta(path: Path, notices: list[str]) -> dict:
    """A checkpoint's gradcli metadata, from its header alone (no tensors are read)."""
    if not path.is_file():
        return {}
    import safetensors

    try:
        with safetensors.safe_open(str(path), "numpy") as f:
            meta = json.loads((f.metadata() or {})["gradcli"])
        if not isinstance(meta, dict):
            raise ValueError("its metadata is not a JSON object")
    except Exception as e:  # noqa: BLE001 - any damage is a notice, never a traceback
        notices.append(f"{_rel(path)} cannot be read ({_why(e)})")
        return {}
    return meta


def _regular(path: Path, notices: list[str], limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes; None (and a notice) otherwise."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as e:
        notices.append(f"{_rel(path)} cannot be read ({e.strerror or e})")
        return None
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block, /dev/zero never end
        notices.append(f"{_rel(path)} is not a regular file; ignored")
        return None
    if st.st_size > limit:
        notices.append(f"{_rel(path)} is {st.st_size:,} bytes, too big to be gradcli's; ignored")
        return None
    try:
        return path.read_bytes()
    except OSError as e:
        notices.append(f"{_rel(path)} cannot be read ({e.strerror or e})")
        return None


def json_file(path: Path, notices: list[str]) -> dict:
    raw = _regular(path, notices, _MAX_JSON)
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as e:
        notices.append(f"{_rel(path)} is damaged ({_why(e)}); ignored")
        return {}
    if not isinstance(data, dict):
        notices.append(f"{_rel(path)} is damaged (not a JSON object); ignored")
        return {}
    return data


def config_file(path: Path, notices: list[str]) -> dict:
    """config.yaml as written, bounded as a config file is (size, nesting, alias expansion)."""
    raw = _regular(path, notices, MAX_BYTES)
    if raw is None:
        return {}
    try:
        data = _yaml(raw.decode("utf-8"))
    except (yaml.YAMLError, ValueError, RecursionError) as e:  # UnicodeDecodeError: ValueError
        notices.append(f"config.yaml is damaged ({_why(e)}); ignored")
        return {}
    if not isinstance(data, dict):
        notices.append("config.yaml is damaged (not a mapping); ignored")
        return {}
    return data


def _yaml(text: str):
    """Safe-load YAML with libyaml where PyYAML has it: listing runs reads a config.yaml per
    run, 1.3 ms each against 12 ms with the pure-Python loader (gradcli.config.load's, which
    also records each key's line for error messages: not needed here)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # aliases make a graph of the nodes: bound the tree that reading it would walk
        todo, seen = [(node, 0)], 0
        while todo:
            node_, depth = todo.pop()
            seen += 1
            if seen > MAX_NODES or depth > MAX_DEPTH:
                raise ValueError(f"over {MAX_NODES:,} values or {MAX_DEPTH} levels")
            if isinstance(node_, yaml.MappingNode):
                todo.extend((v, depth + 1) for _, v in node_.value)
            elif isinstance(node_, yaml.SequenceNode):
                todo.extend((v, depth + 1) for v in node_.value)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_metrics(folder: str | Path, notices: list[str] | None = None) -> list[dict]:
    """metrics.csv's rows with numbers as numbers (empty cells None); torn rows left out."""
    return metrics_file(Path(folder) / "metrics.csv", [] if notices is None else notices)


def metrics_file(path: Path, notices: list[str]) -> list[dict]:
    if not path.is_file():
        return []
    try:
        raw = read_rows(path)
    except (OSError, csv.Error) as e:
        notices.append(f"metrics.csv cannot be read ({_why(e)}); its rows are left out")
        return []
    rows, torn = [], 0
    for r in raw:
        row = _metrics_row(r)
        if row is None:
            torn += 1
        else:
            rows.append(row)
    if torn:
        notices.append(f"metrics.csv: {torn} damaged row(s) left out")
    return rows


def _metrics_row(raw: dict) -> dict | None:
    if None in raw or raw.get("kind") not in ("step", "epoch"):
        return None  # more fields than columns, a torn line, or not a row of ours
    epoch, step = _int_text(raw.get("epoch")), _int_text(raw.get("step"))
    if epoch is None or step is None:
        return None
    row: dict = {"kind": raw["kind"], "epoch": epoch, "step": step}
    for key, text in raw.items():
        if key not in row:
            try:
                row[key] = float(text) if text not in (None, "") else None
            except ValueError:
                row[key] = None
    return row


def _int_text(text) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}" if path.parent.name == "checkpoints" else path.name


def _why(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 120 else text[:117] + "..."
