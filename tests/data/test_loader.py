import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.data import DataError, DataLoader, Subset, TensorDataset


def make_ds(n=23):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    return TensorDataset(x, np.arange(n, dtype=np.int32))


def ids(batches):
    return [b[1].tolist() for b in batches]


def test_every_sample_once_per_epoch_and_shapes():
    loader = DataLoader(make_ds(23), batch_size=5, shuffle=True, seed=0)
    assert len(loader) == 5
    batches = list(loader.iter_arrays())
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
    assert sorted(sum(ids(batches), [])) == list(range(23))
    xb, yb = batches[0]
    assert xb.shape == (5, 2) and xb.dtype == np.float32  # float64 input -> float32
    assert yb.dtype == np.int64  # int32 labels -> int64
    np.testing.assert_array_equal(xb[:, 0], yb * 2)  # rows stay paired


def test_drop_last():
    loader = DataLoader(make_ds(23), batch_size=5, drop_last=True)
    assert len(loader) == 4
    batches = list(loader.iter_arrays())
    assert [len(b[1]) for b in batches] == [5] * 4
    assert ids(batches)[0] == [0, 1, 2, 3, 4]  # no shuffle: dataset order


def test_drop_last_with_fewer_samples_than_a_batch():
    loader = DataLoader(make_ds(3), batch_size=5, drop_last=True)
    assert len(loader) == 0 and list(loader.iter_arrays()) == []
    assert loader.epoch == 1


def test_order_reproducible_for_seed_and_new_each_epoch():
    a = DataLoader(make_ds(), batch_size=4, shuffle=True, seed=7)
    b = DataLoader(make_ds(), batch_size=4, shuffle=True, generator=np.random.default_rng(7))
    epochs_a = [ids(a.iter_arrays()) for _ in range(3)]
    epochs_b = [ids(b.iter_arrays()) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1]
    c = DataLoader(make_ds(), batch_size=4, shuffle=True, seed=8)
    assert ids(c.iter_arrays()) != epochs_a[0]


@pytest.mark.parametrize("stop_after", [0, 1, 3, 4])
def test_resume_mid_epoch_sees_the_same_batches(stop_after):
    reference = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=3)
    ref = [ids(reference.iter_arrays()) for _ in range(3)]

    run = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=3)
    first = ids(run.iter_arrays())  # epoch 0 complete
    it = run.iter_arrays()
    seen = [next(it)[1].tolist() for _ in range(stop_after)]
    state = json.loads(json.dumps(run.state_dict()))  # must survive a JSON checkpoint

    resumed = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=999)
    resumed.load_state_dict(state)
    rest = ids(resumed.iter_arrays())
    after = ids(resumed.iter_arrays())
    assert first == ref[0]
    assert seen + rest == ref[1]
    assert after == ref[2]
    assert resumed.epoch == 3


def test_state_after_last_batch_points_at_next_epoch():
    loader = DataLoader(make_ds(10), batch_size=5, shuffle=True, seed=1)
    it = loader.iter_arrays()
    next(it), next(it)  # last batch handed out, loop not yet told it is over
    state = loader.state_dict()
    assert state["epoch"] == 1 and not state["in_epoch"]
    other = DataLoader(make_ds(10), batch_size=5, shuffle=True)
    other.load_state_dict(state)
    assert ids(other.iter_arrays()) == ids(loader.iter_arrays())


def test_mid_epoch_state_stores_the_order_and_does_not_redraw_it():
    loader = DataLoader(make_ds(10), batch_size=4, shuffle=True, seed=0)
    it = loader.iter_arrays()
    first = next(it)[1].tolist()
    state = loader.state_dict()
    assert state["in_epoch"] and state["batch_index"] == 1
    assert sorted(state["order"]) == list(range(10)) and state["order"][:4] == first
    # A different stored order is honoured as is: nothing is regenerated from the seed.
    state["order"] = list(range(10))[::-1]
    other = DataLoader(make_ds(10), batch_size=4, shuffle=True)
    other.load_state_dict(state)
    assert ids(other.iter_arrays()) == [[5, 4, 3, 2], [1, 0]]
    del state["order"]
    with pytest.raises(DataError, match="needs 'order' with 10 entries"):
        other.load_state_dict(state)


def test_new_iteration_starts_a_new_epoch_after_break():
    loader = DataLoader(make_ds(10), batch_size=2)
    next(iter(loader.iter_arrays()))  # peek one batch
    assert len(list(loader.iter_arrays())) == 5


def test_load_state_rejects_other_dataset_or_settings():
    state = DataLoader(make_ds(10), batch_size=2, shuffle=True, seed=0).state_dict()
    with pytest.raises(DataError, match="saved num_samples=10 but this loader has num_samples=11"):
        DataLoader(make_ds(11), batch_size=2, shuffle=True).load_state_dict(state)
    with pytest.raises(DataError, match="batch_size=2 .* batch_size=3"):
        DataLoader(make_ds(10), batch_size=3, shuffle=True).load_state_dict(state)


def test_subset_gathers_in_one_call_through_nested_subsets():
    class NoItems(TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("per-sample access on an array-backed dataset")

    base = NoItems(np.arange(20) * 10, np.arange(20))
    sub = Subset(Subset(base, np.arange(20)[::-1]), [0, 2, 4, 6])  # rows 19, 17, 15, 13
    batches = list(DataLoader(sub, batch_size=3).iter_arrays())
    assert [b[1].tolist() for b in batches] == [[19, 17, 15], [13]]
    assert batches[0][0].dtype == np.int64 and batches[0][0].tolist() == [190, 170, 150]


def test_generic_dataset_falls_back_to_stacking():
    class Squares:
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.full((2,), i, dtype=np.float64), i * i

    batches = list(DataLoader(Squares(), batch_size=3, shuffle=True, seed=0).iter_arrays())
    assert sorted(sum((b[1].tolist() for b in batches), [])) == [i * i for i in range(7)]
    assert batches[0][0].shape == (3, 2) and batches[0][0].dtype == np.float32
    assert batches[0][1].dtype == np.int64


def test_uint8_pixels_become_float32_and_batches_are_copies():
    x = np.arange(12, dtype=np.uint8).reshape(6, 2)
    (xb,) = next(DataLoader(TensorDataset(x), batch_size=6).iter_arrays())
    assert xb.dtype == np.float32
    xb[:] = 0
    assert x.sum() > 0


def test_dtype_float64_keeps_features_float64_and_labels_int64():
    """A float64 model gets float64 batches (float features and uint8 pixels alike), from
    array-backed and generic datasets; labels stay int64."""
    (xb, yb) = next(DataLoader(make_ds(6), batch_size=6, dtype="float64").iter_arrays())
    assert xb.dtype == np.float64 and yb.dtype == np.int64
    pixels = TensorDataset(np.arange(12, dtype=np.uint8).reshape(6, 2))
    assert next(DataLoader(pixels, batch_size=6, dtype=np.float64).iter_arrays())[0].dtype == (
        np.float64
    )

    class Generic:
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full((2,), i, dtype=np.float32), i

    (xb, yb) = next(DataLoader(Generic(), batch_size=3, dtype="float64").iter_arrays())
    assert xb.dtype == np.float64 and yb.dtype == np.int64
    for bad in ("int64", None, "no-such-dtype"):
        with pytest.raises(DataError, match="dtype must be a float dtype"):
            DataLoader(make_ds(), dtype=bad)


def test_invalid_arguments():
    with pytest.raises(DataError, match="batch_size must be a positive integer, got 0"):
        DataLoader(make_ds(), batch_size=0)
    with pytest.raises(DataError, match="either generator or seed"):
        DataLoader(make_ds(), generator=np.random.default_rng(0), seed=1)


def test_yields_engine_tensors():
    gradcli = pytest.importorskip("gradcli")
    if not hasattr(gradcli, "from_numpy"):
        pytest.skip("the gradcli engine (gradcli.from_numpy) is not available yet")
    loader = DataLoader(make_ds(10), batch_size=4, shuffle=True, seed=0, device="cpu")
    batches = list(loader)
    assert len(batches) == 3
    xb, yb = batches[0]
    assert tuple(xb.shape) == (4, 2) and tuple(yb.shape) == (4,)
    assert xb.numpy().dtype == np.float32 and yb.numpy().dtype == np.int64
    np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy() * 2)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 12),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
    stop=st.integers(0, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_resume_anywhere_matches_an_uninterrupted_run(
    n, batch_size, drop_last, shuffle, stop, seed
):
    opts = dict(batch_size=batch_size, drop_last=drop_last, shuffle=shuffle)
    ref_loader = DataLoader(make_ds(n), seed=seed, **opts)
    reference = [b for _ in range(3) for b in ids(ref_loader.iter_arrays())]

    run = DataLoader(make_ds(n), seed=seed, **opts)
    seen, it = [], run.iter_arrays()
    while len(seen) < min(stop, len(reference)):
        try:
            seen.append(next(it)[1].tolist())
        except StopIteration:
            it = run.iter_arrays()
    resumed = DataLoader(make_ds(n), **opts)
    resumed.load_state_dict(run.state_dict())
    rest = []
    while len(seen) + len(rest) < len(reference):
        before = len(rest)
        rest += ids(resumed.iter_arrays())
        if len(rest) == before:  # drop_last with n < batch_size: epochs are empty
            break
    assert (seen + rest)[: len(reference)] == reference


@pytest.mark.gpu
def test_device_cuda_moves_batches():
    gradcli = pytest.importorskip("gradcli")
    if not (hasattr(gradcli, "cuda") and gradcli.cuda.is_available()):
        pytest.skip("needs CuPy and a usable CUDA GPU")
    xb, yb = next(iter(DataLoader(make_ds(8), batch_size=4, device="cuda")))
    assert xb.is_cuda and yb.is_cuda
    np.testing.assert_array_equal(yb.cpu().numpy(), [0, 1, 2, 3])
