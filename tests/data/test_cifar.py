import numpy as np
import pytest

from gradcli.data import DataError, load_dataset
from gradcli.data.cifar import CLASS_NAMES, RECORD_BYTES, read_cifar

from .writers import cifar_bytes, write, write_cifar


def test_reads_records_in_chw_order(tmp_path):
    x = np.arange(2 * 3072, dtype=np.int64).reshape(2, 3, 32, 32).astype(np.uint8)
    y = np.array([3, 9], np.uint8)
    path = write(tmp_path / "b.bin", cifar_bytes(x, y))
    images, labels = read_cifar([path])
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels, y)
    assert images.shape == (2, 3, 32, 32) and labels.dtype == np.int64
    assert images.flags.writeable


def test_truncated_file(tmp_path):
    x = np.zeros((2, 3, 32, 32), np.uint8)
    path = write(tmp_path / "data_batch_1.bin", cifar_bytes(x, np.zeros(2, np.uint8))[:-10])
    with pytest.raises(DataError, match=rf"data_batch_1\.bin: size 6,136 .* {RECORD_BYTES}-byte"):
        read_cifar([path])


def test_label_out_of_range(tmp_path):
    x = np.zeros((2, 3, 32, 32), np.uint8)
    path = write(tmp_path / "b.bin", cifar_bytes(x, np.array([1, 42], np.uint8)))
    with pytest.raises(DataError, match="record 1 has label 42.*CIFAR-100"):
        read_cifar([path])


@pytest.mark.parametrize("sub", ["cifar10", "cifar10/cifar-10-batches-bin"])
def test_load_dataset_finds_both_layouts(tmp_path, sub):
    expected = write_cifar(tmp_path / sub)
    for split in ("train", "test"):
        x, y, info = load_dataset("cifar10", root=tmp_path, split=split)
        np.testing.assert_array_equal(x, expected[split][0])
        np.testing.assert_array_equal(y, expected[split][1])
    assert x.shape[1:] == (3, 32, 32) and info.class_names == CLASS_NAMES
    assert info.num_classes == 10 and info.task == "classification"


def test_missing_batches_listed(tmp_path):
    write_cifar(tmp_path / "cifar10")
    (tmp_path / "cifar10" / "data_batch_3.bin").unlink()
    with pytest.raises(DataError) as err:
        load_dataset("cifar10", root=tmp_path, split="train")
    msg = str(err.value)
    assert "cifar-10-batches-bin/data_batch_3.bin" in msg
    assert "cifar-10-binary.tar.gz, then unpack it there" in msg
