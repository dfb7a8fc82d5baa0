#!/usr/bin/env bash
# `make gpu-wheels`: the wheels `make gpu-check` installs on the GPU machine, which has no
# network. Its image has CuPy, PyTorch, numpy, matplotlib, rich, typer, pyyaml, pytest ... but
# not these dependencies of gradcli; they are fetched here, at the versions this venv runs, for
# CPython 3.10-3.13 on linux x86_64 (a few MiB; .whl/ is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
DEST=.whl/gpu
# pydantic and its compiled core at this venv's versions (they go together); the others within
# pyproject's ranges, newest for each Python (platformdirs 4.13+ needs Python 3.11)
pins=$("$PY" -c "import importlib.metadata as m; print(*(f'{n}=={m.version(n)}' for n in ('pydantic', 'pydantic_core')))")
pins="$pins annotated-types typing-inspection typing_extensions>=4.14 platformdirs>=3,<5 pooch>=1.8,<2"
rm -rf "$DEST"
mkdir -p "$DEST"
for version in 3.10 3.11 3.12 3.13; do
    "$PY" -m pip download --quiet --no-deps --only-binary=:all: --implementation cp \
        --python-version "$version" --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 --dest "$DEST" $pins
done
echo "gpu-wheels: $(ls "$DEST" | wc -l) wheels, $(du -sh "$DEST" | cut -f1) in $DEST ($pins)"
