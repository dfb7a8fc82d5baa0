"""Run folders: runs/<name>/<timestamp>/ (never reused), and the versions a run records."""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np
import yaml

import gradcli


def new_run_dir(runs_dir: str | Path, name: str) -> Path:
    base = Path(runs_dir) / name
    base.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = base / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a new run folder under {base}")


def write_config(run_dir: Path, config) -> Path:
    """The fully resolved config, written once: a resumed run keeps the original."""
    path = run_dir / "config.yaml"
    if not path.exists():
        text = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
        path.write_text(text, encoding="utf-8")
    return path


def versions() -> dict[str, str]:
    out = {
        "gradcli": gradcli.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    cupy = sys.modules.get("cupy")  # only when this run loaded it: never import it for a CPU run
    if cupy is not None:
        out["cupy"] = cupy.__version__
    return out
