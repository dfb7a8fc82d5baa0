"""The DataLoader with PyTorch's arguments and semantics (default_collate, samplers, workers).

Expected values follow PyTorch 2.14.1's torch.utils.data (checked by running the same calls).
"""

import threading
from collections import namedtuple

import numpy as np
import pytest

import gradcli
from gradcli.data import (
    BatchSampler,
    DataError,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)


def test_utils_data_is_the_data_module():
    import gradcli.utils.data as d

    assert d is gradcli.data and gradcli.utils.data is gradcli.data
    from gradcli.utils.data import DataLoader as DL
    from gradcli.utils.data import Subset, random_split  # noqa: F401

    assert DL is DataLoader


def test_tensor_dataset_items_are_tensors_with_their_dtypes():
    x = gradcli.arange(12, dtype=gradcli.float64).reshape(4, 3)
    y = gradcli.tensor([3, 1, 2, 0], dtype=gradcli.int32)
    ds = TensorDataset(x, y)
    xi, yi = ds[2]
    assert isinstance(xi, gradcli.Tensor) and isinstance(yi, gradcli.Tensor)
    assert xi.dtype == gradcli.float64 and yi.dtype == gradcli.int32 and yi.shape == ()
    assert xi.tolist() == [6.0, 7.0, 8.0] and yi.item() == 2
    assert len(ds.tensors) == 2 and ds.tensors[0].shape == (4, 3)
    leaf = TensorDataset(gradcli.ones(2, 3, requires_grad=True))  # data, as in PyTorch
    assert leaf[1][0].tolist() == [1.0, 1.0, 1.0]


def test_loader_over_tensors_keeps_dtypes_and_gives_a_list_per_batch():
    x = gradcli.arange(10, dtype=gradcli.float64).reshape(5, 2)
    y = gradcli.tensor([0, 1, 0, 1, 1], dtype=gradcli.int32)
    batches = list(DataLoader(TensorDataset(x, y), batch_size=2))
    assert len(batches) == 3 and isinstance(batches[0], list)  # PyTorch: a list, not a tuple
    xb, yb = batches[0]
    assert xb.dtype == gradcli.float64 and yb.dtype == gradcli.int32
    assert xb.tolist() == [[0.0, 1.0], [2.0, 3.0]] and batches[2][1].tolist() == [1]
    assert [len(b[0]) for b in DataLoader(TensorDataset(x, y), batch_size=2, drop_last=True)] == [
        2,
        2,
    ]


def test_default_collate_follows_pytorch():
    Point = namedtuple("Point", "x y")
    batch = default_collate([(np.zeros(2, np.float32), 1, 0.5, True, "a")] * 2)
    xs, ints, floats, bools, strs = batch
    assert xs.dtype == gradcli.float32 and xs.shape == (2, 2)
    assert ints.dtype == gradcli.int64 and floats.dtype == gradcli.float64
    assert bools.dtype == gradcli.bool and strs == ("a", "a")
    d = default_collate([{"img": gradcli.ones(3), "p": Point(1, 2.0)}] * 4)
    assert d["img"].shape == (4, 3) and isinstance(d["p"], Point) and d["p"].y.tolist() == [2.0] * 4
    with pytest.raises(DataError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(DataError, match="found object"):
        default_collate([object()])


class Squares(Dataset):
    """A user's Dataset subclass: PyTorch conventions (no gradcli casting)."""

    def __init__(self, n=10):
        self.n = n
        self.threads = set()

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.threads.add(threading.current_thread().name)
        return np.full(2, i, np.float64), i * i


def test_dataset_subclass_gets_default_collate_and_custom_collate_fn():
    xb, yb = next(iter(DataLoader(Squares(), batch_size=3)))
    assert xb.dtype == gradcli.float64 and yb.dtype == gradcli.int64 and yb.tolist() == [0, 1, 4]
    loader = DataLoader(Squares(), batch_size=4, collate_fn=lambda s: [v for _, v in s])
    assert list(loader) == [[0, 1, 4, 9], [16, 25, 36, 49], [64, 81]]
    unbatched = list(DataLoader(Squares(3), batch_size=None))  # converted, not batched
    assert [y for _, y in unbatched] == [0, 1, 4] and unbatched[1][0].tolist() == [1.0, 1.0]


def test_samplers_and_batch_sampler():
    ds = Squares(10)
    seq = [y.tolist() for _, y in DataLoader(ds, batch_size=4, sampler=SequentialSampler(ds))]
    assert seq == [[0, 1, 4, 9], [16, 25, 36, 49], [64, 81]]
    sub = DataLoader(
        ds, batch_size=3, sampler=SubsetRandomSampler([1, 2, 3], np.random.default_rng(0))
    )
    assert len(sub) == 1 and sorted(next(iter(sub))[1].tolist()) == [1, 4, 9]
    bs = BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)
    assert list(bs) == [[0, 1], [2, 3], [4]] and len(bs) == 3
    loader = DataLoader(ds, batch_sampler=BatchSampler(range(7), 3, drop_last=True))
    assert len(loader) == 2 and [y.tolist() for _, y in loader] == [[0, 1, 4], [9, 16, 25]]
    draws = list(
        RandomSampler(range(5), replacement=True, num_samples=8, generator=np.random.default_rng(1))
    )
    assert len(draws) == 8 and set(draws) <= set(range(5))
    only_two = WeightedRandomSampler([0, 1, 0, 1], 20, generator=np.random.default_rng(0))
    assert set(only_two) == {1, 3}
    with pytest.raises(DataError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=SequentialSampler(ds), shuffle=True)
    with pytest.raises(DataError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=bs)
    with pytest.raises(DataError, match="state_dict: not available with a sampler"):
        DataLoader(ds, sampler=SequentialSampler(ds)).state_dict()


def test_shuffle_and_random_split_follow_manual_seed():
    ds = TensorDataset(gradcli.arange(20))
    orders = []
    for _ in range(2):
        gradcli.manual_seed(3)
        a, b = random_split(ds, [0.8, 0.2])
        loader = DataLoader(a, batch_size=16, shuffle=True)
        orders.append((a.indices.tolist(), next(iter(loader))[0].tolist()))
    assert orders[0] == orders[1] and len(orders[0][0]) == 16
    assert sorted(orders[0][1]) == sorted(orders[0][0])
    assert [len(p) for p in random_split(ds, [15, 5], generator=np.random.default_rng(0))] == [
        15,
        5,
    ]


def test_workers_prepare_batches_in_background_threads_in_order():
    ds = Squares(23)
    inits = []
    plain = [y.tolist() for _, y in DataLoader(ds, batch_size=4)]
    ds.threads.clear()
    loader = DataLoader(ds, batch_size=4, num_workers=3, worker_init_fn=inits.append)
    assert [y.tolist() for _, y in loader] == plain  # same batches, same order
    assert ds.threads and all(name.startswith("gradcli-loader") for name in ds.threads)
    assert sorted(inits) == [0, 1, 2]
    assert len(list(loader)) == 6  # a second epoch starts new workers (not persistent)


def test_workers_run_ahead_of_the_loop_by_prefetch_factor():
    asked = threading.Event()

    class Watched(Squares):
        def __getitem__(self, i):
            if i == 3 * 2:  # the first sample of batch 3: two batches beyond the one consumed
                asked.set()
            return super().__getitem__(i)

    it = iter(DataLoader(Watched(20), batch_size=2, num_workers=2, prefetch_factor=2))
    next(it)  # only batch 0 taken; workers keep 4 batches in flight without being asked
    assert asked.wait(timeout=30)
    assert len(list(it)) == 9


def test_worker_info_errors_and_persistent_workers():
    seen = []

    class Info(Squares):
        def __getitem__(self, i):
            info = get_worker_info()
            seen.append((info.id, info.num_workers))
            return super().__getitem__(i)

    assert get_worker_info() is None  # in the main thread
    loader = DataLoader(Info(6), batch_size=2, num_workers=2, persistent_workers=True)
    list(loader)
    pool = loader._pool
    list(loader)
    assert loader._pool is pool and {n for _, n in seen} == {2} and {i for i, _ in seen} <= {0, 1}

    class Broken(Squares):
        def __getitem__(self, i):
            raise ValueError(f"bad sample {i}")

    with pytest.raises(ValueError, match="bad sample 0"):
        list(DataLoader(Broken(4), batch_size=2, num_workers=2))
    with pytest.raises(DataError, match="prefetch_factor option could only be specified"):
        DataLoader(Squares(), prefetch_factor=2)
    with pytest.raises(DataError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Squares(), persistent_workers=True)


def test_gradcli_numpy_data_keeps_its_training_casts_with_workers():
    x = np.arange(12, dtype=np.uint8).reshape(6, 2)
    loader = DataLoader(TensorDataset(x, np.arange(6, dtype=np.int32)), batch_size=4,
                        num_workers=2, pin_memory=True)  # fmt: skip
    xb, yb = next(iter(loader))
    assert isinstance(xb, gradcli.Tensor) and xb.dtype == gradcli.float32
    assert yb.dtype == gradcli.int64
