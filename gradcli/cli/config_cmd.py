"""`gradcli config schema|show`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml

from gradcli.cli import options
from gradcli.cli.options import Command, Group
from gradcli.config.load import load_config
from gradcli.config.schema import config_model

app = typer.Typer(
    help="Inspect the config format and resolved configs.", cls=Group, no_args_is_help=True
)


def schema_json() -> str:
    schema = config_model().model_json_schema()
    schema["title"] = "gradcli run config"
    return json.dumps(schema, indent=2) + "\n"


@app.command(cls=Command)
def schema():
    """Print the JSON Schema of a config (for editors: see configs/gradcli.schema.json).

    Example: gradcli config schema > configs/gradcli.schema.json
    """
    typer.echo(schema_json(), nl=False)


@app.command(cls=Command)
def show(
    config: Path = typer.Argument(..., help="A YAML config."),
    set_: list[str] | None = options.Set,
    debug: bool = options.Debug,
):
    """Print the resolved config: defaults filled in, overrides applied, validated.

    Example: gradcli config show configs/quickstart.yaml --set optimizer.lr=0.1
    """
    cfg = load_config(config, set_ or ())
    typer.echo(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False), nl=False)
