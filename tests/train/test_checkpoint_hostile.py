"""Checkpoints against damaged and hostile files: one CheckpointError, never a hang, a huge
read or a traceback; saving follows the umask and survives a full disk."""

import errno
import json
import os
import shutil
import struct
import subprocess
import threading
import tracemalloc

import numpy as np
import pytest

import gradcli
from gradcli import nn
from gradcli.data import DataLoader, TensorDataset
from gradcli.errors import CheckpointError
from gradcli.factories import RNGStateError
from gradcli.optim import SGD
from gradcli.train import checkpoint

MiB = 1024 * 1024


def _model():
    gradcli.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _trained():
    """A model with BatchNorm after one step, its optimizer, and a resumable checkpoint."""
    model = _model()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(gradcli.randn(8, 3)).sum().backward()
    opt.step()
    data = TensorDataset(np.zeros((10, 3), np.float32), np.zeros(10, np.int64))
    loader = DataLoader(data, batch_size=4, shuffle=True, seed=1)
    next(iter(loader))
    meta = {
        "config": {"name": "t"},
        "state": {"epoch": 0, "step": 1, "epoch_loss": 0.5, "history": []},
        "rng": gradcli.get_rng_state(),
        "loader": loader.state_dict(),
        "scheduler": None,
        "callbacks": {"early_stopping": {"best": None}},
    }
    return model, opt, checkpoint.pack(model, opt, meta)


@pytest.fixture
def saved(tmp_path):
    return checkpoint.save(tmp_path / "last.safetensors", _trained()[2])


def _rewrite(path, header=None, meta=None):
    """Rewrite the file's JSON header (and/or its gradcli metadata) keeping its tensor bytes."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    h = json.loads(raw[8 : 8 + n])
    if meta is not None:
        h["__metadata__"]["gradcli"] = meta(json.loads(h["__metadata__"]["gradcli"]))
    if header is not None:
        h = header(h)
    body = h if isinstance(h, bytes) else json.dumps(h).encode()
    path.write_bytes(struct.pack("<Q", len(body)) + body + raw[8 + n :])


def _refused(path, *words):
    with pytest.raises(CheckpointError) as e:
        checkpoint.load(path)
    message = str(e.value)
    assert str(path) in message and "\n" not in message and len(message) < 400
    for word in words:
        assert word in message
    return message


def test_batchnorm_checkpoint_round_trips(tmp_path):
    model, opt, ck = _trained()
    assert model.state_dict()["1.num_batches_tracked"].shape == ()
    loaded = checkpoint.load(checkpoint.save(tmp_path / "c.safetensors", ck))
    assert loaded.tensors["model.1.num_batches_tracked"].shape == ()
    again = _model()
    again.load_state_dict(loaded.model_state())
    SGD(again.parameters(), lr=0.1, momentum=0.9).load_state_dict(loaded.optimizer_state())
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[name].numpy(), value.numpy())


def _load_in_thread(path, seconds=10):
    """checkpoint.load(path) with a hang guard: (finished, error)."""
    out = {}
    worker = threading.Thread(target=lambda: _capture(out, path), daemon=True)
    worker.start()
    worker.join(seconds)
    return not worker.is_alive(), out.get("error")


def _capture(out, path):
    try:
        checkpoint.load(path)
    except Exception as e:  # noqa: BLE001 - the test inspects it
        out["error"] = e


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "last.safetensors"
    os.mkfifo(fifo)
    finished = False
    try:
        finished, error = _load_in_thread(fifo)
        assert finished, "load() blocked on a FIFO"
        assert isinstance(error, CheckpointError) and "FIFO" in str(error)
    finally:
        if not finished:  # a reader blocked in open() returns once a writer comes and goes
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_link_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "last.safetensors"
    link.symlink_to("/dev/zero")
    finished, error = _load_in_thread(link)
    assert finished and isinstance(error, CheckpointError)
    assert "character device" in str(error) and "/dev/zero" in str(error)


def test_a_link_to_a_good_checkpoint_still_loads(tmp_path, saved):
    link = tmp_path / "link.safetensors"
    link.symlink_to(saved)
    assert checkpoint.load(link).meta["config"] == {"name": "t"}


def _peak_while(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_sparse_padding_to_4_gib_is_not_read(saved):
    size = saved.stat().st_size
    try:
        with open(saved, "r+b") as f:
            f.truncate(4 * 1024 * MiB)
    except (OSError, OverflowError) as e:
        pytest.skip(f"this filesystem cannot hold a sparse 4 GiB file ({e})")
    ck, peak = _peak_while(lambda: checkpoint.load(saved))
    assert peak < 16 * MiB, f"{peak} bytes allocated for a {size}-byte checkpoint"
    assert ck.tensors["model.1.num_batches_tracked"] == 1


def test_absurd_header_size_is_refused_before_reading(tmp_path):
    path = tmp_path / "last.safetensors"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 200 * MiB) + b"{")
        f.truncate(8 + 200 * MiB)  # sparse: the claim is true, and far over the limit
    _, peak = _peak_while(lambda: _refused(path, "header size", "limit"))
    assert peak < 16 * MiB


@pytest.mark.parametrize(
    "entry, words",
    [
        ([1, 2], ["is an array, not an object"]),
        ({"dtype": "F32", "shape": [4]}, ["data_offsets"]),
        ({"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}, ["declares"]),
        ({"dtype": "F32", "shape": [4], "data_offsets": ["0", 16]}, ["data_offsets"]),
        ({"dtype": "F32", "shape": [4], "data_offsets": [0, 16, 32]}, ["data_offsets"]),
        ({"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}, ["shape"]),
        ({"dtype": "F32", "shape": "4", "data_offsets": [0, 16]}, ["shape"]),
        ({"dtype": "X99", "shape": [4], "data_offsets": [0, 16]}, ["dtype"]),
        ({"shape": [4], "data_offsets": [0, 16]}, ["dtype"]),
        ({"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}, ["declares 16 bytes"]),
        ({"dtype": "F32", "shape": [4], "data_offsets": [2**40, 2**40 + 16]}, ["truncated"]),
        ({"dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}, ["overlaps"]),
    ],
)
def test_every_header_entry_is_checked(saved, entry, words):
    _rewrite(saved, header=lambda h: dict(h, **{"model.0.bias": entry}))
    _refused(saved, "model.0.bias", *words)


def test_overlapping_tensors_are_refused(saved):
    def overlap(h):
        h["model.0.bias"]["data_offsets"] = h["model.3.bias"]["data_offsets"]
        h["model.0.bias"]["shape"] = h["model.3.bias"]["shape"]
        return h

    _rewrite(saved, header=overlap)
    _refused(saved, "overlaps")


@pytest.mark.parametrize("where", ["header", "metadata"])
def test_deeply_nested_json_is_refused(saved, where):
    deep = '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"
    if where == "header":
        _rewrite(saved, header=lambda h: deep.encode())
    else:
        _rewrite(saved, meta=lambda m: deep)
    _refused(saved, "nested too deeply")


@pytest.mark.parametrize(
    "header, meta, words",
    [
        (lambda h: dict(h, __metadata__=["gradcli"]), None, ["not a gradcli checkpoint"]),
        (lambda h: {k: v for k, v in h.items() if k != "__metadata__"}, None, ["marker"]),
        (None, lambda m: json.dumps([m]), ["not a JSON object"]),
        (None, lambda m: "42", ["not a JSON object"]),
        (None, lambda m: "{not json", ["not a JSON object"]),
        (None, lambda m: 42, ["not a JSON object"]),
        (None, lambda m: json.dumps({k: v for k, v in m.items() if k != "config"}), ["config"]),
        (None, lambda m: json.dumps(dict(m, config=["a"])), ["config"]),
        (None, lambda m: json.dumps(dict(m, state=[1])), ["'state'"]),
        (None, lambda m: json.dumps(dict(m, transforms={"a": 1})), ["'transforms'"]),
        (None, lambda m: json.dumps(dict(m, transforms=[1])), ["'transforms'", "'type'"]),
        (None, lambda m: json.dumps(dict(m, state=None)), ["'state' entry is null"]),
    ],
)
def test_bad_metadata_is_refused(saved, header, meta, words):
    _rewrite(saved, header=header, meta=meta)
    _refused(saved, *words)


def test_truncation_anywhere_is_refused(saved):
    good = saved.read_bytes()
    for cut in range(0, len(good), 97):
        saved.write_bytes(good[:cut])
        _refused(saved)


@pytest.mark.parametrize(
    "change, entry",
    [
        (lambda m: m.pop("state"), "'state' entry is missing"),
        (lambda m: m.update(rng=[1, 2]), "'rng'"),
        (lambda m: m["rng"].update(state={"state": "x", "inc": 1}), "'rng'"),
        (lambda m: m["rng"].pop("bit_generator"), "'rng'"),
        (lambda m: m["state"].update(step=-1), "'state.step'"),
        (lambda m: m["state"].update(epoch_loss="x"), "'state.epoch_loss'"),
        (lambda m: m["state"].pop("epoch"), "'state'"),
        (lambda m: m["state"].update(history=[{"epoch": 1}, "x"]), "'state.history'"),
        (lambda m: m["state"].update(history=[{"loss": 1}]), "'state.history'"),
        (lambda m: m["loader"].pop("batch_index"), "'loader.batch_index'"),
        (lambda m: m["loader"].update(order=["a"]), "'loader.order'"),
        (lambda m: m["loader"].update(rng_state={"x": 1}), "'loader.rng_state'"),
        (lambda m: m.update(optimizer="sgd"), "'optimizer'"),
        (lambda m: m["optimizer"].update(state={"x": {}}), "'optimizer.state'"),
        (lambda m: m["optimizer"].update(param_groups=[{"params": ["w"]}]), "param_groups"),
        (lambda m: m.update(scheduler=[1]), "'scheduler'"),
        (lambda m: m.update(callbacks={"early_stopping": 3}), "'callbacks'"),
    ],
)
def test_check_resumable_names_the_bad_entry(tmp_path, change, entry):
    ck = _trained()[2]
    checkpoint.check_resumable(ck, "run/last.safetensors")  # the good one passes
    change(ck.meta)
    with pytest.raises(CheckpointError) as e:
        checkpoint.check_resumable(ck, "run/last.safetensors")
    assert "run/last.safetensors" in str(e.value) and entry in str(e.value)
    assert "\n" not in str(e.value)


def test_check_resumable_checks_tensor_names():
    ck = _trained()[2]
    ck.tensors["optim.x"] = np.zeros(1, np.float32)
    with pytest.raises(CheckpointError, match="optim.x"):
        checkpoint.check_resumable(ck, "c.safetensors")


def test_garbage_rng_state_is_a_typed_error_and_changes_nothing():
    gradcli.manual_seed(5)
    before = gradcli.get_rng_state()
    garbage = [[1], {}, {"bit_generator": "PCG64"}, dict(before, state={"state": 1.5, "inc": 1}),
               dict(before, has_uint32=10**50), dict(before, bit_generator="MT19937")]  # fmt: skip
    for bad in garbage:
        with pytest.raises(RNGStateError, match="get_rng_state"):
            gradcli.set_rng_state(bad)
    assert gradcli.get_rng_state() == before


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_mode_follows_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = checkpoint.save(tmp_path / "last.safetensors", _trained()[2])
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def _enospc(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("previous", [True, False])
def test_disk_full_keeps_the_previous_checkpoint(tmp_path, monkeypatch, previous):
    path = tmp_path / "last.safetensors"
    if previous:
        checkpoint.save(path, _trained()[2])
    before = path.read_bytes() if previous else None
    monkeypatch.setattr(os, "fsync", _enospc)  # where a full disk often shows: the flush
    with pytest.raises(CheckpointError) as e:
        checkpoint.save(path, _trained()[2])
    message = str(e.value)
    assert str(path) in message and "disk is full" in message and "free" in message
    assert ("previous last.safetensors is intact" in message) == previous
    assert "\n" not in message
    assert os.listdir(tmp_path) == (["last.safetensors"] if previous else [])
    assert (path.read_bytes() if previous else None) == before


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KiB tmpfs, where the test may mount one (root on Linux); skipped elsewhere."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = shutil.which("mount")
    if os.name != "posix" or os.geteuid() != 0 or mount is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run([mount, "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_disk_full_on_a_real_small_disk(tiny_disk):
    path = tiny_disk / "last.safetensors"
    checkpoint.save(path, _trained()[2])
    before = path.read_bytes()
    big = checkpoint.Checkpoint({"model.w": np.ones(MiB // 4, np.float32)}, {"config": {}})
    with pytest.raises(CheckpointError, match="disk is full .*previous last.safetensors is intact"):
        checkpoint.save(path, big)
    assert os.listdir(tiny_disk) == ["last.safetensors"] and path.read_bytes() == before


def test_remove_stale_temps_removes_only_killed_writes(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    stale = [folder / ".last.safetensors.k3j2_x9a.tmp", folder / ".summary.json.1a2b.tmp"]
    kept = [
        folder / n for n in ("last.safetensors", "notes.tmp", ".hidden.tmp", "a.safetensors.1.tmp")
    ]
    for p in stale + kept:
        p.write_bytes(b"x")
    assert sorted(checkpoint.remove_stale_temps(folder)) == sorted(stale)
    assert sorted(folder.iterdir()) == sorted(kept)
    assert checkpoint.remove_stale_temps(tmp_path / "absent") == []
