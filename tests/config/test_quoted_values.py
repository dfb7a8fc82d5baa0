"""A bad value is quoted in at most 60 characters, by the one helper every layer can import
(gradcli._text.clip: config messages here, checkpoint messages in train)."""

import pytest

from gradcli._text import QUOTE_CHARS, clip
from gradcli.config.load import load_config
from gradcli.errors import ConfigError


def test_clip():
    assert QUOTE_CHARS == 60
    assert clip("short") == "short"
    assert clip("x" * 60) == "x" * 60
    assert clip("x" * 61) == "x" * 57 + "..."
    assert clip("abcdef", limit=5) == "ab..."


def test_a_long_bad_value_is_quoted_clipped(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "name: q\ndata: {dataset: blobs, batch_size: " + "z" * 500 + "}\n"
        "model: {input_shape: [2], layers: [{linear: 3}]}\noptimizer: {type: sgd, lr: 0.1}\n"
    )
    with pytest.raises(ConfigError) as e:
        load_config(path)
    line = str(e.value).splitlines()[1]
    assert line.endswith(f"data.batch_size: Input should be a valid integer, unable to parse "
                         f"string as an integer (got '{'z' * 56}...)")  # fmt: skip
