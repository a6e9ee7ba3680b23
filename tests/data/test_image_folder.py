"""Image folders: generated PNG/JPEG/BMP/GIF fixtures load as a Dataset or are refused in one line."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from visnet.cli import main
from visnet.data import DataError, FolderSpec, image_folder, load_dataset, load_image_folder
from visnet.data.image_folder import MAX_IMAGE_PIXELS


def save(path: Path, pixels: np.ndarray, mode: str | None = None, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode).save(path, **options)
    return path


def make_folder(root: Path, classes=("cat", "dog"), n: int = 5, size=(12, 10), seed: int = 0) -> Path:
    """n random gray PNGs of size (h, w) per class; class k's pixels all equal 20 + 40k, so
    an image's class can be read back from its pixels."""
    for k, name in enumerate(classes):
        for i in range(n):
            save(root / name / f"img{i}.png", np.full(size, 20 + 40 * k, np.uint8))
    return root


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


def test_classes_are_subfolders_in_natural_order(tmp_path):
    for name in ("10", "9", "cat", "Dog"):
        save(tmp_path / name / "a.png", np.zeros((8, 8), np.uint8))
        save(tmp_path / name / "b.png", np.zeros((8, 8), np.uint8))
    data = load_image_folder(FolderSpec(str(tmp_path)))
    assert data.class_names == ("9", "10", "cat", "Dog")
    assert data.input_shape == (8, 8) and data.n_inputs == 64


def test_split_by_seed_is_stratified_and_repeatable(tmp_path):
    make_folder(tmp_path, n=10)
    a = load_image_folder(f"folder:{tmp_path}?test=0.3&seed=4")
    b = load_image_folder(f"folder:{tmp_path}?test=0.3&seed=4")
    c = load_image_folder(f"folder:{tmp_path}?test=0.3&seed=5")
    assert (a.n_train, a.n_test) == (14, 6)
    assert load_image_folder(f"folder:{tmp_path}?test=0.01").n_test == 2  # one per class at least
    assert np.bincount(a.y_test).tolist() == [3, 3]
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, c.y_train)
    # every image kept its label: class k's pixels are (20 + 40k) / 255
    for x, y in ((a.x_train, a.y_train), (a.x_test, a.y_test)):
        assert np.allclose(x, ((20 + 40 * y) / 255)[:, None], atol=1e-6)


def test_train_and_test_subfolders_give_the_split(tmp_path):
    make_folder(tmp_path / "train", n=4)
    make_folder(tmp_path / "test", n=2)
    data = load_dataset(f"folder:{tmp_path}?size=6")
    assert (data.n_train, data.n_test, data.input_shape) == (8, 4, (6, 6))


def test_default_size_is_the_most_common_capped_at_64(tmp_path):
    for i in range(3):
        save(tmp_path / "a" / f"{i}.png", np.zeros((20, 30), np.uint8))
    save(tmp_path / "b" / "odd.png", np.zeros((7, 13), np.uint8))
    save(tmp_path / "b" / "odd2.bmp", np.zeros((7, 13), np.uint8))
    assert load_image_folder(FolderSpec(str(tmp_path))).input_shape == (20, 30)
    big = tmp_path / "big"
    for name in ("a", "b"):
        for i in range(2):
            save(big / name / f"{i}.png", np.zeros((100, 200), np.uint8))
    assert load_image_folder(FolderSpec(str(big))).input_shape == (32, 64)


def test_rgba_is_composited_on_black_and_16_bit_scaled(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere, opaque only in the top row
    rgba[0, :, 3] = 255
    sixteen = np.full((4, 4), 65535 // 2, np.uint16)  # a half-gray that 8-bit clipping would make white
    for i in range(2):
        save(tmp_path / "a" / f"rgba{i}.png", rgba, "RGBA")
        save(tmp_path / "b" / f"sixteen{i}.png", sixteen)
    assert Image.open(tmp_path / "b" / "sixteen0.png").mode.startswith("I")
    data = load_image_folder(f"folder:{tmp_path}?test=0.5")
    x = np.concatenate([data.x_train, data.x_test]).reshape(-1, 4, 4)
    y = np.concatenate([data.y_train, data.y_test])
    assert np.allclose(x[y == 0][:, 0], 1) and np.allclose(x[y == 0][:, 1:], 0)
    assert np.allclose(x[y == 1], 0.5, atol=1e-3)


def test_other_formats_and_modes(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)
    save(tmp_path / "a" / "photo.jpg", rgb, quality=95)
    save(tmp_path / "a" / "p.gif", rng.integers(0, 256, (9, 9), dtype=np.uint8))
    save(tmp_path / "b" / "bw.bmp", (rng.integers(0, 2, (9, 9)) * 255).astype(np.uint8))
    save(tmp_path / "b" / "rgb.png", rgb)
    data = load_image_folder(f"folder:{tmp_path}?size=5x3&test=0.5")
    assert data.input_shape == (3, 5)
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() and data.x_train.max() <= 1


def test_non_images_are_skipped_and_counted(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "cat" / "Thumbs.db").write_bytes(b"\0" * 10)
    (tmp_path / "cat" / ".hidden.png").write_bytes(b"ignored")
    (tmp_path / ".git").mkdir()  # hidden folders are not classes
    os.mkfifo(tmp_path / "dog" / "pipe.png")  # never opened: not a regular file
    data = load_image_folder(FolderSpec(str(tmp_path)))
    assert data.n_train + data.n_test == 10
    assert data.notes == ("2 files that are not images skipped",)
    assert "2 files that are not images skipped" in data.describe()


def test_corrupt_images_are_skipped_naming_the_first(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "cat" / "a_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    good = io.BytesIO()
    Image.fromarray(np.zeros((12, 10), np.uint8)).save(good, "PNG")
    (tmp_path / "dog" / "truncated.png").write_bytes(good.getvalue()[:-30])
    data = load_image_folder(FolderSpec(str(tmp_path)))
    assert data.n_train + data.n_test == 10
    [note] = data.notes
    assert note.startswith("2 unreadable images skipped (first: ") and "a_broken.png" in note


def test_a_decompression_bomb_is_skipped_from_its_header(tmp_path):
    make_folder(tmp_path)
    bomb = tmp_path / "cat" / "bomb.png"
    side = int(MAX_IMAGE_PIXELS**0.5) + 10
    Image.new("1", (side, side)).save(bomb)  # a few kB on disk, 24 megapixels decoded
    assert bomb.stat().st_size < 100_000
    data = load_image_folder(FolderSpec(str(tmp_path)))
    assert "bomb.png" in data.notes[0] and "more than" in data.notes[0]


def test_an_empty_class_folder_is_refused_by_name(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("nothing here")
    with pytest.raises(DataError) as err:
        load_dataset(f"folder:{tmp_path}")
    assert one_line(err) == f"{tmp_path / 'empty'}: class folder holds no images (PNG, JPEG, BMP or GIF)"


def test_a_class_of_only_corrupt_images_is_refused_by_name(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"bad: class folder holds no readable images"):
        load_dataset(f"folder:{tmp_path}")


@pytest.mark.parametrize(
    "layout, problem",
    [
        ({"only": 2}, "at least 2 classes, found 1"),
        ({"a": 1, "b": 1}, "one example per class"),
    ],
)
def test_unusable_folders(tmp_path, layout, problem):
    for name, n in layout.items():
        for i in range(n):
            save(tmp_path / name / f"{i}.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match=problem) as err:
        load_dataset(f"folder:{tmp_path}")
    one_line(err)


def test_missing_folder_and_file_instead_of_folder(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(f"folder:{tmp_path / 'nope'}")
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="not a folder"):
        load_dataset(f"folder:{tmp_path / 'f'}")


def test_a_plain_folder_of_class_subfolders_is_an_image_folder(tmp_path):
    make_folder(tmp_path)
    data = load_dataset(str(tmp_path))
    assert data.class_names == ("cat", "dog") and data.input_shape == (12, 10)


def test_progress_reaches_the_total(tmp_path):
    make_folder(tmp_path, n=3)
    calls = []
    load_dataset(f"folder:{tmp_path}", progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (6, 6)


class Stop(Exception):
    pass


@pytest.mark.parametrize("size", ["auto", "8"])
def test_a_progress_callback_that_raises_stops_the_reading(tmp_path, monkeypatch, size):
    make_folder(tmp_path, n=600, size=(8, 8))
    opened = []
    real_open = image_folder.open_regular_file
    monkeypatch.setattr(image_folder, "open_regular_file", lambda path: opened.append(path) or real_open(path))
    calls = []

    def progress(done, total):
        calls.append((done, total))
        raise Stop

    with pytest.raises(Stop):
        load_dataset(f"folder:{tmp_path}?size={size}", progress=progress)
    assert calls == [(0, 1200)] if size == "auto" else calls == [(256, 1200)]
    # the pool's threads finish what they began, but the files after those are never opened
    assert len(opened) < 600


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=200),
    keep=st.integers(0, 400),
    ext=st.sampled_from([".png", ".jpg", ".bmp", ".gif"]),
)
def test_mangled_image_files_never_escape_as_tracebacks(tmp_path_factory, data, keep, ext):
    root = make_folder(tmp_path_factory.mktemp("mangled"), n=2)
    good = io.BytesIO()
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(good, {".jpg": "JPEG"}.get(ext, ext[1:].upper()))
    mixed = good.getvalue()[:keep] + data
    (root / "cat" / f"z{ext}").write_bytes(mixed)
    try:
        result = load_image_folder(FolderSpec(str(root), size=(6, 6)))
    except DataError as err:
        assert "\n" not in str(err)
    else:
        assert result.n_train + result.n_test in (4, 5)


def test_sklearn_digits_as_an_8x8_folder_train_through_the_cli(tmp_path, capsys):
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    root = tmp_path / "digits"
    for i, (image, label) in enumerate(zip(digits.images[:300], digits.target[:300])):
        save(root / str(label) / f"{i}.png", (image * (255 / 16)).astype(np.uint8))
    model = tmp_path / "m.safetensors"
    status = main(["train", "--data", f"folder:{root}", "--layers", "64,16,10", "--epochs", "1", "--save", str(model)])
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["eval", str(model)]) == 0
    out = capsys.readouterr().out
    assert f"folder:{root}?size=auto&test=0.2&seed=0, from the model file" in out
    assert "test split (60 examples)" in out


def test_cli_refuses_a_bad_folder_in_one_line(tmp_path, capsys):
    make_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["train", "--data", f"folder:{tmp_path}", "--layers", "120,3", "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty: class folder holds no images" in err


MODES = ("L", "RGB", "RGBA", "LA", "P", "1", "I;16")


def uniform_image(mode: str, h: int, w: int, level: int) -> Image.Image:
    """An opaque h x w image of gray `level` (0..255) in `mode`."""
    if mode == "I;16":
        return Image.fromarray(np.full((h, w), level * 257, np.uint16))  # the same level in 16 bits
    if mode == "1":
        return Image.new("1", (w, h), int(level >= 128))
    return Image.new("L", (w, h), level).convert(mode)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), min_size=4, max_size=4),
    modes=st.lists(st.sampled_from(MODES), min_size=4, max_size=4),
    level=st.integers(0, 255),
    ext=st.sampled_from([".png", ".bmp", ".gif"]),
)
def test_uniform_images_of_any_size_and_mode_keep_their_gray_level(tmp_path_factory, sizes, modes, level, ext):
    """Whatever its size, mode and format, an opaque uniform image comes out uniform at its
    gray level (within one level of rounding). Modes a format cannot hold are saved as PNG."""
    root = tmp_path_factory.mktemp("modes")
    (root / "a").mkdir()
    (root / "b").mkdir()
    expected = []
    for i, ((h, w), mode) in enumerate(zip(sizes, modes)):
        suffix = ext if mode in ("L", "P", "1") else ".png"
        uniform_image(mode, h, w, level).save(root / "ab"[i % 2] / f"{i}{suffix}")
        expected.append((255 if level >= 128 else 0) if mode == "1" else level)
    data = load_image_folder(f"folder:{root}?size=7x5&test=0.5")
    assert data.input_shape == (5, 7) and data.notes == ()
    x = np.concatenate([data.x_train, data.x_test])
    assert x.shape == (4, 35) and 0 <= x.min() and x.max() <= 1
    assert np.ptp(x, axis=1).max() < 1.5 / 255  # uniform in, uniform out
    levels = sorted(float(row[0]) * 255 for row in x)
    assert np.allclose(levels, sorted(expected), atol=1.01)


def test_a_plain_folder_is_taken_for_an_image_folder_only_when_a_class_folder_holds_images(tmp_path):
    """A data root holding other data sets (MNIST/raw/...) keeps the IDX folder message."""
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    (tmp_path / "MNIST" / "raw" / "notes.txt").write_text("idx files elsewhere")
    with pytest.raises(DataError, match="not a folder of IDX files"):
        load_dataset(str(tmp_path))
