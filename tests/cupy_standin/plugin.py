"""Runs the gpu-marked tests on the CuPy stand-in where no usable GPU is (a pytest plugin that
tests/conftest.py loads).

- A real CuPy that sees a GPU: nothing changes; gradcli uses it, the gpu tests run on it.
- Otherwise this folder goes first on sys.path (so `import cupy` is the stand-in, in this
  process and in subprocesses given `subprocess_env()`), and gradcli's backend starts out
  as it would without CuPy: every other test sees a CPU-only machine (they test that
  "device cuda" fails clearly there). A gpu-marked test gets the stand-in for its duration.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
HIDDEN = "ModuleNotFoundError: No module named 'cupy'"  # what a CPU-only machine reports


def _real_gpu() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device, a broken install: the stand-in it is
        for name in [m for m in sys.modules if m.split(".")[0] in ("cupy", "cupyx")]:
            del sys.modules[name]
        return False


REAL_GPU = _real_gpu()
if not REAL_GPU:
    sys.path.insert(0, str(HERE))
    import cupy as standin

    assert getattr(standin, "_STANDIN", False), standin.__file__
    from gradcli import backend

    backend._cupy, backend._cupy_error = None, HIDDEN


def subprocess_env(env=None) -> dict:
    """Environment for a subprocess that should see the same CuPy (stand-in or real)."""
    env = dict(os.environ if env is None else env)
    if not REAL_GPU:
        root = str(HERE.parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), root, env.get("PYTHONPATH")]))
    return env


@pytest.fixture(autouse=True)
def _cupy_standin_for_gpu_tests(request):
    if REAL_GPU or request.node.get_closest_marker("gpu") is None:
        yield
        return
    from gradcli import backend

    backend._cupy, backend._cupy_error = standin, None
    try:
        yield
    finally:
        backend._cupy, backend._cupy_error = None, HIDDEN
        backend._default = backend.CPU
        standin.cuda.runtime.setDevice(0)
