"""Hostile and mistaken config files: each is one ConfigError naming the file and key, found
before anything is built (issue 10)."""

import json

import pytest

from gradcli import nn, optim
from gradcli.config.build import build_model, build_scheduler
from gradcli.config.load import load_config
from gradcli.errors import ConfigError

GOOD = """\
name: ok
data: {dataset: blobs, options: {n_samples: 100}}
model:
  input_shape: [2]
  layers: [{linear: 8}, relu, {linear: 3}]
optimizer: {type: sgd, lr: 0.1}
train: {epochs: 10}
"""


def error(tmp_path, text: str | bytes, overrides=()) -> str:
    path = tmp_path / "c.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as e:
        load_config(path, overrides)
    return str(e.value)


def test_the_good_config_loads(tmp_path):
    (tmp_path / "c.yaml").write_text(GOOD)
    assert load_config(tmp_path / "c.yaml").train.epochs == 10


def test_non_utf8_and_binary_files(tmp_path):
    msg = error(tmp_path, GOOD.encode().replace(b"ok", b"\xe9t\xe9"))
    assert msg == f"{tmp_path / 'c.yaml'}: not a UTF-8 text file (byte 0xe9 at offset 6); " + (
        "give a YAML config"
    )
    assert "not a YAML text file: character U+0000 at offset 7" in error(
        tmp_path, b"name: a\x00\x01\x02"
    )


def test_deep_nesting(tmp_path):
    assert "nested more than 64 levels deep" in error(tmp_path, "[" * 5000)
    assert "nested more than 64 levels deep" in error(tmp_path, "a: " + "[" * 200 + "]" * 200)


def test_billion_laughs(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    msg = error(tmp_path, "\n".join(lines) + "\n")
    assert msg.endswith("more than 100,000 values once its aliases (*name) are expanded; is it a "
                        "YAML bomb?")  # fmt: skip


def test_too_big_and_not_a_file(tmp_path):
    assert "is too big for a config" in error(tmp_path, "#" * 2_000_000)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(tmp_path)


def test_duplicate_keys_name_both_lines(tmp_path):
    text = GOOD.replace("train:", "optimizer: {type: adam}\ntrain:")
    assert f"{tmp_path / 'c.yaml'}:7:1: duplicate key 'optimizer' (also on line 6)" in error(
        tmp_path, text
    )
    nested = GOOD.replace("lr: 0.1", "lr: 0.1, lr: 0.2")
    assert "6:33: duplicate key 'lr' (also on line 6)" in error(tmp_path, nested)


def test_epochs_null_needs_steps(tmp_path):
    msg = error(tmp_path, GOOD.replace("epochs: 10", "epochs: null"))
    assert msg.endswith(
        "train: give train.epochs or train.steps: without either the run never ends"
    )
    assert "Value error" not in msg
    (tmp_path / "s.yaml").write_text(GOOD.replace("epochs: 10", "epochs: null, steps: 5"))
    assert load_config(tmp_path / "s.yaml").train.steps == 5


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace("name: ok", "seed: -1\nname: ok"), "seed: Input should be greater than"),
        (GOOD.replace("name: ok", "name: " + "a" * 300), "name: String should have at most 100"),
        (GOOD.replace("lr: 0.1", "lr: .inf"), "optimizer.lr: inf and nan are not allowed"),
        (GOOD.replace("lr: 0.1", "lr: 1.0e+999"), "optimizer.lr: inf and nan are not allowed"),
        (GOOD.replace("n_samples: 100", "noise: .nan"), "data.options.noise: inf and nan"),
        (GOOD.replace("epochs: 10", "grad_clip: {max_norm: 1, value: 1}"),
         "train.grad_clip: give exactly one of max_norm (clip by norm) or value"),
    ],
)  # fmt: skip
def test_values_refused(tmp_path, text, message):
    msg = error(tmp_path, text)
    assert message in msg and "Value error" not in msg and len(msg.splitlines()) == 2


def test_non_finite_override(tmp_path):
    (tmp_path / "c.yaml").write_text(GOOD)
    msg = error(tmp_path, GOOD, ["optimizer.momentum=-.inf"])
    assert "--set optimizer.momentum=-.inf: optimizer.momentum: inf and nan" in msg


def test_unknown_component_names(tmp_path):
    msg = error(tmp_path, GOOD.replace("train:", "loss: msee\nscheduler: {type: cosin}\ntrain:"))
    assert "loss: unknown loss 'msee'; did you mean 'mse'? (known: cross_entropy, nll," in msg
    assert "scheduler: unknown scheduler 'cosin'; did you mean 'cosine'?" in msg
    assert "scheduler: give its `type:`" in error(tmp_path, GOOD + "scheduler: {gamma: 1}\n")


def test_model_size_checked_before_allocating(tmp_path):
    text = GOOD.replace("input_shape: [2]", "input_shape: [1000000]").replace(
        "linear: 8", "linear: 100000"
    )
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ConfigError) as e:
        build_model(load_config(tmp_path / "c.yaml"))
    assert str(e.value).endswith(
        "model.layers[0] (linear) brings the model to 100,000,100,000 parameters, more than the "
        "1,000,000,000 gradcli allows; make the layer or its input smaller"
    )
    (tmp_path / "c.yaml").write_text(GOOD.replace("[2]", "[101, 1000, 1000]"))
    with pytest.raises(ConfigError, match="input_shape has 101,000,000 elements per sample"):
        build_model(load_config(tmp_path / "c.yaml"))


WARMUP_COSINE = (
    "scheduler: {type: sequential, milestones: [3], schedulers: "
    "[{type: linear, start_factor: 0.25, total_iters: 3}, {type: cosine, eta_min: 0.01}]}\n"
)


def _schedule(tmp_path, text):
    (tmp_path / "c.yaml").write_text(text)
    config = load_config(tmp_path / "c.yaml")
    opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    return opt, build_scheduler(config, opt, steps_per_epoch=4)


def test_sequential_scheduler_warmup_then_cosine(tmp_path):
    opt, schedule = _schedule(tmp_path, GOOD + WARMUP_COSINE)
    assert not schedule.per_step and schedule.metric is None
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        schedule.scheduler.step()
    assert lrs[:4] == pytest.approx([0.025, 0.05, 0.075, 0.1])  # warm-up, then cosine from 0.1
    assert lrs[3] > lrs[6] > lrs[9] >= 0.01 and lrs[9] < 0.015  # cosine spans the 7 epochs left


def test_sequential_scheduler_state_round_trip_through_json(tmp_path):
    opt, schedule = _schedule(tmp_path, GOOD + WARMUP_COSINE)
    for _ in range(4):
        schedule.scheduler.step()
    state = json.loads(json.dumps(schedule.scheduler.state_dict()))  # checkpoint metadata is JSON
    opt2, resumed = _schedule(tmp_path, GOOD + WARMUP_COSINE)
    resumed.scheduler.load_state_dict(state)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]  # the optimizer's own state_dict
    for _ in range(5):
        schedule.scheduler.step()
        resumed.scheduler.step()
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


@pytest.mark.parametrize(
    "scheduler, message",
    [
        ("{type: sequential, schedulers: [linear, cosine], milestones: []}",
         "2 schedulers need 1 milestones, got 0"),
        ("{type: sequential, schedulers: [linear, cosine, {type: step, step_size: 1}], "
         "milestones: [4, 2]}",
         "milestones must increase, got [4, 2]"),
        ("{type: sequential, schedulers: [linear, plateau], milestones: [2]}",
         "schedulers[1] (plateau) cannot be chained"),
        ("{type: sequential, schedulers: [linear, {type: cosin}], milestones: [2]}",
         "scheduler.schedulers[1]: unknown scheduler 'cosin'; did you mean 'cosine'?"),
        ("{type: sequential, schedulers: [linear, {type: step}], milestones: [2]}",
         "scheduler.schedulers[1].step_size: required key is missing"),
    ],
)  # fmt: skip
def test_sequential_scheduler_validated(tmp_path, scheduler, message):
    assert message in error(tmp_path, GOOD + f"scheduler: {scheduler}\n")


def test_control_characters_in_keys_stay_on_one_line(tmp_path):
    msg = error(tmp_path, GOOD + '"\\x1e\\n": 1\n"a\\x1eb": .nan\n')
    assert msg.splitlines()[1].endswith("c.yaml:9:1: a\\x1eb: inf and nan are not allowed; give "
                                        "a finite number")  # fmt: skip
    msg = error(tmp_path, GOOD + '"\\x1e\\n": 1\n')
    assert len(msg.splitlines()) == 2 and "unknown key '\\x1e\\n'" in msg


def test_stored_configs_are_bounded_too():
    """A checkpoint's config arrives as data, not YAML: its depth and size are checked too."""
    from gradcli.config.load import Source, load_data

    deep: list = []
    for _ in range(1000):
        deep = [deep]
    data = {"name": "x", "data": {"dataset": "blobs", "options": {"a": deep}}}
    with pytest.raises(ConfigError, match=r"^ck: data\.options\.a(\[0\])+: nested more than 64"):
        load_data(data, Source("ck", {}))
    with pytest.raises(ConfigError, match="^ck: the config holds more than 100,000 values"):
        load_data({"name": "x", "data": {"options": {"a": [0] * 200_000}}}, Source("ck", {}))
