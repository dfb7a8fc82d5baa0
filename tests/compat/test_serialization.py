"""gradcli.save / gradcli.load: PyTorch's calls, a safetensors file, never pickle."""

import io
import json
import math
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy

import gradcli as torch
from gradcli.errors import CheckpointError
from gradcli.serialization import UnsafeObjectError


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


def test_tensor_dtypes_shapes_and_values_survive():
    for t in (
        torch.tensor([[1.5, -2.0], [3.0, 4.25]]),
        torch.tensor([1, 2, 3], dtype=torch.int64),
        torch.tensor(7.0, dtype=torch.float64),  # 0-d
        torch.tensor([True, False]),
        torch.tensor([0.5], dtype=torch.float16),
        torch.tensor([200], dtype=torch.uint8),
        torch.zeros(0, 3),
    ):
        back = roundtrip(t)
        assert back.dtype == t.dtype and back.shape == t.shape
        np.testing.assert_array_equal(back.numpy(), t.numpy())
        back += 1  # loaded tensors are writable (optimizers update them in place)


def test_checkpoint_of_model_optimizer_and_plain_values(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).pow(2).sum().backward()
    opt.step()
    ckpt = {
        "epoch": 3,
        "loss": 0.25,
        "best": float("inf"),
        "name": "run",
        "done": False,
        "note": None,
        "shape": (2, [3, 4]),
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
    }
    path = tmp_path / "ckpt.pt"
    torch.save(ckpt, path)
    back = torch.load(path, map_location="cpu", weights_only=True)
    assert back["epoch"] == 3 and back["loss"] == 0.25 and math.isinf(back["best"])
    assert back["name"] == "run" and back["done"] is False and back["note"] is None
    assert back["shape"] == (2, [3, 4]) and isinstance(back["shape"], tuple)
    assert isinstance(back["model"], OrderedDict) and list(back["model"]) == list(ckpt["model"])
    assert set(back["optimizer"]["state"]) == {0, 1, 2, 3}  # integer keys stay integers
    # a fresh model and optimizer restored from the file continue identically
    model2 = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt2 = torch.optim.Adam(model2.parameters(), lr=0.5)
    model2.load_state_dict(back["model"])
    opt2.load_state_dict(back["optimizer"])
    x = torch.randn(5, 3)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_a_state_dict_file_is_a_plain_safetensors_weights_file(tmp_path):
    model = torch.nn.Linear(2, 3)
    torch.save(model.state_dict(), tmp_path / "w.safetensors")
    flat = safetensors.numpy.load_file(str(tmp_path / "w.safetensors"))
    assert sorted(flat) == ["bias", "weight"]
    np.testing.assert_array_equal(flat["weight"], model.weight.detach().numpy())


def test_shared_tensors_stay_shared_and_parameters_stay_parameters():
    p = torch.nn.Parameter(torch.ones(2))
    t = torch.zeros(3, requires_grad=True)
    back = roundtrip({"a": p, "b": [p, t], "c": torch.float64, "d": torch.Size([2, 3])})
    assert back["a"] is back["b"][0]
    assert isinstance(back["a"], torch.nn.Parameter) and back["a"].requires_grad
    assert back["b"][1].requires_grad and not isinstance(back["b"][1], torch.nn.Parameter)
    assert back["c"] == torch.float64 and back["d"] == (2, 3)


def test_objects_that_need_pickle_are_refused_naming_the_path():
    model = torch.nn.Linear(2, 2)
    with pytest.raises(UnsafeObjectError, match=r"obj\['model'\] is a Linear.*state_dict\(\)"):
        torch.save({"model": model}, io.BytesIO())
    with pytest.raises(UnsafeObjectError, match=r"obj\['cfg'\]\[1\] is a set"):
        torch.save({"cfg": [1, {2}]}, io.BytesIO())
    with pytest.raises(UnsafeObjectError, match=r"obj is a function"):
        torch.save(lambda: 0, io.BytesIO())


def _safetensors_bytes(entries, metadata=None):
    """A safetensors file built by hand: entries = [(name, code, shape, raw bytes)]."""
    header, offset, body = {}, 0, b""
    for name, code, shape, raw in entries:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        body += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def test_foreign_safetensors_load_as_a_dict_and_bf16_widens_exactly():
    bf16 = np.array([1.5, -2.0, 3.140625], np.float32).view(np.uint32) >> 16
    fp16 = np.array([0.5, 65504.0], np.float16)
    data = _safetensors_bytes(
        [
            ("emb.weight", "BF16", [3], bf16.astype("<u2").tobytes()),
            ("head.bias", "F16", [2], fp16.tobytes()),
        ],
        {"format": "pt"},
    )
    with pytest.warns(
        UserWarning, match=r"1 bfloat16 tensor\(s\) \(emb.weight\) loaded as float32"
    ):
        back = torch.load(io.BytesIO(data))
    assert back["emb.weight"].dtype == torch.float32
    np.testing.assert_array_equal(back["emb.weight"].numpy(), [1.5, -2.0, 3.140625])
    assert back["head.bias"].dtype == torch.float16
    np.testing.assert_array_equal(back["head.bias"].numpy(), fp16)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x01\x02", "too short"),
        (struct.pack("<Q", 10**9) + b"{}", "header length"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
        (_safetensors_bytes([("x", "F32", [4], b"\0" * 8)]), "needs 16 bytes"),
        (_safetensors_bytes([("x", "C64", [1], b"\0" * 8)]), "dtype C64"),
        (_safetensors_bytes([("x", "F32", [1], b"\0" * 4)])[:-2], "outside the file"),
    ],
)
def test_corrupt_or_hostile_files_are_one_line_errors(data, message):
    with pytest.raises(CheckpointError, match=message):
        torch.load(io.BytesIO(data))


def test_pytorch_pickle_files_are_refused_with_how_to_convert(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as z:  # the layout of torch.save's zip files
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(CheckpointError, match=r"model.pt is a PyTorch pickle file.*save_file"):
        torch.load(path)
    with pytest.raises(CheckpointError, match="PyTorch pickle file"):
        torch.load(io.BytesIO(b"\x80\x02}q\x00."))  # the legacy (pre-1.6) format


def test_map_location_forms():
    t = torch.ones(2)
    assert roundtrip(t, map_location="cpu").device.type == "cpu"
    assert roundtrip(t, map_location=torch.device("cpu")).device.type == "cpu"
    assert roundtrip(t, map_location={"cuda:0": "cpu"}).device.type == "cpu"
    seen = []
    roundtrip(t, map_location=lambda storage, loc: seen.append(loc))
    assert seen == ["cpu"]


def test_reads_files_written_by_pytorch(tmp_path):
    real = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    weights = {
        "w": real.arange(6, dtype=real.float32).reshape(2, 3) / 3,
        "b": real.tensor([1.0, -0.5], dtype=real.bfloat16),
    }
    st.save_file(weights, str(tmp_path / "hf.safetensors"))
    with pytest.warns(UserWarning, match="bfloat16"):
        back = torch.load(tmp_path / "hf.safetensors")
    np.testing.assert_array_equal(back["w"].numpy(), weights["w"].numpy())
    np.testing.assert_array_equal(back["b"].numpy(), [1.0, -0.5])
    real.save({"w": weights["w"]}, tmp_path / "real.pt")
    with pytest.raises(CheckpointError, match="PyTorch pickle file"):
        torch.load(tmp_path / "real.pt")
