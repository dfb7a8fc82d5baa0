"""Shared by the inspect tests: a LeNet-like config whose numbers are checked by hand."""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "configs" / "quickstart.yaml"

LENET = """
name: lenet
data: {dataset: shapes, batch_size: 4}
model:
  input_shape: [1, 28, 28]
  layers:
    - conv2d: {out_channels: 6, kernel_size: 5, padding: 2}
    - relu
    - maxpool2d: 2
    - conv2d: {out_channels: 16, kernel_size: 5}
    - relu
    - maxpool2d: 2
    - flatten
    - linear: 120
    - relu
    - linear: 84
    - relu
    - linear: 10
loss: cross_entropy
optimizer: {type: sgd, lr: 0.1}
"""


def write_lenet(folder: pathlib.Path) -> pathlib.Path:
    path = folder / "lenet.yaml"
    path.write_text(LENET)
    return path
