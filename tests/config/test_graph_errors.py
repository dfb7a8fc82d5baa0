"""Every graph mistake is a ConfigError when the model is traced (before any data is read), at
the file:line of the offending entry, with the shapes or names involved."""

import pytest

from gradcli.config.build import trace_layers
from gradcli.config.load import load_config
from gradcli.errors import ConfigError

HEAD = """\
name: bad
data: {dataset: shapes}
optimizer: {type: sgd, lr: 0.1}
model:
  input_shape: [2, 8, 8]
"""
BLOCKS = """\
  blocks:
    unit:
      params: {channels: 4, stride: null}
      residual:
        - conv2d: {out_channels: $channels, kernel_size: 3, stride: $stride, padding: 1}
      after: relu
"""


def _error(tmp_path, model: str) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + model)
    with pytest.raises(ConfigError) as e:
        trace_layers(load_config(path))
    return str(e.value).replace(f"{path}:", "")


CASES = [
    (  # added tensors of different shapes
        "  layers:\n    - save: a\n    - conv2d: {out_channels: 3, kernel_size: 1}\n    - add: a\n",
        "9:7: model.layers[2]: add needs equal shapes, got current output [3, 8, 8], 'a' [2, 8, 8]",
    ),
    (  # concat on mismatched sizes
        "  layers:\n    - save: a\n    - maxpool2d: 2\n    - concat: [a]\n",
        "9:7: model.layers[2]: concat joins on channels (the first dimension) and needs the others "
        "equal, got current output [2, 4, 4], 'a' [2, 8, 8]",
    ),
    (  # unknown saved name, with a suggestion
        "  layers:\n    - save: skip\n    - relu\n    - add: skp\n",
        "9:7: model.layers[2]: add: no output is saved as 'skp' in this list; did you mean 'skip'?",
    ),
    (  # forward reference
        "  layers:\n    - relu\n    - add: later\n    - save: later\n",
        "8:7: model.layers[1]: add: 'later' is saved later (at [2]); save it before",
    ),
    (  # a name saved twice
        "  layers:\n    - save: a\n    - save: a\n",
        "8:7: model.layers[1]: save: 'a' is saved twice in this list; give each saved output its "
        "own name",
    ),
    (  # branches added with different shapes
        "  layers:\n    - branches:\n        merge: add\n"
        "        paths: [[relu], [{maxpool2d: 2}]]\n",
        "7:7: model.layers[0].branches: add needs equal shapes, got paths[0] [2, 8, 8], "
        "paths[1] [2, 4, 4]",
    ),
    (  # an identity shortcut around a body that changes the shape
        "  layers:\n    - residual: {body: [{conv2d: {out_channels: 3, kernel_size: 1}}], "
        "shortcut: identity}\n",
        "7:7: model.layers[0]: residual: an identity shortcut needs the body to keep the shape, "
        "but it maps [2, 8, 8] to [3, 8, 8]; use shortcut: projection",
    ),
    (  # a missing block param
        BLOCKS + "  layers:\n    - unit\n",
        "13:7: model.layers[0]: block 'unit' needs parameter 'stride' (it has no default); give "
        "it, e.g. `- unit: {stride: ...}`",
    ),
    (  # an unknown block param
        BLOCKS + "  layers:\n    - unit: {stride: 1, chanels: 3}\n",
        "13:7: model.layers[0]: block 'unit' has no parameter 'chanels'; did you mean 'channels'?",
    ),
    (  # a shape problem inside a block: at the block's line, and where it is used
        BLOCKS + "  layers:\n    - flatten\n    - unit: {stride: 1}\n",
        "10:11: model.blocks.unit.residual[0] (conv2d) expects (channels, height, width) but its "
        "input has shape (128,); check model.input_shape, or remove a `flatten` (in block "
        "'unit', used at {path}14:7: model.layers[1])",
    ),
]


@pytest.mark.parametrize("model, message", CASES)
def test_graph_error_is_located(tmp_path, model, message):
    assert _error(tmp_path, model) == message.replace("{path}", "")


BLOCK_ORDER = """\
  blocks:
    first:
      layers: [relu, USE]
    second:
      layers: [relu]
  layers:
    - first
"""


def test_a_block_that_uses_itself(tmp_path):
    assert _error(tmp_path, BLOCK_ORDER.replace("USE", "first")) == (
        "8:22: model.blocks.first.layers[1]: block 'first' uses itself; a block may only use "
        "blocks defined before it (in block 'first', used at 12:7: model.layers[0])"
    )


def test_a_block_that_uses_a_later_one(tmp_path):
    assert _error(tmp_path, BLOCK_ORDER.replace("USE", "second")) == (
        "8:22: model.blocks.first.layers[1]: block 'first' uses block 'second', which is "
        "defined after it; move 'second' above it in model.blocks (in block 'first', used at "
        "12:7: model.layers[0])"
    )


def test_an_unknown_block_param_in_the_body(tmp_path):
    model = BLOCKS.replace("$stride", "$strid") + "  layers:\n    - unit: {stride: 1}\n"
    assert _error(tmp_path, model) == (
        "10:61: model.blocks.unit.residual[0].conv2d.stride: unknown block parameter '$strid'; "
        "did you mean '$stride'? (in block 'unit', used at 13:7: model.layers[0])"
    )


def test_a_bad_value_in_a_block_body(tmp_path):
    model = BLOCKS + "  layers:\n    - unit: {stride: 0}\n"
    message = _error(tmp_path, model)
    assert message.startswith("10:61: model.blocks.unit.residual[0].conv2d.stride")
    assert message.endswith("(in block 'unit', used at 13:7: model.layers[0])")


def test_a_mistyped_block_name_is_an_unknown_layer(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + BLOCKS + "  layers:\n    - unt: {stride: 1}\n")
    with pytest.raises(ConfigError) as e:  # refused by the schema, with the other errors
        load_config(path)
    assert "13:7: model.layers[0]: unknown layer 'unt'" in str(e.value)


def test_a_block_may_not_take_a_layer_name(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + "  blocks: {relu: {layers: [tanh]}}\n  layers: [relu]\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "6:3: model.blocks: block 'relu' has a reserved name; rename the block" in str(e.value)
