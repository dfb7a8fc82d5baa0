"""On-the-fly augmentation: values against a loop reference, seeding, checkpointed state, errors."""

import json

import numpy as np
import pytest

from gradcli import backend
from gradcli.config import load
from gradcli.config.build import build_training
from gradcli.data import DataError, DataLoader, TensorDataset, build_augment
from gradcli.data.augment import HFlip, RandomCrop


def images(n=6, c=2, h=5, w=7, dtype=np.float32):
    return np.arange(n * c * h * w, dtype=dtype).reshape(n, c, h, w) + 1


class Recorder(np.random.Generator):
    """A generator that remembers what it drew, for the loop reference."""

    def __init__(self, seed):
        super().__init__(np.random.PCG64(seed))
        self.drawn = []

    def integers(self, *args, **kwargs):
        self.drawn.append(super().integers(*args, **kwargs))
        return self.drawn[-1]

    def random(self, *args, **kwargs):
        self.drawn.append(super().random(*args, **kwargs))
        return self.drawn[-1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_crop_matches_a_loop_reference(dtype):
    x = images(dtype=dtype)
    rng = Recorder(1)
    out = RandomCrop(padding=2)(x, rng)
    assert out.shape == x.shape and out.dtype == dtype
    dy, dx = rng.drawn
    assert len(set(dy.tolist())) > 1  # the offsets differ between images
    for i in range(len(x)):
        padded = np.zeros((2, 5 + 4, 7 + 4), dtype)
        padded[:, 2:-2, 2:-2] = x[i]
        np.testing.assert_array_equal(out[i], padded[:, dy[i] : dy[i] + 5, dx[i] : dx[i] + 7])


def test_hflip_matches_a_loop_reference_and_leaves_the_input_alone():
    x = images(n=16)
    before = x.copy()
    rng = Recorder(2)
    out = HFlip(0.5)(x, rng)
    (u,) = rng.drawn
    assert 0 < (u < 0.5).sum() < 16 and out.dtype == np.float32
    for i in range(16):
        np.testing.assert_array_equal(out[i], x[i, :, :, ::-1] if u[i] < 0.5 else x[i])
    np.testing.assert_array_equal(x, before)
    assert HFlip(0.0)(x, rng) is x


CROP_FLIP = ({"random_crop": 2}, {"hflip": 0.5})


def loader(seed=0, augment=CROP_FLIP, n=40):
    data = TensorDataset(images(n=n, c=3, h=8, w=8), np.arange(n))
    return DataLoader(data, 8, shuffle=True, seed=seed, augment=build_augment(augment, seed))


def batches(ld, epochs=2):
    return [xb for _ in range(epochs) for xb, _ in ld.iter_arrays()]


def test_same_seed_same_batches_other_seed_other_batches():
    a, b, c = batches(loader(0)), batches(loader(0)), batches(loader(1))
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not any(np.array_equal(p, q) for p, q in zip(a, c, strict=True))
    plain = batches(loader(0, augment=None))
    assert not all(np.array_equal(p, q) for p, q in zip(a, plain, strict=True))
    # augmentation draws from its own stream: the sample order is the same with or without it
    labels = [yb.tolist() for _ in range(2) for _, yb in loader(0).iter_arrays()]
    assert labels == [yb.tolist() for _ in range(2) for _, yb in loader(0, None).iter_arrays()]


@pytest.mark.parametrize("stop_after", [1, 3, 5])  # 5 batches an epoch
def test_state_dict_round_trip_continues_the_same_augmented_batches(stop_after):
    whole = batches(loader(4))
    ld = loader(4)
    seen, it = [], ld.iter_arrays()
    for _ in range(stop_after):
        seen.append(next(it)[0])
    state = json.loads(json.dumps(ld.state_dict()))  # as a checkpoint stores it
    fresh = loader(4)
    fresh.load_state_dict(state)
    rest = [xb for xb, _ in fresh.iter_arrays()] + [xb for xb, _ in fresh.iter_arrays()]
    for p, q in zip(whole, seen + rest[: len(whole) - stop_after], strict=True):
        np.testing.assert_array_equal(p, q)


def test_state_dict_refuses_other_augmentation():
    state = loader(0).state_dict()
    with pytest.raises(DataError, match="same data.augment"):
        loader(0, augment=[{"hflip": 0.3}]).load_state_dict(state)
    with pytest.raises(DataError, match="saved with augmentation"):
        loader(0, augment=None).load_state_dict(state)
    with pytest.raises(DataError, match="saved without augmentation"):
        loader(0).load_state_dict(loader(0, augment=None).state_dict())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([{"hflip": 1.5}], r"data.augment\[0\] \(hflip\): p must be a probability"),
        (["hflip", {"random_crop": -1}], r"data.augment\[1\] \(random_crop\): padding must be"),
        ([{"random_crop": {"pading": 4}}], r"unknown option 'pading'; did you mean 'padding'"),
        (["flipp"], r"data.augment\[0\]: unknown augmentation 'flipp'; did you mean 'hflip'"),
        ([{"hflip": 0.5, "p": 1}], r"data.augment\[0\]: cannot tell"),
    ],
)
def test_bad_options_are_one_line_errors_naming_the_entry(spec, message):
    with pytest.raises(DataError, match=message) as info:
        build_augment(spec)
    assert "\n" not in str(info.value)


def test_shapes_it_cannot_augment_are_refused_when_the_loader_is_made():
    flat = TensorDataset(np.zeros((4, 10), np.float32), np.zeros(4, np.int64))
    with pytest.raises(DataError, match=r"augment\[0\] \(random_crop\): needs images"):
        DataLoader(flat, 2, augment=build_augment(["random_crop"]))
    square = TensorDataset(np.zeros((4, 1, 8, 8), np.float32), np.zeros(4, np.int64))
    with pytest.raises(DataError, match="size 6 must equal the image size"):
        DataLoader(square, 2, augment=build_augment([{"random_crop": {"size": 6}}]))


CONFIG = """
name: aug
seed: 5
data:
  dataset: shapes
  options: {n_samples: 200, size: 16, channels: 3}
  transforms: [scale]
  augment: [{random_crop: 2}, {hflip: 0.5}]
  batch_size: 16
model:
  input_shape: [3, 16, 16]
  layers: [flatten, {linear: 10}]
optimizer: {type: sgd, lr: 0.1}
"""


def test_only_the_training_loader_augments(tmp_path):
    path = tmp_path / "aug.yaml"
    path.write_text(CONFIG)
    training = build_training(load.load_config(path))
    assert training.train_loader.augment is not None and len(training.train_loader.augment) == 2
    assert training.val_loader.augment is None
    xb, _ = next(training.val_loader.iter_arrays())
    raw = np.stack([training.data.val[i][0] for i in range(len(xb))])
    np.testing.assert_array_equal(xb, raw)


def test_schema_checks_augment_options_at_load(tmp_path):
    path = tmp_path / "aug.yaml"
    path.write_text(CONFIG.replace("{hflip: 0.5}", "{hflip: 7}"))
    with pytest.raises(Exception, match=r"aug.yaml:8.*data.augment\[1\] \(hflip\): p must"):
        load.load_config(path)


@pytest.mark.gpu  # runs on CuPy, or on the stand-in where no GPU is usable
def test_cupy_batches_match_numpy():
    x = images(n=32, c=3, h=8, w=8)
    gpu = backend.to_device(x, backend.device("cuda"))
    for aug in ([{"random_crop": 3}], [{"hflip": 0.5}]):
        on_cpu, on_gpu = build_augment(aug, seed=9)(x), build_augment(aug, seed=9)(gpu)
        assert on_gpu.dtype == np.float32
        np.testing.assert_array_equal(on_cpu, backend.to_device(on_gpu, backend.CPU))
