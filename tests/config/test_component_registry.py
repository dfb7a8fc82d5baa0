import pytest

from gradcli.errors import ConfigError, DataError
from gradcli.registry import Registry, did_you_mean


def test_register_get_iterate():
    reg = Registry("loss")

    @reg.register("mse")
    def mse():
        return "mse"

    reg.register("l1", len, aliases=("mae",))
    assert reg.get("mse") is mse and reg.get("mae") is len
    assert list(reg) == ["mse", "l1"] == reg.names() and len(reg) == 2
    assert "mae" in reg and "huber" not in reg and {"type": 1} not in reg


def test_unknown_name_is_typed_error_with_suggestion_and_choices():
    reg = Registry("dataset", error=DataError)
    reg.register("mnist", 1, aliases=("MNIST",))
    reg.register("cifar10", 2)
    with pytest.raises(
        DataError,
        match=r"unknown dataset 'mnsit'; did you mean 'mnist'\? "
        r"\(known: mnist, cifar10\)$",
    ):
        reg.get("mnsit")
    with pytest.raises(ConfigError, match="unknown layer 'x'; choose one of none registered"):
        Registry("layer").get("x")
    with pytest.raises(ConfigError, match="unknown layer"):  # unhashable YAML values too
        Registry("layer").get({"a": 1})


def test_duplicate_and_empty_names_refused():
    reg = Registry("optimizer")
    reg.register("sgd", 1, aliases=("SGD",))
    for name in ("sgd", "SGD", ""):
        with pytest.raises(ValueError):
            reg.register(name, 2)


def test_temporarily_and_unregister_restore_the_registry():
    reg = Registry("layer")
    reg.register("relu", 1)
    v = reg.version
    with reg.temporarily("swish", 2, aliases=("silu",)) as entry:
        assert entry == 2 and reg.get("silu") == 2 and reg.version > v
    assert list(reg) == ["relu"] and "silu" not in reg
    with pytest.raises(RuntimeError), reg.temporarily("swish", 2):
        raise RuntimeError
    assert "swish" not in reg
    assert reg.unregister("relu") == 1 and len(reg) == 0


def test_did_you_mean():
    assert did_you_mean("lienar", ["linear", "conv2d"]) == "linear"
    assert did_you_mean("zzz", ["linear"]) is None
