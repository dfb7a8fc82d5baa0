"""Run an unmodified PyTorch script on gradcli: `gradcli torch-run script.py [args...]`.

An import hook answers `import torch`, `import torch.nn as nn`, `from torch.utils.data import
DataLoader` ... with gradcli's modules of the same path (`torch.utils.data` is `gradcli.data`),
then the script runs as `__main__` with its own `sys.argv` and its folder on `sys.path`.
Whatever gradcli lacks surfaces as one `ScriptError` line naming the PyTorch name and the
script line: `gradcli does not support torch.fft yet (train.py:12)`.

>>> run_script("examples/mnist/main.py", ["--epochs", "1"])

Also `python -m gradcli.torch_run script.py [args...]`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import re
import runpy
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from gradcli.errors import GradcliError

NOT_OURS = {
    "torchvision": "load MNIST or Fashion-MNIST with gradcli.data.load_dataset('mnist') "
    "(the IDX files) and wrap the arrays in a TensorDataset",
    "torchaudio": "gradcli has no audio datasets or transforms",
    "torchtext": "gradcli has no text datasets or tokenizers",
}


# torch's submodules that gradcli answers for. gradcli's other packages (data, distributed,
# train, ...) are its own APIs under a torch-like name: aliasing them would mislead a script.
TORCH_MODULES = {"nn", "optim", "utils", "autograd", "backends", "cuda", "accelerator", "linalg",
                 "serialization"}  # fmt: skip


class ScriptError(GradcliError):
    """The script stopped on an error; the message is one line with the script's line."""


class Unsupported(ModuleNotFoundError):
    """`import torch.X` for an X that gradcli does not have."""

    def __init__(self, torch_name: str, note: str = ""):
        super().__init__(note or f"gradcli does not support {torch_name} yet", name=torch_name)
        self.torch_name = torch_name
        self.note = note


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module  # the gradcli module itself: one object under both names

    def exec_module(self, module):
        pass


class TorchFinder(importlib.abc.MetaPathFinder):
    """Resolves `torch[.X]` to `gradcli[.X]`; refuses torchvision and friends in one line."""

    def __init__(self):
        self.names: dict[int, str] = {}  # id(gradcli module) -> the torch name it was asked as

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in NOT_OURS:
            raise Unsupported(fullname, f"{top} is not part of gradcli: {NOT_OURS[top]}")
        if top != "torch":
            return None
        if fullname != "torch" and fullname.split(".")[1] not in TORCH_MODULES:
            raise Unsupported(fullname)
        ours = "gradcli" + fullname[len("torch") :]
        try:
            module = importlib.import_module(ours)
        except ModuleNotFoundError as e:
            if e.name and ours.startswith(e.name):  # the module itself is missing, not a bug
                raise Unsupported(fullname) from None
            raise
        self.names.setdefault(id(module), fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module))

    def torch_name(self, module) -> str:
        name = self.names.get(id(module))
        return name or "torch" + module.__name__[len("gradcli") :]


@contextmanager
def _installed(script: Path, argv: list[str]):
    """The import hook, argv and sys.path for the script's run; all restored afterwards."""
    finder = TorchFinder()
    saved_argv, saved_path = sys.argv, list(sys.path)
    saved_modules = {k: v for k, v in sys.modules.items() if k.partition(".")[0] == "torch"}
    for k in saved_modules:  # a real torch imported earlier must not answer for us
        del sys.modules[k]
    sys.meta_path.insert(0, finder)
    sys.argv = [str(script), *argv]
    sys.path.insert(0, str(script.parent))
    try:
        yield finder
    finally:
        sys.meta_path.remove(finder)
        sys.argv, sys.path[:] = saved_argv, saved_path
        for k in [k for k in sys.modules if k.partition(".")[0] == "torch"]:
            del sys.modules[k]
        sys.modules.update(saved_modules)


def run_script(script: str | os.PathLike, argv: list[str] = (), debug: bool = False) -> None:
    """Run `script` as `__main__` with gradcli as torch; a failure is one `ScriptError` line
    (with `debug`, the original exception and its traceback propagate instead)."""
    path = Path(script)
    if not path.is_file():
        raise ScriptError(f"torch-run: no such script: {path}")
    with _installed(path.resolve(), list(argv)) as finder:
        try:
            runpy.run_path(str(path), run_name="__main__")
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:
            if debug:
                raise
            raise ScriptError(describe(e, path.resolve(), finder)) from e


# -- one line per failure -------------------------------------------------------------------


def _script_frame(tb, script: Path):
    """`(file name, line, at the failure?)` of the deepest frame in the script's folder; at the
    failure when the error was raised right there (or by a `__getattr__` it called)."""
    frames = traceback.extract_tb(tb)
    folder = str(script.parent)
    gradcli_dir = str(Path(__file__).parent)
    for depth, fr in enumerate(reversed(frames)):
        file = str(Path(fr.filename).resolve())
        if file.startswith(folder) and not file.startswith(gradcli_dir):
            at_failure = depth == 0 or (depth == 1 and frames[-1].name == "__getattr__")
            return Path(fr.filename).name, fr.lineno, at_failure
    return script.name, None, False


def _public_name(obj, finder: TorchFinder) -> str | None:
    """The torch name of a gradcli module, class or object, or None if it is not ours."""
    if type(obj).__name__ == "module":
        mod_name = getattr(obj, "__name__", "")
        return finder.torch_name(obj) if mod_name.split(".")[0] == "gradcli" else None
    cls = obj if isinstance(obj, type) else type(obj)
    if not cls.__module__.startswith("gradcli"):
        return None
    return _exported_as(cls.__name__, cls)


def _exported_as(name: str, obj=None) -> str:
    """`torch.nn.Linear` for `Linear`: the first public torch module that exports `name`."""
    if name.startswith("Tensor") and name not in ("TensorDataset",):  # Tensor's mixins
        name = "Tensor"
    for where in _PUBLIC:
        module = sys.modules.get("gradcli" + where[len("torch") :])
        found = getattr(module, name, None) if module is not None else None
        if found is not None and (obj is None or found is obj):
            return f"{where}.{name}"
    return f"torch.{name}"


_PUBLIC = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data",
           "torch.autograd", "torch.optim.lr_scheduler")  # fmt: skip


def describe(e: BaseException, script: Path, finder: TorchFinder) -> str:
    """The one line for an error that ended the script."""
    name, line, innermost = _script_frame(e.__traceback__, script)
    where = f"({name}:{line})" if line else f"({name})"
    missing = _unsupported_name(e, innermost, finder)
    if isinstance(e, Unsupported) and e.note:
        return f"{e.note} {where}"
    if missing:
        return f"gradcli does not support {missing} yet {where}"
    text = " ".join(str(e).split())
    if len(text) > 300:
        text = text[:297] + "..."
    kind = type(e).__name__
    return f"{kind}: {text} {where} (rerun with --debug for the traceback)"


_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_BAD_KEYWORD = re.compile(r"^([\w.]+)\(\) got an unexpected keyword argument '(\w+)'")


def _unsupported_name(e: BaseException, innermost: bool, finder: TorchFinder) -> str | None:
    if isinstance(e, Unsupported):
        return e.torch_name
    if isinstance(e, ImportError) and (m := _CANNOT_IMPORT.search(str(e))):
        module = sys.modules.get(m.group(2))
        if module is not None and m.group(2).split(".")[0] == "gradcli":
            return f"{finder.torch_name(module)}.{m.group(1)}"
    if not innermost:  # raised deeper, inside gradcli: not a missing name of the script's
        return None
    if isinstance(e, AttributeError) and getattr(e, "obj", None) is not None:
        owner = _public_name(e.obj, finder)
        return f"{owner}.{e.name}" if owner else None
    if isinstance(e, TypeError) and (m := _BAD_KEYWORD.search(str(e))):
        owner, _, method = m.group(1).removesuffix(".__init__").partition(".")
        return f"{_exported_as(owner)}{'.' * bool(method)}{method}({m.group(2)}=...)"
    return None


def main(argv: list[str] | None = None) -> None:
    """`python -m gradcli.torch_run [--debug] script.py [args...]`: the CLI command."""
    from gradcli.cli.app import main as cli_main  # the CLI renders errors, the library raises

    args = list(sys.argv[1:] if argv is None else argv)
    debug = args[:1] == ["--debug"]
    cli_main(["--debug"] * debug + ["torch-run", *args[debug:]])


if __name__ == "__main__":
    main()
