"""PyTorch-style scripts (tests/compat/scripts) run through `torch-run` print PyTorch's numbers.

Each script makes the kinds of calls the official tutorials and pytorch/examples make, from
deterministic start values; tests/compat/scripts/expected/ holds what PyTorch 2.14.1 (CPU)
printed for it. Where PyTorch is installed, the script is also run under it and compared.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gradcli.torch_run import run_script

SCRIPTS = Path(__file__).parent / "scripts"
NAMES = sorted(p.stem for p in SCRIPTS.glob("*.py") if not p.stem.startswith("_"))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


def assert_same_output(expected: str, got: str, rtol=1e-4, atol=1e-6):
    """Same lines with numbers masked, and every number within rtol (print precision)."""
    want = [line for line in expected.splitlines() if not line.startswith("# ")]
    have = got.splitlines()
    assert [NUMBER.sub("#", x) for x in have] == [NUMBER.sub("#", x) for x in want]
    for w_line, h_line in zip(want, have):
        for w, h in zip(NUMBER.findall(w_line), NUMBER.findall(h_line)):
            assert float(h) == pytest.approx(float(w), rel=rtol, abs=atol), (w_line, h_line)


def test_every_script_has_recorded_output():
    assert NAMES and all((SCRIPTS / "expected" / f"{n}.txt").is_file() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_script_prints_pytorchs_numbers(name, capsys):
    run_script(SCRIPTS / f"{name}.py")
    out, _ = capsys.readouterr()
    assert_same_output((SCRIPTS / "expected" / f"{name}.txt").read_text(), out)


@pytest.mark.parametrize("name", NAMES)
def test_script_matches_installed_pytorch(name, capsys):
    pytest.importorskip("torch")
    done = subprocess.run([sys.executable, str(SCRIPTS / f"{name}.py")], capture_output=True,
                          text=True, timeout=600, check=True)  # fmt: skip
    run_script(SCRIPTS / f"{name}.py")
    assert_same_output(done.stdout, capsys.readouterr()[0])
