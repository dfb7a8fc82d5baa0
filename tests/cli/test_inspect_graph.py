"""`gradcli inspect-graph`: in process for the formats, through the entry point for exit codes."""

import json
import pathlib
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from gradcli.cli.app import app as gradcli_app
from gradcli.cli.inspect_graph import inspect_graph
from gradcli.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = str(ROOT / "configs" / "quickstart.yaml")

# Until app.py registers the command, run the real `main()` with it registered by hand.
_SHIM = (
    "from gradcli.cli.app import app, main\n"
    "from gradcli.cli.inspect_graph import inspect_graph\n"
    "app.command('inspect-graph')(inspect_graph)\n"
    "main()\n"
)
_REGISTERED = any(c.name == "inspect-graph" for c in gradcli_app.registered_commands)


def gradcli(*args, env=None):
    prefix = ["-m", "gradcli"] if _REGISTERED else ["-c", _SHIM]
    return subprocess.run(
        [sys.executable, *prefix, *args], capture_output=True, text=True, env=env, cwd=ROOT
    )


def invoke(*args):
    app = typer.Typer()
    app.callback()(lambda: None)  # a group, so the command keeps its name as in gradcli
    app.command("inspect-graph")(inspect_graph)
    return CliRunner().invoke(app, ["inspect-graph", *args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-inspect") / "run"
    out = gradcli(
        "train", QUICKSTART, "--set", "train.steps=2", "--set", "data.options.n_samples=300",
        "--run-dir", str(folder), "--quiet",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (folder / "checkpoints" / "last.safetensors").is_file()
    return folder


def test_table_is_the_default():
    out = gradcli("inspect-graph", QUICKSTART)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    conv = next(line for line in lines if "Conv2d(1, 16, kernel_size=(3, 3), ...)" in line)
    assert "[64, 16, 28, 28]" in conv and "160" in conv and "112,896" in conv
    assert any("Linear(in_features=1568, out_features=64, ...)" in line for line in lines)
    assert any(line.split()[:3] == ["Total", "params", "105,866"] for line in lines)
    assert "Gradients" in out.stdout and "\x1b[" not in out.stdout


def test_tree_from_a_run_folder(run_dir):
    out = gradcli("inspect-graph", str(run_dir), "--format", "tree", "--batch-size", "2")
    assert out.returncode == 0, out.stderr
    assert "CrossEntropyLossBackward0 []" in out.stdout
    assert "ConvolutionBackward0 [2, 16, 28, 28]" in out.stdout
    assert "AccumulateGrad 0.weight [16, 1, 3, 3]" in out.stdout


def test_unknown_format_exits_2_with_one_line():
    out = gradcli("inspect-graph", QUICKSTART, "--format", "png")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: unknown --format 'png': choose one of table, tree, dot, json, svg"
    ]


def test_svg_without_graphviz_exits_1(tmp_path):
    out = gradcli("inspect-graph", QUICKSTART, "-f", "svg", "-b", "1", env={"PATH": str(tmp_path)})
    assert out.returncode == 1
    assert "apt-get install graphviz" in out.stderr and "--format dot" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_checkpoint_exits_1(tmp_path):
    out = gradcli("inspect-graph", str(tmp_path / "nope.safetensors"))
    assert out.returncode == 1 and "checkpoint not found" in out.stderr


def test_json_to_a_file(tmp_path):
    path = tmp_path / "model.json"
    result = invoke(QUICKSTART, "--format", "json", "-o", str(path), "-b", "3")
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.output
    doc = json.loads(path.read_text())
    assert doc["layers"][0]["output_shape"] == [3, 16, 28, 28]
    assert len([n for n in doc["graph"]["nodes"] if "param" in n]) == 8
    assert doc["totals"]["params"] == 105_866


def test_dot_to_stdout_and_set_overrides():
    result = invoke(QUICKSTART, "-f", "dot", "--set", "data.batch_size=5")
    assert result.exit_code == 0, result.output
    assert result.output.startswith('digraph "quickstart" {')
    assert "[5, 16, 28, 28]" in result.output


def test_table_to_a_file_is_plain_text(tmp_path):
    path = tmp_path / "table.txt"
    result = invoke(QUICKSTART, "-o", str(path))
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "\x1b[" not in text and "[64, 32, 7, 7]" in text and "Estimated total" in text


def test_usage_errors_are_config_errors(tmp_path):
    result = invoke(QUICKSTART, "--format", "bmp")
    assert isinstance(result.exception, ConfigError)
    result = invoke(QUICKSTART, "-o", str(tmp_path / "no" / "such" / "dir.txt"))
    assert isinstance(result.exception, ConfigError) and "cannot write" in str(result.exception)


def test_output_onto_the_inspected_file_is_refused(tmp_path, run_dir):
    config = tmp_path / "model.yaml"
    config.write_text(pathlib.Path(QUICKSTART).read_text())
    before = config.read_bytes()
    result = invoke(str(config), "-f", "json", "-o", str(config))
    assert isinstance(result.exception, ConfigError) and "being inspected" in str(result.exception)
    assert config.read_bytes() == before
    checkpoint = run_dir / "checkpoints" / "last.safetensors"
    before = checkpoint.read_bytes()
    result = invoke(str(run_dir), "-f", "dot", "-o", str(checkpoint))  # the folder's target
    assert isinstance(result.exception, ConfigError) and "the checkpoint" in str(result.exception)
    assert checkpoint.read_bytes() == before
