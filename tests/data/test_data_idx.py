import gzip

import numpy as np
import pytest

from visnet.data import FASHION_CLASSES, DataError, load_idx_folder, read_idx


@pytest.mark.parametrize("gz", [False, True])
def test_round_trip(tmp_path, idx, gz):
    images, labels = idx.split(7, seed=3)
    img_path = idx.write(tmp_path / "imgs", images, gz=gz)
    lbl_path = idx.write(tmp_path / "lbls", labels, gz=gz)
    np.testing.assert_array_equal(read_idx(img_path), images)
    np.testing.assert_array_equal(read_idx(lbl_path), labels)


def test_big_endian_int32(tmp_path):
    values = np.array([[1, -2], [70000, 3]], dtype=">i4")
    path = tmp_path / "ints"
    path.write_bytes(bytes([0, 0, 0x0C, 2]) + np.array([2, 2], ">u4").tobytes() + values.tobytes())
    array = read_idx(path)
    assert array.dtype.isnative and not array.flags.writeable
    np.testing.assert_array_equal(array, values)


def test_gzip_detected_by_magic_not_name(tmp_path, idx):
    images, _ = idx.split(3, seed=0)
    path = tmp_path / "train-images-idx3-ubyte"  # no .gz, yet gzip inside
    path.write_bytes(gzip.compress(idx.bytes(images)))
    np.testing.assert_array_equal(read_idx(path), images)


def test_truncated_file_names_file_and_counts(tmp_path, idx):
    images, _ = idx.split(5, seed=0)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx.bytes(images)[:-100]))
    with pytest.raises(
        DataError,
        match=r"train-images-idx3-ubyte\.gz: truncated: header says "
        r"5 images of 28x28 but only 3820 bytes of data",
    ):
        read_idx(path)


def test_extra_bytes_rejected(tmp_path, idx):
    path = tmp_path / "labels"
    path.write_bytes(idx.bytes(np.arange(4, dtype=np.uint8)) + b"\x00")
    with pytest.raises(DataError, match="labels: 1 unexpected bytes"):
        read_idx(path)


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "not an IDX file"),
        (b"\x00\x00\x42\x01" + bytes(8), "unknown IDX type code 0x42"),
        (b"\x00\x00", "too short"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated header"),
    ],
)
def test_bad_header(tmp_path, content, problem):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"bad-idx: {problem}"):
        read_idx(path)


def test_corrupt_gzip(tmp_path, idx):
    data = gzip.compress(idx.bytes(np.zeros((2, 28, 28), np.uint8)))
    path = tmp_path / "broken.gz"
    crc = slice(-8, -4)  # the trailer's CRC-32: checked once the data the header declares is read
    path.write_bytes(data[: crc.start] + bytes(b ^ 0xFF for b in data[crc]) + data[crc.stop :])
    with pytest.raises(DataError, match="broken.gz: corrupt gzip data"):
        read_idx(path)


def test_truncated_gzip_stream(tmp_path, idx):
    data = gzip.compress(idx.bytes(np.zeros((2, 28, 28), np.uint8)))
    path = tmp_path / "short.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="short.gz: corrupt gzip data"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope: cannot read"):
        read_idx(tmp_path / "nope")


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_folder(tmp_path, make_idx_folder, gz):
    arrays = make_idx_folder(tmp_path / "mine", n_train=30, n_test=10, gz=gz)
    data = load_idx_folder(tmp_path / "mine")
    assert data.name == "MNIST" and data.class_names == tuple("0123456789")
    assert data.x_train.shape == (30, 784) and data.x_train.dtype == np.float32
    np.testing.assert_allclose(data.x_test * 255, arrays["x_test"].reshape(10, -1), atol=1e-3)
    np.testing.assert_array_equal(data.y_train, arrays["y_train"])


def test_fashion_guessed_from_path_or_given(tmp_path, make_idx_folder):
    make_idx_folder(tmp_path / "Fashion-stuff")
    assert load_idx_folder(tmp_path / "Fashion-stuff").class_names == FASHION_CLASSES
    make_idx_folder(tmp_path / "plain")
    data = load_idx_folder(tmp_path / "plain", name="mine", kind="fashion-mnist")
    assert (data.name, data.class_names) == ("mine", FASHION_CLASSES)


def test_folder_missing_files(tmp_path, make_idx_folder):
    make_idx_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="not a folder of IDX files"):
        load_idx_folder(tmp_path)


def test_label_count_mismatch(tmp_path, make_idx_folder, idx):
    make_idx_folder(tmp_path)
    idx.write(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(29, np.uint8), gz=True)
    with pytest.raises(
        DataError,
        match=r"train-labels-idx1-ubyte\.gz: 29 labels but .*train-images"
        r"-idx3-ubyte\.gz has 30 images",
    ):
        load_idx_folder(tmp_path)


def test_label_out_of_range(tmp_path, make_idx_folder, idx):
    make_idx_folder(tmp_path)
    labels = np.zeros(10, np.uint8)
    labels[4] = 11
    idx.write(tmp_path / "t10k-labels-idx1-ubyte.gz", labels, gz=True)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: label 11 at index 4 is outside 0\.\.9"):
        load_idx_folder(tmp_path)


def test_images_of_wrong_size(tmp_path, make_idx_folder, idx):
    make_idx_folder(tmp_path)
    idx.write(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((10, 32, 32), np.uint8), gz=True)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz: expected images of shape"):
        load_idx_folder(tmp_path)
