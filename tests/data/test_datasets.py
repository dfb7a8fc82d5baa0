import numpy as np
import pytest

from gradcli.data import DataError, Subset, TensorDataset, random_split, split_indices


def test_tensor_dataset_indexing_and_validation():
    ds = TensorDataset(np.zeros((4, 3)), np.arange(4))
    assert len(ds) == 4 and ds[2][1] == 2 and ds[2][0].shape == (3,)
    with pytest.raises(
        DataError, match=r"share their first dimension, got shapes \(4, 3\), \(5,\)"
    ):
        TensorDataset(np.zeros((4, 3)), np.arange(5))
    with pytest.raises(DataError, match="at least one array"):
        TensorDataset()


def test_tensor_dataset_accepts_objects_with_numpy_method():
    class FakeTensor:
        def numpy(self):
            return np.arange(3)

    ds = TensorDataset(FakeTensor())
    assert isinstance(ds.arrays[0], np.ndarray) and len(ds) == 3


def test_subset_maps_indices_and_checks_range():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [9, -1, 0])
    assert [sub[i][0] for i in range(3)] == [9, 9, 0]
    with pytest.raises(DataError, match=r"indices must lie in \[0, 10\)"):
        Subset(ds, [10])


def test_random_split_by_counts_and_fractions():
    ds = TensorDataset(np.arange(103))
    a, b, c = random_split(ds, [0.5, 0.3, 0.2], seed=0)
    assert (len(a), len(b), len(c)) == (52, 31, 20)  # remainder handed out from the first part
    together = np.concatenate([a.indices, b.indices, c.indices])
    assert sorted(together.tolist()) == list(range(103))
    again = random_split(ds, [0.5, 0.3, 0.2], seed=0)
    assert all(np.array_equal(x.indices, y.indices) for x, y in zip((a, b, c), again))
    assert not np.array_equal(random_split(ds, [52, 51], seed=1)[0].indices, a.indices)


def test_random_split_rejects_bad_lengths():
    ds = TensorDataset(np.arange(10))
    with pytest.raises(DataError, match="sum to 9 but the dataset has 10"):
        random_split(ds, [5, 4])
    with pytest.raises(DataError, match="must sum to 1"):
        random_split(ds, [0.5, 0.4])


def test_stratified_split_keeps_class_shares():
    labels = np.repeat(np.arange(3), [600, 300, 100])
    np.random.default_rng(0).shuffle(labels)
    train, val = split_indices(len(labels), [0.8, 0.2], seed=0, stratify=labels)
    assert len(train) == 800 and len(val) == 200
    assert np.bincount(labels[val]).tolist() == [120, 60, 20]
    assert np.bincount(labels[train]).tolist() == [480, 240, 80]
    assert len(np.intersect1d(train, val)) == 0


def test_stratified_split_uneven_sizes_within_one_sample():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 7, 1001)
    parts = split_indices(1001, [0.7, 0.2, 0.1], seed=3, stratify=labels)
    counts = np.bincount(labels, minlength=7)
    for part, frac in zip(parts, (0.7, 0.2, 0.1)):
        got = np.bincount(labels[part], minlength=7)
        assert np.all(np.abs(got - counts * frac) <= 1.5)


def test_stratify_accepts_one_hot_labels():
    labels = np.repeat([0, 1], [80, 20])
    onehot = np.eye(2)[labels]
    a = split_indices(100, [0.5, 0.5], seed=0, stratify=labels)
    b = split_indices(100, [0.5, 0.5], seed=0, stratify=onehot)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert np.bincount(labels[a[1]]).tolist() == [40, 10]
