"""Helpers for the gpu tests: the environment a subprocess needs to see the same CuPy (the
stand-in of tests/cupy_standin where no GPU is usable, else the real one)."""

import sys

import pytest
from cupy_standin.plugin import REAL_GPU, subprocess_env


@pytest.fixture
def gpu_env():
    return subprocess_env()


@pytest.fixture
def cpu_only_env():
    """A subprocess that sees no CuPy at all (the stand-in off the path, real GPUs hidden)."""
    env = subprocess_env()
    parts = [p for p in env.get("PYTHONPATH", "").split(":") if p and "cupy_standin" not in p]
    env["PYTHONPATH"] = ":".join(parts)
    env["CUDA_VISIBLE_DEVICES"] = ""
    return env


@pytest.fixture
def standin_only():
    if REAL_GPU:
        pytest.skip("checks the CuPy stand-in itself; a real GPU is in use")
    return sys.modules["cupy"]
