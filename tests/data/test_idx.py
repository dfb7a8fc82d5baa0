import gzip

import numpy as np
import pytest

from gradcli.data import DataError
from gradcli.data.idx import IMAGES_MAGIC, LABELS_MAGIC, parse_idx, read_idx, read_idx_pair

from .writers import idx_bytes, write


@pytest.mark.parametrize("gz", [False, True])
def test_roundtrip_images_and_labels(tmp_path, gz):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    ip = write(tmp_path / "img", idx_bytes(images), gz)
    lp = write(tmp_path / "lab", idx_bytes(labels), gz)
    x, y = read_idx_pair(ip, lp)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64 and x.dtype == np.uint8 and x.flags.writeable


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32])
def test_other_idx_types_come_back_in_native_order(dtype):
    arr = (np.arange(6) - 3).astype(dtype).reshape(2, 3)
    out = parse_idx(idx_bytes(arr))
    np.testing.assert_array_equal(out, arr)
    assert out.dtype.isnative


def test_gzip_detected_by_content_not_name_and_multi_member(tmp_path):
    data = idx_bytes(np.arange(10, dtype=np.uint8))
    path = tmp_path / "labels.raw"  # no .gz suffix
    path.write_bytes(gzip.compress(data[:7]) + gzip.compress(data[7:]))
    np.testing.assert_array_equal(read_idx(path), np.arange(10))


def test_bad_magic_names_file_and_values(tmp_path):
    path = write(tmp_path / "x.idx", idx_bytes(np.zeros((2, 3, 3), np.uint8), magic=0x1234))
    with pytest.raises(DataError, match=r"x\.idx: bad magic number 4660 .* expected 2051"):
        read_idx(path, IMAGES_MAGIC)


def test_label_file_passed_as_images_is_rejected(tmp_path):
    path = write(tmp_path / "labels", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DataError, match="expected 2051.*not an IDX image file"):
        read_idx(path, IMAGES_MAGIC)


def test_not_an_idx_file(tmp_path):
    path = write(tmp_path / "notes.txt", b"hello world, not idx")
    with pytest.raises(DataError, match="notes.txt: bad magic number 0x68656C6C"):
        read_idx(path)


def test_wrong_dims_payload_mismatch(tmp_path):
    good = idx_bytes(np.zeros((2, 3, 3), np.uint8))
    bad = good[:8] + (5).to_bytes(4, "big") + good[12:]  # rows claims 5, payload has 3
    path = write(tmp_path / "dims.idx", bad)
    with pytest.raises(DataError, match=r"dims\.idx: payload length mismatch \(truncated\)"):
        read_idx(path, IMAGES_MAGIC)


def test_trailing_bytes(tmp_path):
    path = write(tmp_path / "t.idx", idx_bytes(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(DataError, match="has trailing bytes"):
        read_idx(path, LABELS_MAGIC)


def test_truncated_raw_payload(tmp_path):
    data = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    path = write(tmp_path / "train-images", data[:-100])
    with pytest.raises(
        DataError, match=r"train-images: payload length mismatch.* need 3,152 bytes, file has 3,052"
    ):
        read_idx(path, IMAGES_MAGIC)


def test_truncated_header(tmp_path):
    path = write(tmp_path / "h", idx_bytes(np.zeros((2, 2, 2), np.uint8))[:9])
    with pytest.raises(DataError, match="truncated header: 3 dimensions need 16 bytes"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path):
    compressed = gzip.compress(idx_bytes(np.arange(5000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DataError, match=r"cut\.gz: gzip stream is truncated"):
        read_idx(path)


def test_corrupt_gzip_data(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.arange(500, dtype=np.int32))))
    compressed[12:40] = b"\xff" * 28
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DataError, match=r"bad\.gz: corrupt gzip data"):
        read_idx(path)


def test_count_mismatch_between_images_and_labels(tmp_path):
    ip = write(tmp_path / "img", idx_bytes(np.zeros((3, 2, 2), np.uint8)))
    lp = write(tmp_path / "lab", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DataError, match=r"count mismatch: .*img has 3 images but .*lab has 4"):
        read_idx_pair(ip, lp)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope: file not found"):
        read_idx(tmp_path / "nope")
