"""Look inside a model without training it: the layer table, the autograd graph of one step, and
their DOT, SVG and JSON exports.

>>> target = load_target("configs/quickstart.yaml")
>>> summarize(target.config).totals.params
105866
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gradcli import nn
from gradcli.config import schema as S
from gradcli.config.load import load_config
from gradcli.errors import CheckpointError, ConfigError, GradcliError
from gradcli.inspect.export import GraphvizError, to_dot, to_json, to_svg
from gradcli.inspect.graph import Graph, Node, trace_graph, walk
from gradcli.inspect.summary import LayerRow, Summary, Totals, summarize

FORMATS = ("table", "tree", "dot", "json", "svg")
CONFIG_SUFFIXES = (".yaml", ".yml")


@dataclass
class Target:
    """What to inspect: a config, and the model with its trained weights when it came from a
    checkpoint."""

    config: S.Config
    model: nn.Module | None = None  # built and loaded once; the graph is traced on a copy
    path: Path | None = None  # the checkpoint file, when there is one


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown --format '{fmt}': choose one of {', '.join(FORMATS)}")
    return fmt


def load_target(path: str | os.PathLike, overrides=()) -> Target:
    """A .yaml/.yml config file, or else a checkpoint file or run folder (its last checkpoint)."""
    from gradcli.train.session import from_checkpoint, trained_model  # for checkpoints only

    path = Path(path)
    if path.suffix.lower() in CONFIG_SUFFIXES and not path.is_dir():
        return Target(load_config(path, overrides))
    ckpt, config, ckpt_path = from_checkpoint(path, overrides)
    return Target(config, trained_model(ckpt, config, ckpt_path, overrides), ckpt_path)


def graph_of(target: Target, batch_size: int | None = None) -> Graph:
    return trace_graph(target.config, batch_size, target.model)


__all__ = [
    "CONFIG_SUFFIXES",
    "FORMATS",
    "Graph",
    "GraphvizError",
    "LayerRow",
    "Node",
    "Summary",
    "Target",
    "Totals",
    "check_format",
    "graph_of",
    "load_target",
    "summarize",
    "to_dot",
    "to_json",
    "to_svg",
    "trace_graph",
    "walk",
]
