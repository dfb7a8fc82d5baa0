import pathlib
import sys

# tests import the shared helpers (gradcheck) as top-level modules
sys.path.insert(0, str(pathlib.Path(__file__).parent))
# without a usable GPU, gpu-marked tests run on a strict CuPy stand-in (tests/cupy_standin)
pytest_plugins = ["cupy_standin.plugin"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` run on CuPy and a CUDA GPU, else on the CuPy stand-in."""
    import pytest

    import gradcli

    if gradcli.cuda.is_available() or "cupy" in sys.modules:
        return
    skip = pytest.mark.skip(reason="needs CuPy and a usable CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
