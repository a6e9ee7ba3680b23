"""Damaged data files, generated: every load gives a valid Dataset or one line of DataError, in bounded memory.

Each test builds a small valid IDX folder (plain or gzip) or .npz file, damages it the way a
disk, a download or a hostile author could, and loads it through the public API.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import socket
import struct
import tempfile
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from visnet.data import DataError, Dataset, load_dataset, load_idx_folder, load_npz, read_idx
from visnet.data.idx import IDX_FILE_NAMES
from visnet.data.npz import NPZ_KEYS

FUZZ = settings(max_examples=100, deadline=None)
# A bomb may cost what its header declares (a few KiB here) plus the stream's read chunk (1 MiB).
BOMB_PEAK_LIMIT = 3 << 20
IDX_MUTATIONS = ("dimension", "type_code", "ndim", "truncate", "flip", "append", "replace", "label")
# Mutations that no file can survive: the loader must refuse every one of them.
ALWAYS_REFUSED = {"dimension", "truncate", "append", "label"}
# Mostly ones, so that even a header of 255 dimensions can declare few values.
IDX_DIMENSIONS = (1, 1, 1, 1, 1, 1, 2, 3, 28, 0, 2**32 - 1)
NPY_DESCRS = ("|u1", "<f4", ">f8", "<f2", "<i8", ">u2", "|i1", "|O", "|b1", "<c8", "<U3", "|V8", "|S4", "<M8[s]")


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    return bytes([0, 0, type_code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes() + array.tobytes()


def valid_arrays(seed: int, n_train: int, n_test: int) -> list[np.ndarray]:
    """x_train, y_train, x_test, y_test: random uint8 pictures, labels 0..9."""
    rng = np.random.default_rng(seed)
    arrays = []
    for n in (n_train, n_test):
        arrays += [rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)]
    return arrays


small_sets = st.builds(valid_arrays, st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 3))


def assert_dataset_or_one_line_error(load: Callable[[], Dataset]) -> Dataset | None:
    """Run `load`; the Dataset it gives must be usable, and a DataError must be one printable line."""
    try:
        data = load()
    except DataError as e:
        message = str(e)
        assert message and message.isprintable(), repr(message)
        return None
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        assert x.ndim == 2 and x.shape[1] == data.n_inputs and x.shape[0] == y.shape[0] > 0
        assert np.isfinite(x).all() and y.min() >= 0 and y.max() < data.n_classes
        if data.input_shape == (28, 28):  # pictures (a playground spec gives 2-D points)
            assert x.shape[1] == 784 and x.min() >= 0 and x.max() <= 1
    return data


def mutate_idx(data: st.DataObject, raw: bytes, kind: str) -> bytes:
    """`raw` IDX bytes damaged by one mutation of `kind`."""
    ndim = raw[3]
    if kind == "dimension":
        i = data.draw(st.integers(0, ndim - 1))
        old = struct.unpack_from(">I", raw, 4 + 4 * i)[0]
        new = data.draw(st.integers(0, 2**32 - 1).filter(lambda d: d != old))
        return raw[: 4 + 4 * i] + struct.pack(">I", new) + raw[8 + 4 * i :]
    if kind == "type_code":
        return raw[:2] + bytes([data.draw(st.integers(0, 255))]) + raw[3:]
    if kind == "ndim":
        return raw[:3] + bytes([data.draw(st.integers(0, 255))]) + raw[4:]
    if kind == "truncate":
        return raw[: data.draw(st.integers(0, len(raw) - 1))]
    if kind == "flip":
        flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255)), min_size=1))
        damaged = bytearray(raw)
        for at, mask in flips:
            damaged[at] ^= mask
        return bytes(damaged)
    if kind == "append":
        return raw + data.draw(st.binary(min_size=1, max_size=64))
    if kind == "replace":
        return data.draw(st.binary(max_size=64))
    assert kind == "label"
    return raw[:-1] + bytes([data.draw(st.integers(10, 255))])


def write_folder(folder: Path, contents: list[bytes], gz: list[bool]) -> None:
    for name, raw, zipped in zip(IDX_FILE_NAMES, contents, gz):
        (folder / (name + ".gz" if zipped else name)).write_bytes(gzip.compress(raw, mtime=0) if zipped else raw)


@FUZZ
@given(small_sets, st.lists(st.booleans(), min_size=4, max_size=4))
def test_valid_idx_folder_loads_exactly(arrays, gz):
    with tempfile.TemporaryDirectory() as folder:
        write_folder(Path(folder), [idx_bytes(a) for a in arrays], gz)
        data = load_dataset(folder)
    np.testing.assert_allclose(data.x_test, arrays[2].reshape(len(arrays[2]), -1) / 255, rtol=1e-6)
    np.testing.assert_array_equal(data.y_train, arrays[1])


@FUZZ
@given(st.data(), small_sets, st.lists(st.booleans(), min_size=4, max_size=4))
def test_damaged_idx_folder(data, arrays, gz):
    contents = [idx_bytes(a) for a in arrays]
    target = data.draw(st.integers(0, 3), label="damaged file")
    kind = data.draw(st.sampled_from(IDX_MUTATIONS), label="mutation")
    if kind == "label" and target % 2 == 0:
        kind = "append"  # images have no label to spoil
    contents[target] = mutate_idx(data, contents[target], kind)
    with tempfile.TemporaryDirectory() as folder:
        write_folder(Path(folder), contents, gz)
        loaded = assert_dataset_or_one_line_error(lambda: load_dataset(folder))
    if kind in ALWAYS_REFUSED:
        assert loaded is None


@FUZZ
@given(st.data(), small_sets)
def test_damaged_gzip_stream(data, arrays):
    """Damage in the compressed bytes themselves: flips, cuts, junk after the member."""
    compressed = [gzip.compress(idx_bytes(a), mtime=0) for a in arrays]
    target = data.draw(st.integers(0, 3))
    kind = data.draw(st.sampled_from(("truncate", "flip", "append")))
    compressed[target] = mutate_idx(data, compressed[target], kind)
    with tempfile.TemporaryDirectory() as folder:
        for name, raw in zip(IDX_FILE_NAMES, compressed):
            (Path(folder) / (name + ".gz")).write_bytes(raw)
        loaded = assert_dataset_or_one_line_error(lambda: load_idx_folder(folder))
    if kind == "truncate":
        assert loaded is None


@FUZZ
@given(
    st.sampled_from((0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E)) | st.integers(0, 255),
    st.integers(0, 255).flatmap(lambda n: st.lists(st.sampled_from(IDX_DIMENSIONS), min_size=n, max_size=n)),
    st.integers(-3, 3),
    st.booleans(),
)
def test_any_idx_header(type_code, dims, length_error, gz):
    """Any type code and any number of any dimensions, followed by about as many bytes as they declare."""
    header = bytes([0, 0, type_code, len(dims) % 256]) + struct.pack(f">{len(dims)}I", *dims)
    n_bytes = min(math.prod(dims) * 8, 1 << 16) + length_error
    raw = header + bytes(max(n_bytes, 0))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any"
        path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
        try:
            array = read_idx(path)
        except DataError as e:
            assert str(e).isprintable()
        else:
            assert array.shape == tuple(dims) and not array.flags.writeable


def gzip_bomb(header_shape: tuple[int, ...], inflated_bytes: int) -> bytes:
    """A gzip whose IDX header declares `header_shape` uint8 values, followed by `inflated_bytes` zeros."""
    header = bytes([0, 0, 0x08, len(header_shape)]) + np.asarray(header_shape, ">u4").tobytes()
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    chunk = bytes(1 << 20)
    parts = [deflate.compress(header)]
    for start in range(0, inflated_bytes, len(chunk)):
        parts.append(deflate.compress(chunk[: inflated_bytes - start]))
    return b"".join(parts) + deflate.flush()


def peak_memory(action: Callable[[], object]) -> int:
    """Bytes allocated at the peak while running `action` (numpy arrays included)."""
    tracemalloc.start()
    try:
        action()
    except DataError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(BOMB_PEAK_LIMIT + 1, 2 * BOMB_PEAK_LIMIT))
def test_gzip_bomb_refused_in_bounded_memory(n_images, inflated_bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train-images-idx3-ubyte.gz"
        path.write_bytes(gzip_bomb((n_images, 28, 28), inflated_bytes))
        with pytest.raises(DataError, match="more data than the"):
            read_idx(path)
        assert peak_memory(lambda: read_idx(path)) < BOMB_PEAK_LIMIT


@FUZZ
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=6))
def test_huge_declared_gzip_refused_before_inflating(shape):
    """Any declared shape, however its product overflows int64, costs at most the cap to check."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.gz"
        path.write_bytes(gzip_bomb(tuple(shape), 1 << 16))

        def read_or_refuse():  # a shape the bytes fill exactly (65536) is a valid labels file
            try:
                array = read_idx(path)
            except DataError as e:
                assert str(e) and str(e).isprintable()
            else:
                assert array.shape == tuple(shape)

        assert peak_memory(read_or_refuse) < BOMB_PEAK_LIMIT + 2**28


def test_overflowing_dimensions_refused(tmp_path):
    path = tmp_path / "overflow"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + np.array([4194304, 2097152, 2097152], ">u4").tobytes())
    with pytest.raises(DataError, match="truncated: header says 4194304 images of 2097152x2097152"):
        read_idx(path)
    path.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(
        DataError, match="header declares a 4194304x2097152x2097152 array of uint8, more than visnet reads"
    ):
        read_idx(path)


def test_empty_split_refused(tmp_path):
    arrays = valid_arrays(0, 3, 2)
    arrays[2], arrays[3] = arrays[2][:0], arrays[3][:0]
    write_folder(tmp_path, [idx_bytes(a) for a in arrays], [True] * 4)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz: holds no images"):
        load_dataset(str(tmp_path))


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def forged_npy(descr: str, fortran_order: bool, shape: tuple[int, ...], payload: bytes) -> bytes:
    """An .npy member whose header says whatever the test wants, followed by `payload`."""
    buffer = io.BytesIO()
    buffer.write(b"\x93NUMPY\x01\x00")
    header = repr({"descr": descr, "fortran_order": fortran_order, "shape": shape}).encode("latin1")
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    buffer.write(struct.pack("<H", len(header)) + header + payload)
    return buffer.getvalue()


def write_npz(path: Path | io.BytesIO, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


shapes = st.lists(st.one_of(st.integers(-(2**70), 2**70), st.sampled_from((0, 1, 2, 28, 10**12))), max_size=4).map(
    tuple
)


@st.composite
def damaged_npz_members(draw) -> tuple[dict[str, bytes], str]:
    """The members of an .npz built from a valid set, one of them damaged, and the kind of damage."""
    arrays = dict(zip(NPZ_KEYS, draw(small_sets)))
    key = draw(st.sampled_from(NPZ_KEYS))
    kind = draw(st.sampled_from(("forged_header", "header_text", "float_pixels", "retyped", "missing", "cut")))
    members = {f"{k}.npy": npy_bytes(a) for k, a in arrays.items()}
    name = f"{key}.npy"
    if kind == "forged_header":
        payload = draw(st.binary(max_size=64) | st.just(arrays[key].tobytes()))
        members[name] = forged_npy(draw(st.sampled_from(NPY_DESCRS)), draw(st.booleans()), draw(shapes), payload)
    elif kind == "header_text":
        text = draw(st.text(max_size=120)).encode("utf8")
        members[name] = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text
    elif kind == "float_pixels":
        x = arrays[key].astype(np.float32) / 255
        x.flat[draw(st.integers(0, x.size - 1))] = draw(st.floats(width=32))
        members[name] = npy_bytes(x if key.startswith("x") else x.reshape(x.shape[0], -1)[:, 0])
    elif kind == "retyped":
        members[name] = npy_bytes(arrays[key].astype(draw(st.sampled_from(("<i8", ">u2", "<f8", "|b1", "<c8")))))
    elif kind == "missing":
        del members[name]
    else:
        members[name] = members[name][: draw(st.integers(0, len(members[name]) - 1))]
    return members, kind


@FUZZ
@given(damaged_npz_members(), st.sampled_from((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)))
def test_damaged_npz_members(damaged, compression):
    members, kind = damaged
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "set.npz"
        write_npz(path, members, compression)
        loaded = assert_dataset_or_one_line_error(lambda: load_dataset(str(path)))
    if kind in ("missing", "cut", "header_text"):
        assert loaded is None


@FUZZ
@given(st.data(), small_sets, st.booleans())
def test_damaged_npz_bytes(data, arrays, compressed):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **dict(zip(NPZ_KEYS, arrays)))
    raw = mutate_idx(data, buffer.getvalue(), data.draw(st.sampled_from(("truncate", "flip", "replace"))))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "set.npz"
        path.write_bytes(raw)
        assert_dataset_or_one_line_error(lambda: load_npz(path))


def test_valid_npz_loads_float_pixels_too(tmp_path):
    x_train, y_train, x_test, y_test = valid_arrays(1, 4, 2)
    np.savez_compressed(tmp_path / "f.npz", x_train=x_train / 255, y_train=y_train, x_test=x_test, y_test=y_test)
    data = load_npz(tmp_path / "f.npz")
    np.testing.assert_allclose(data.x_train * 255, x_train.reshape(4, -1), atol=1e-4)


def test_object_arrays_refused_unread(tmp_path):
    arrays = dict(zip(NPZ_KEYS, valid_arrays(0, 2, 1)))
    members = {f"{k}.npy": npy_bytes(a) for k, a in arrays.items()}
    members["y_train.npy"] = forged_npy("|O", False, (2,), b"\x00" * 16)
    write_npz(tmp_path / "obj.npz", members)
    with pytest.raises(DataError, match=r"obj\.npz\[y_train\]: expected integer labels, got object"):
        load_npz(tmp_path / "obj.npz")


def test_huge_declared_npz_refused(tmp_path):
    arrays = dict(zip(NPZ_KEYS, valid_arrays(0, 2, 1)))
    members = {f"{k}.npy": npy_bytes(a) for k, a in arrays.items()}
    members["x_train.npy"] = forged_npy("|u1", False, (10**12, 28, 28), bytes(100))
    write_npz(tmp_path / "huge.npz", members, zipfile.ZIP_DEFLATED)
    with pytest.raises(DataError, match=r"huge\.npz\[x_train\]: header declares a 1000000000000x28x28 array of uint8"):
        load_npz(tmp_path / "huge.npz")


def lie_about_size(archive: bytes, file_size: int) -> bytes:
    """The zip `archive` with its first central-directory entry claiming `file_size` uncompressed bytes."""
    patched = bytearray(archive)
    struct.pack_into("<I", patched, patched.find(b"PK\x01\x02") + 24, file_size)
    return bytes(patched)


@settings(max_examples=20, deadline=None)
@given(st.integers(BOMB_PEAK_LIMIT + 1, 2 * BOMB_PEAK_LIMIT), st.booleans())
def test_npz_zip_bomb_refused_in_bounded_memory(inflated_bytes, lying_directory):
    """x_train's header declares 2 images but its data inflates to megabytes of zeros."""
    arrays = dict(zip(NPZ_KEYS, valid_arrays(0, 2, 1)))
    members = {f"{k}.npy": npy_bytes(a) for k, a in arrays.items()}
    true_size = len(members["x_train.npy"])
    members["x_train.npy"] += bytes(inflated_bytes)
    buffer = io.BytesIO()
    write_npz(buffer, members, zipfile.ZIP_DEFLATED)
    raw = lie_about_size(buffer.getvalue(), true_size) if lying_directory else buffer.getvalue()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bomb.npz"
        path.write_bytes(raw)
        with pytest.raises(DataError):
            load_npz(path)
        assert peak_memory(lambda: load_npz(path)) < BOMB_PEAK_LIMIT


@FUZZ
@given(
    st.one_of(
        st.text(st.characters(codec=None), max_size=40),
        st.text(max_size=40).map(lambda s: "playground:" + s),
        st.integers(),
        st.none(),
        st.binary(max_size=20),
        st.lists(st.text(max_size=5), max_size=3),
        st.text(min_size=4097, max_size=4200),
    )
)
@example(spec="\ud800")  # a lone surrogate: no file system name, found by this test
def test_any_spec_gives_dataset_or_one_line(spec):
    """A model file's dataset_spec can be anything JSON holds, and any text a user types."""
    assert_dataset_or_one_line_error(lambda: load_dataset(spec))


def finishes_quickly(action: Callable[[], object], seconds: float = 5.0) -> BaseException | None:
    """Run `action` in a thread and return what it raised; fail if it is still running after `seconds`
    (a FIFO opened for reading would block it until a writer came)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as e:  # handed back to the test
            outcome.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the loader blocked"
    return outcome[0]


@pytest.mark.parametrize("name", ["data.npz", "folder-or-not"])
def test_fifo_refused_without_blocking(tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    for load in (lambda: load_dataset(str(fifo)), lambda: load_npz(fifo), lambda: read_idx(fifo)):
        error = finishes_quickly(load)
        assert isinstance(error, DataError) and "a FIFO" in str(error)


def test_fifo_inside_idx_folder_refused(tmp_path):
    write_folder(tmp_path, [idx_bytes(a) for a in valid_arrays(0, 2, 1)], [False] * 4)
    (tmp_path / IDX_FILE_NAMES[0]).unlink()
    os.mkfifo(tmp_path / IDX_FILE_NAMES[0])
    assert isinstance(finishes_quickly(lambda: load_dataset(str(tmp_path))), DataError)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_refused_unread(tmp_path):
    for load in (lambda: load_dataset("/dev/zero"), lambda: load_npz("/dev/zero"), lambda: read_idx("/dev/zero")):
        error = finishes_quickly(load)
        assert isinstance(error, DataError) and "a character device" in str(error)
    (tmp_path / "zero.npz").symlink_to("/dev/zero")
    assert "a character device" in str(finishes_quickly(lambda: load_dataset(str(tmp_path / "zero.npz"))))


def test_socket_refused(tmp_path):
    path = tmp_path / "s.npz"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(DataError, match="a socket, not a folder of IDX files or a .npz file"):
            load_dataset(str(path))


@pytest.mark.parametrize(
    "spec, problem",
    [
        (5, "named by text, not by int"),
        (None, "named by text, not by NoneType"),
        (b"mnist", "named by text, not by bytes"),
        (["mnist"], "named by text, not by list"),
        ("", "the spec is empty"),
        ("x" * 4097, "4,097 characters"),
        ("data\0.npz", r"data\\x00\.npz: a data set spec cannot contain a NUL"),
        ("~nobody-by-this-name/x\n\x1b[2J", r"x\\n\\x1b\[2J: no such data set"),
    ],
)
def test_unusable_specs_refused(spec, problem):
    with pytest.raises(DataError, match=problem):
        load_dataset(spec)


def test_a_file_path_with_a_nul_character_is_one_line():
    from visnet.data.idx import read_idx

    with pytest.raises(DataError, match="NUL character"):
        read_idx("images\x00.idx")
