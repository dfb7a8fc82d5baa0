"""`gradcli eval` reads only the files of the split it evaluates."""

import json
import shutil

from tests.data.writers import write_mnist

from .conftest import run

CONFIG = """
name: tiny-mnist
data:
  dataset: mnist
  root: {root}
  transforms: [scale, normalize, flatten]
  batch_size: 8
  val_split: 0.25
model:
  input_shape: [784]
  layers: [{{linear: 10}}]
optimizer: {{type: sgd, lr: 0.1}}
train: {{epochs: 1}}
"""


def test_eval_on_test_needs_only_the_test_files(tmp_path):
    write_mnist(tmp_path / "data" / "mnist", n_train=24, n_test=7)
    config = tmp_path / "tiny.yaml"
    config.write_text(CONFIG.format(root=tmp_path / "data"))
    trained = run("train", config, "--run-dir", tmp_path / "run")
    assert trained.returncode == 0, trained.stderr
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / "data" / "mnist" / name).unlink()
    result = run("eval", tmp_path / "run", "--split", "test", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["samples"] == 7
    # The val split comes from the train files: now a one-line error naming both of them.
    result = run("eval", tmp_path / "run", "--split", "val")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "missing file(s) train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz" in (
        result.stderr
    )
    # The data root given on the command line wins over the config's, as --data or --root.
    shutil.move(tmp_path / "data", tmp_path / "moved")
    for flag in ("--data", "--root"):
        result = run("eval", tmp_path / "run", flag, tmp_path / "moved", "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["samples"] == 7
