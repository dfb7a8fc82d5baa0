"""Shared by the predict tests: tiny models trained in-process, and the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gradcli.deploy.loaded import load_for_inference
from gradcli.train.session import start
from tests.cli.conftest import run  # noqa: F401 - the real `gradcli` in a subprocess


def train(config_text: str, folder: Path) -> Path:
    """Train `config_text` into `folder/run` (quietly) and return the run folder."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(config_text)
    start(config, run_dir=folder / "run").fit()
    return folder / "run"


def model_outputs(run_dir: Path, raw: np.ndarray) -> np.ndarray:
    """The trained model's outputs on raw samples, in one batch, without predict's readers."""
    loaded = load_for_inference(run_dir)
    return loaded.forward(loaded.prepare(raw))


def predictions(result) -> dict[str, dict]:
    """`predict --json` output (a CompletedProcess) as {input: prediction}; it must parse."""
    data = json.loads(result.stdout)
    return {p["input"]: p for p in data["predictions"]}


def error_lines(result) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert all(line.startswith("error: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    return lines
