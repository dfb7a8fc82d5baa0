"""`gradcli export` on a real checkpoint: the ONNX file (metadata, dynamic batch, raw-pixel
input, --no-transforms), the safetensors weights, and the errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export needs gradcli[onnx]")
pytest.importorskip("onnxruntime", reason="the comparison runs ONNX Runtime (gradcli[onnx])")

from gradcli import nn  # noqa: E402
from gradcli.deploy import onnx_export  # noqa: E402
from gradcli.deploy.export import export  # noqa: E402
from gradcli.deploy.export_errors import ExportError, ExportMismatchError  # noqa: E402
from gradcli.deploy.loaded import load_for_inference  # noqa: E402
from gradcli.deploy.onnx_check import run_onnx  # noqa: E402

CONFIG = """
name: tiny
seed: 1
data:
  dataset: shapes
  options: {n_samples: 300}
  transforms: [scale, normalize]
  batch_size: 50
  val_split: 0.2
model:
  input_shape: [1, 28, 28]
  layers:
    - conv2d: {out_channels: 4, kernel_size: 3, padding: 1}
    - batchnorm2d
    - relu
    - maxpool2d: 2
    - flatten
    - dropout: 0.3
    - linear: 10
optimizer: {type: adam, lr: 0.003}
train:
  steps: 8
  checkpoint: {best_metric: null}
"""


def gradcli_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gradcli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    (folder / "tiny.yaml").write_text(CONFIG)
    trained = gradcli_cli("train", "tiny.yaml", "--run-dir", "run", "-q", cwd=folder)
    assert trained.returncode == 0, trained.stderr
    return folder / "run"


REGRESSION = """
name: reg
data: {dataset: regression, options: {n_samples: 64, in_features: 6, out_features: 2},
       batch_size: 16, val_split: 0}
model: {input_shape: [6], layers: [{linear: 8}, tanh, {linear: 2}]}
loss: mse
optimizer: {type: sgd, lr: 0.01}
train: {steps: 2, checkpoint: {best_metric: null}}
"""


def test_a_regression_model_without_transforms(tmp_path):
    (tmp_path / "reg.yaml").write_text(REGRESSION)
    trained = gradcli_cli("train", "reg.yaml", "--run-dir", "run", "-q", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    result = export(tmp_path / "run", "onnx")
    assert result["path"].endswith("last.onnx") and result["class_names"] is None
    assert result["task"] == "regression" and result["transforms_in_graph"] is False
    assert result["input_shape"] == [6] and result["check"]["max_abs_diff"] < 1e-4
    meta = {p.key: p.value for p in onnx.load(result["path"]).metadata_props}
    assert meta["class_names"] == "null" and meta["task"] == "regression"


def _pixels(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 1, 28, 28)).astype(np.float32)


def test_onnx_export_from_the_command_line(run_dir):
    done = gradcli_cli("export", run_dir, "--format", "onnx", cwd=run_dir)
    assert done.returncode == 0, done.stderr
    assert "max abs difference" in done.stdout and "test samples of shapes" in done.stdout
    path = run_dir / "checkpoints" / "last.onnx"
    proto = onnx.load(path)
    assert proto.opset_import[0].version >= 17
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["class_names"])[:2] == ["square", "square_outline"]
    assert json.loads(meta["input_shape"]) == [1, 28, 28] and meta["task"] == "classification"
    assert [t["type"] for t in json.loads(meta["transforms"])] == ["scale", "normalize"]
    assert json.loads(meta["model"])["layers"][0]["conv2d"]["out_channels"] == 4
    assert [i.name for i in proto.graph.input] == ["input"]
    assert [o.name for o in proto.graph.output] == ["output"]
    # the graph takes raw pixel values: scale and normalize are in it; the batch is dynamic
    loaded = load_for_inference(run_dir)
    for n in (5, 2):
        raw = _pixels(n, seed=n)
        expected = loaded.forward(loaded.prepare(raw))
        np.testing.assert_allclose(run_onnx(path.read_bytes(), raw), expected, atol=1e-4)


def test_no_transforms_takes_prepared_inputs(run_dir, tmp_path):
    result = export(run_dir, "onnx", tmp_path / "m.onnx", transforms=False)
    assert result["transforms_in_graph"] is False and result["check"]["max_abs_diff"] < 1e-4
    loaded = load_for_inference(run_dir)
    x = loaded.prepare(_pixels(4))
    got = run_onnx((tmp_path / "m.onnx").read_bytes(), x)
    np.testing.assert_allclose(got, loaded.forward(x), atol=1e-4)
    ops = {n.op_type for n in onnx.load(tmp_path / "m.onnx").graph.node}
    assert "Div" not in ops and "Sub" not in ops  # no transform nodes


def test_safetensors_weights_have_state_dict_names(run_dir, tmp_path):
    from safetensors import safe_open

    done = gradcli_cli("export", run_dir, "-f", "safetensors", "-o", tmp_path / "w.st",
                       cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    state = load_for_inference(run_dir).model.state_dict()
    with safe_open(tmp_path / "w.st", "np") as f:
        assert list(f.keys()) == sorted(state)
        for name in state:
            np.testing.assert_array_equal(f.get_tensor(name), state[name].numpy())
        meta = f.metadata()
    assert meta["format"] == "pt" and json.loads(meta["model_input_shape"]) == [1, 28, 28]
    assert len(json.loads(meta["class_names"])) == 10
    assert json.loads(meta["transforms"])[1]["type"] == "normalize"
    assert "0.weight" in state and "1.running_var" in state  # PyTorch's Sequential names


def test_a_module_without_converter_is_one_line_naming_it():
    model = nn.Sequential(nn.Linear(4, 6), nn.Sequential(nn.ReLU(), nn.GroupNorm(2, 6)))
    with pytest.raises(ExportError) as e:
        onnx_export.model_to_onnx(model, (4,))
    message = str(e.value)
    assert "\n" not in message
    assert "model layer '1.1'" in message and "no converter for GroupNorm" in message


def test_an_unsupported_setting_says_why():
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    with pytest.raises(ExportError, match=r"layer '0' \(BatchNorm1d\).*running statistics"):
        onnx_export.model_to_onnx(nn.Sequential(bn), (3,))


def test_a_disagreeing_graph_fails_the_check_and_is_not_written(run_dir, tmp_path, monkeypatch):
    def wrong(b, m, x):  # sigmoid where relu belongs: the check must catch it
        return b.op("Sigmoid", [x.name])

    monkeypatch.setitem(onnx_export.CONVERTERS, nn.ReLU, wrong)
    with pytest.raises(ExportMismatchError, match="not written"):
        export(run_dir, "onnx", tmp_path / "bad.onnx")
    assert not (tmp_path / "bad.onnx").exists()


def test_without_onnxruntime_it_writes_unchecked(run_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    result = export(run_dir, "onnx", tmp_path / "m.onnx")
    assert result["check"] is None and (tmp_path / "m.onnx").is_file()


def test_without_onnx_the_error_names_the_extra(run_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ExportError, match=r"pip install 'gradcli\[onnx\]'"):
        export(run_dir, "onnx", tmp_path / "m.onnx")


@pytest.mark.parametrize(
    "args, message",
    [
        (["-f", "tflite"], "unknown export format 'tflite'; choose one of onnx, safetensors"),
        (["-f", "onnx", "-o", "run/checkpoints/last.safetensors"], "is the checkpoint itself"),
        (["-f", "onnx", "-o", "run"], "is a folder"),
    ],
)
def test_command_line_errors_are_one_line(run_dir, args, message):
    done = gradcli_cli("export", "run", *args, cwd=run_dir.parent)
    assert done.returncode == 1
    assert message in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "spec, message",
    [
        ([{"type": "clip"}], "cannot put input transform 'clip' into the ONNX graph"),
        ([{"type": "normalize", "per": "channel"}], "was never fitted"),
    ],
)
def test_transforms_the_graph_cannot_hold_are_refused(spec, message):
    with pytest.raises(ExportError, match=message):
        onnx_export.model_to_onnx(nn.Sequential(nn.Linear(3, 2)), (3,), spec)
