"""`--set` keys that walk into a list by something other than a position, or have an empty
part, are one-line config errors naming the key (a list path raised TypeError)."""

import pytest

from gradcli.config.load import Source, apply_override
from gradcli.errors import ConfigError


def _data():
    return {"model": {"layers": [{"linear": 8}, "relu", {"linear": 2}]}, "train": {}}


@pytest.mark.parametrize(
    "item, message",
    [
        ("model.layers.-1.linear=3", "model.layers.-1 does not exist (positions 0 to 2)"),
        ("model.layers.first.linear=3", "model.layers.first does not exist (positions 0 to 2)"),
        ("model.layers.x=3", "model.layers.x does not exist (positions 0 to 2)"),
        ("model.layers.9.linear=3", "model.layers[9] does not exist (positions 0 to 2)"),
        ("a..b=1", "a key has an empty part"),
        ("train.=1", "a key has an empty part"),
    ],
)
def test_bad_key_paths_are_config_errors(item, message):
    data = _data()
    with pytest.raises(ConfigError) as e:
        apply_override(data, Source("test", {}), item)
    assert str(e.value).startswith(f"--set {item}: ") and message in str(e.value)
    assert data == _data()  # nothing half-applied
