# `make test` and `make train` create (or reuse) a local virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint train bench clean gpu-check gpu-wheels

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

train: $(STAMP)
	$(BIN)/gradcli train configs/quickstart.yaml

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# On a machine with an NVIDIA GPU and no network: gpu-marked tests on the real CuPy, then the
# GPU benchmark (benchmarks/gpu_check.sh). gpu-wheels, run beforehand where there is network,
# fetches the dependencies the GPU image lacks into .whl/gpu.
gpu-check:
	PYTHON=$(PYTHON) benchmarks/gpu_check.sh

gpu-wheels: $(STAMP)
	PYTHON=$(BIN)/python benchmarks/gpu_wheels.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
