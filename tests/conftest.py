import pathlib
import sys

# tests import the shared helpers (gradcheck) as top-level modules
sys.path.insert(0, str(pathlib.Path(__file__).parent))


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` run only where CuPy and a CUDA GPU are usable."""
    import pytest

    import gradcli

    if gradcli.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a usable CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
