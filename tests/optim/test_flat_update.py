"""The whole-group (flat-buffer) update is the per-parameter update, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import gradcli
import gradcli.nn as nn
from gradcli.distributed.sync import GradientSync
from gradcli.distributed.world import World
from gradcli.optim import _flat

OPTIMIZERS = {
    "sgd": (gradcli.optim.SGD, {"lr": 0.1}),
    "sgd-momentum": (gradcli.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "sgd-nesterov-wd": (
        gradcli.optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    ),
    "sgd-dampening-maximize": (
        gradcli.optim.SGD,
        {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "maximize": True},
    ),
    "adam": (gradcli.optim.Adam, {"lr": 0.01}),
    "adam-amsgrad-wd": (gradcli.optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    "adamw": (gradcli.optim.AdamW, {"lr": 0.01, "weight_decay": 0.05}),
    "adamw-maximize": (gradcli.optim.AdamW, {"lr": 0.01, "maximize": True}),
    "rmsprop": (gradcli.optim.RMSprop, {"lr": 0.01}),
    "rmsprop-centered-momentum-wd": (
        gradcli.optim.RMSprop,
        {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.01},
    ),
}


@pytest.fixture
def flat_mode(monkeypatch):
    """`flat_mode(True)`: every group with 2+ parameters updates flat; False: never."""

    def set_mode(on: bool):
        monkeypatch.setattr(_flat, "MAX_MEAN_SIZE", 1 << 40 if on else 0)

    return set_mode


def _model(seed=0):
    gradcli.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))


def _batches(n, seed=1):
    rng = np.random.default_rng(seed)
    return [gradcli.from_numpy(rng.standard_normal((5, 6), dtype=np.float32)) for _ in range(n)]


def _bits(t):
    array = t.detach().cpu().numpy() if t.is_cuda else t._data
    return np.ascontiguousarray(array).view(np.uint8).tobytes()


def _state_bits(opt):
    out = []
    for group in opt.param_groups:
        for p in group["params"]:
            for key, value in sorted(opt.state.get(p, {}).items()):
                out.append((key, _bits(value) if hasattr(value, "_data") else value))
    return out


def _train(make_opt, batches, before_step=None, model=None):
    model = model or _model()
    opt = make_opt(model)
    for i, x in enumerate(batches):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        if before_step is not None:
            before_step(i, model, opt)
        opt.step()
    return model, opt


def _same(a, b):
    (ma, oa), (mb, ob) = a, b
    assert [_bits(p) for p in ma.parameters()] == [_bits(p) for p in mb.parameters()]
    assert _state_bits(oa) == _state_bits(ob)


def _is_flat(model, opt):
    return all(p._data.base is not None for p in model.parameters()) and opt._flat._groups


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_flat_update_equals_the_per_parameter_update(flat_mode, name):
    cls, options = OPTIMIZERS[name]
    batches = _batches(6)
    flat_mode(False)
    loop = _train(lambda m: cls(m.parameters(), **options), batches)
    assert not loop[1]._flat._groups
    flat_mode(True)
    flat = _train(lambda m: cls(m.parameters(), **options), batches)
    assert _is_flat(*flat)
    _same(flat, loop)


@pytest.mark.parametrize("name", ["sgd-nesterov-wd", "adam-amsgrad-wd"])
def test_param_groups_with_their_own_options(flat_mode, name):
    cls, options = OPTIMIZERS[name]

    def make(m):
        layers = list(m.children())
        return cls(
            [
                {"params": list(layers[0].parameters()), "lr": 0.02, "weight_decay": 0.3},
                {"params": list(layers[2].parameters()) + list(layers[4].parameters())},
            ],
            **options,
        )

    flat_mode(False)
    loop = _train(make, _batches(5))
    flat_mode(True)
    flat = _train(make, _batches(5))
    assert len(flat[1]._flat._groups) == 2
    _same(flat, loop)


@pytest.mark.parametrize("name", ["sgd-momentum", "adam", "rmsprop-centered-momentum-wd"])
def test_a_parameter_without_a_gradient_in_some_steps(flat_mode, name):
    cls, options = OPTIMIZERS[name]

    def drop_one(i, model, opt):
        if i in (1, 2):
            model[4].bias.grad = None  # as if that parameter were unused this step

    runs = []
    for on in (False, True):
        flat_mode(on)
        runs.append(_train(lambda m: cls(m.parameters(), **options), _batches(6), drop_one))
    _same(runs[1], runs[0])
    assert _is_flat(*runs[1])  # back to the flat update once every gradient is there
    (flat,) = runs[1][1]._flat._groups.values()
    assert flat.rebuilds == 1  # two steps without one gradient ran the loop, not a rebuild


def test_frozen_parameters_are_left_alone(flat_mode):
    cls, options = OPTIMIZERS["sgd-momentum"]
    runs = []
    for on in (False, True):
        flat_mode(on)
        model = _model()
        model[0].weight.requires_grad_(False)
        start = model[0].weight._data.copy()
        runs.append(_train(lambda m: cls(m.parameters(), **options), _batches(4), model=model))
        assert np.array_equal(model[0].weight._data, start)
    _same(runs[1], runs[0])
    # the others are updated flat
    trained = [p for p in runs[1][0].parameters() if p.requires_grad]
    assert runs[1][0][0].weight._data.base is None
    assert all(p._data.base is not None for p in trained)


@pytest.mark.parametrize(
    "name", ["sgd-nesterov-wd", "adam-amsgrad-wd", "adamw", "rmsprop-centered-momentum-wd"]
)
def test_state_dict_round_trip_resumes_bit_identically(flat_mode, name):
    cls, options = OPTIMIZERS[name]
    flat_mode(True)
    batches = _batches(8)
    whole = _train(lambda m: cls(m.parameters(), **options), batches)
    model, opt = _train(lambda m: cls(m.parameters(), **options), batches[:4])
    weights = {k: v._data.copy() for k, v in model.state_dict().items()}
    saved = opt.state_dict()
    saved["state"] = {
        i: {k: (v._data.copy() if hasattr(v, "_data") else v) for k, v in s.items()}
        for i, s in saved["state"].items()
    }
    resumed_model = _model(seed=5)
    resumed_model.load_state_dict({k: gradcli.from_numpy(v) for k, v in weights.items()})
    resumed_opt = cls(resumed_model.parameters(), **options)
    resumed_opt.load_state_dict(saved)
    for x in batches[4:]:
        resumed_opt.zero_grad()
        (resumed_model(x) ** 2).mean().backward()
        resumed_opt.step()
    assert _is_flat(resumed_model, resumed_opt)
    _same((resumed_model, resumed_opt), whole)
    # state_dict() hands out the optimizer's own buffers, as PyTorch does: views, not copies
    buffers = [v for s in resumed_opt.state_dict()["state"].values() for v in s.values()]
    assert all(v._data.base is not None for v in buffers if hasattr(v, "_data"))


def test_in_place_edits_and_reassigned_data_are_seen(flat_mode):
    cls, options = OPTIMIZERS["adam"]

    def edit(i, model, opt):
        with gradcli.no_grad():
            if i == 2:
                model[0].weight.mul_(0.5)
            if i == 3:
                model[2].weight.data = model[2].weight.data * 2.0
            if i == 4:
                model[4].bias.copy_(gradcli.ones(3))

    runs = []
    for on in (False, True):
        flat_mode(on)
        runs.append(_train(lambda m: cls(m.parameters(), **options), _batches(7), edit))
    _same(runs[1], runs[0])
    assert _is_flat(*runs[1])  # rebuilt after `.data =`


def test_a_parameter_sharing_a_numpy_array_keeps_sharing_it(flat_mode):
    flat_mode(True)
    array = np.ones((3, 4), dtype=np.float32)
    w = nn.Parameter(gradcli.from_numpy(array))
    b = nn.Parameter(gradcli.zeros(3))
    opt = gradcli.optim.SGD([w, b], lr=0.5, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (w.sum(dim=1) + b).sum().backward()
        opt.step()
    assert w._data is array  # never re-pointed: the group ran the per-parameter loop
    assert not np.array_equal(array, np.ones((3, 4)))


def test_a_second_optimizer_takes_over_the_buffer(flat_mode):
    flat_mode(True)
    cls, options = OPTIMIZERS["sgd-momentum"]
    model, first = _train(lambda m: cls(m.parameters(), **options), _batches(2))
    del first
    model, second = _train(lambda m: cls(m.parameters(), **options), _batches(2), model=model)
    assert _is_flat(model, second)


def test_gradients_in_gradient_sync_buckets(flat_mode):
    cls, options = OPTIMIZERS["sgd-nesterov-wd"]
    runs = []
    for on in (False, True):
        flat_mode(on)
        model = _model()
        sync = GradientSync(World(), model.parameters(), bucket_mb=0.0005)
        opt = cls(model.parameters(), **options)
        for x in _batches(5):
            sync.zero()
            (model(x) ** 2).mean().backward()
            sync.reduce()
            assert all(p.grad._data.base is not None for p in model.parameters())
            opt.step()
        runs.append((model, opt))
    assert len(GradientSync(World(), runs[1][0].parameters(), bucket_mb=0.0005).buckets) > 1
    _same(runs[1], runs[0])
    assert _is_flat(*runs[1])


@pytest.mark.gpu
def test_flat_update_on_the_gpu(flat_mode):
    if not gradcli.cuda.is_available():
        pytest.skip("needs CuPy and a usable CUDA GPU (or the test stand-in)")
    cls, options = OPTIMIZERS["adam-amsgrad-wd"]
    batches = [x.to("cuda") for x in _batches(4)]
    runs = []
    for on in (False, True):
        flat_mode(on)
        make = lambda m: cls(m.parameters(), **options)  # noqa: E731
        runs.append(_train(make, batches, model=_model().to("cuda")))
    _same(runs[1], runs[0])
    assert _is_flat(*runs[1])
    assert all(p.is_cuda for p in runs[1][0].parameters())
    assert all(
        v.is_cuda for s in runs[1][1].state.values() for v in s.values() if hasattr(v, "_data")
    )
