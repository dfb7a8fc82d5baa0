#!/usr/bin/env bash
# `make gpu-check`: on a machine with an NVIDIA GPU, offline, in under 8 minutes: gradcli's
# missing dependencies from the wheels `make gpu-wheels` prepared, the gpu-marked tests on the
# real CuPy, then the GPU benchmark (python -m benchmarks.gpu). Results, with the date and the
# GPU model, in benchmarks/results/gpu-DATE.{json,md} and the test log beside them. Arguments
# go to the benchmark (e.g. --quick).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SITE=${GPU_CHECK_SITE:-/tmp/gradcli-gpu-site}
say() { echo "gpu-check: $*"; }

if ! nvidia-smi -L >/dev/null 2>&1; then
    say "no NVIDIA GPU here (nvidia-smi finds none): nothing checked"
    exit 2
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ -d .whl/gpu ]; then
    "$PY" -m pip install --quiet --no-index --no-deps --no-compile --upgrade --target "$SITE" \
        --find-links .whl/gpu pydantic pydantic_core annotated-types typing-inspection \
        typing_extensions platformdirs pooch || { say "installing .whl/gpu failed"; exit 3; }
    export PYTHONPATH="$SITE:$PYTHONPATH"
fi
if ! error=$("$PY" -c "import gradcli.cli.app" 2>&1); then
    say "gradcli does not import ($(echo "$error" | tail -n 1)): a dependency missing? \
'make gpu-wheels' (where there is network) prepares them in .whl/gpu"
    exit 3
fi
if ! error=$("$PY" -c "import cupy; assert cupy.cuda.runtime.getDeviceCount() > 0" 2>&1); then
    say "CuPy cannot use the GPU: $(echo "$error" | tail -n 1)"
    exit 2
fi
mkdir -p benchmarks/results
status=0
say "pytest -m gpu on the real CuPy"
timeout 270 "$PY" -m pytest -q -p no:cacheprovider -m gpu \
    $(grep -rl "mark.gpu" tests --include="test_*.py") 2>&1 | tee benchmarks/results/gpu-pytest.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
say "GPU benchmark"
timeout 180 "$PY" -m benchmarks.gpu "$@" || status=1
exit $status
