"""The data package's import rule (stated in gradcli/data/__init__.py) holds."""

import ast
import pathlib

import gradcli.data

LEAVES = {"gradcli.errors", "gradcli.registry", "gradcli.backend"}


def _module_level_gradcli_imports(path: pathlib.Path) -> set[str]:
    """gradcli modules `path` imports at import time (not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "gradcli"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "gradcli":  # `from gradcli import backend`
                found |= {f"gradcli.{a.name}" for a in node.names}
            elif node.module.split(".")[0] == "gradcli":
                found.add(node.module)
    return found


def test_data_imports_only_gradcli_leaf_modules_at_import_time():
    folder = pathlib.Path(gradcli.data.__file__).parent
    used = {}
    for path in sorted(folder.glob("*.py")):
        for module in _module_level_gradcli_imports(path) - LEAVES:
            used.setdefault(module, []).append(path.name)
    assert used == {}


def test_the_leaf_modules_import_nothing_else_of_gradcli():
    root = pathlib.Path(gradcli.data.__file__).parents[1]
    for leaf in LEAVES:
        path = root / (leaf.split(".")[1] + ".py")
        assert _module_level_gradcli_imports(path) <= {"gradcli.errors"}, leaf
