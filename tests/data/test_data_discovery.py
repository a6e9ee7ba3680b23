from pathlib import Path

import numpy as np
import pytest

from visnet.data import (
    FASHION_CLASSES,
    DataError,
    SearchPlaces,
    available_datasets,
    find_dataset,
    load_dataset,
    load_npz,
)

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def places(tmp_path, monkeypatch) -> SearchPlaces:
    """An empty home, working dir and Debian dir, and no $VISNET_DATA: nothing to find yet."""
    monkeypatch.delenv("VISNET_DATA", raising=False)
    for sub in ("home", "cwd", "debian"):
        (tmp_path / sub).mkdir()
    return SearchPlaces(home=tmp_path / "home", cwd=tmp_path / "cwd", debian_dir=tmp_path / "debian")


def test_nothing_found_gives_one_line_hint(places):
    assert find_dataset("mnist", places=places) is None
    assert available_datasets(places=places) == [("embedded", available_datasets(places=places)[0][1])]
    with pytest.raises(DataError) as info:
        load_dataset("mnist", places=places)
    message = str(info.value)
    assert "\n" not in message and "visnet data fetch mnist" in message and "--data DIR" in message


def test_visnet_data_env_folder_itself(places, tmp_path, monkeypatch, make_idx_folder):
    make_idx_folder(tmp_path / "digits")
    monkeypatch.setenv("VISNET_DATA", str(tmp_path / "digits"))
    assert find_dataset("mnist", places=places) == tmp_path / "digits"
    assert find_dataset("fashion-mnist", places=places) is None
    assert load_dataset("mnist", places=places).x_train.shape == (30, 784)


def test_visnet_data_env_as_parent(places, tmp_path, monkeypatch, make_idx_folder):
    make_idx_folder(tmp_path / "store" / "mnist")
    make_idx_folder(tmp_path / "store" / "FashionMNIST" / "raw")
    monkeypatch.setenv("VISNET_DATA", str(tmp_path / "store"))
    assert find_dataset("mnist", places=places) == tmp_path / "store" / "mnist"
    assert find_dataset("fashion-mnist", places=places) == tmp_path / "store" / "FashionMNIST" / "raw"
    assert [spec for spec, _ in available_datasets(places=places)] == ["embedded", "mnist", "fashion-mnist"]
    assert load_dataset("fashion", places=places).class_names == FASHION_CLASSES


def test_data_dir_comes_before_env(places, tmp_path, monkeypatch, make_idx_folder):
    make_idx_folder(tmp_path / "env" / "mnist")
    make_idx_folder(tmp_path / "cli" / "MNIST" / "raw")
    monkeypatch.setenv("VISNET_DATA", str(tmp_path / "env"))
    assert find_dataset("mnist", tmp_path / "cli", places) == tmp_path / "cli" / "MNIST" / "raw"


def test_keras_npz(places, make_idx_folder, tmp_path):
    arrays = make_idx_folder(tmp_path / "unused")
    keras = places.home / ".keras" / "datasets"
    keras.mkdir(parents=True)
    np.savez(keras / "mnist.npz", **arrays)
    assert find_dataset("mnist", places=places) == keras / "mnist.npz"
    data = load_dataset("mnist", places=places)
    np.testing.assert_array_equal(data.y_test, arrays["y_test"])


def test_keras_fashion_folder(places, make_idx_folder):
    folder = places.home / ".keras" / "datasets" / "fashion-mnist"
    make_idx_folder(folder)
    assert find_dataset("fashion-mnist", places=places) == folder


def test_torchvision_layout_in_cwd(places, make_idx_folder):
    make_idx_folder(places.cwd / "data" / "MNIST" / "raw", gz=False)
    assert find_dataset("mnist", places=places) == places.cwd / "data" / "MNIST" / "raw"


def test_debian_location(places, make_idx_folder):
    make_idx_folder(places.debian_dir / "fashion-mnist")
    assert find_dataset("fashion-mnist", places=places) == places.debian_dir / "fashion-mnist"
    assert find_dataset("mnist", places=places) is None


def test_path_specs(places, tmp_path, make_idx_folder):
    arrays = make_idx_folder(tmp_path / "folder")
    np.savez(tmp_path / "set.npz", **arrays)
    assert load_dataset(str(tmp_path / "folder")).n_train == 30
    assert load_dataset(str(tmp_path / "set.npz")).n_test == 10
    with pytest.raises(DataError, match="no such data set"):
        load_dataset(str(tmp_path / "missing"))


def test_npz_problems(tmp_path, make_idx_folder):
    arrays = make_idx_folder(tmp_path / "x")
    np.savez(tmp_path / "partial.npz", x_train=arrays["x_train"])
    with pytest.raises(DataError, match=r"partial\.npz: missing arrays y_train, x_test, y_test"):
        load_npz(tmp_path / "partial.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match=r"junk\.npz: not a readable \.npz file"):
        load_npz(tmp_path / "junk.npz")
    bad = {**arrays, "y_test": arrays["y_test"] + 5}
    np.savez(tmp_path / "labels.npz", **bad)
    with pytest.raises(DataError, match=r"labels\.npz\[y_test\]: label 10 at index 5 is outside 0\.\.9"):
        load_npz(tmp_path / "labels.npz")


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_real_debian_fashion_mnist(tmp_path, monkeypatch):
    monkeypatch.delenv("VISNET_DATA", raising=False)
    places = SearchPlaces(home=tmp_path, cwd=tmp_path)
    assert find_dataset("fashion-mnist", places=places) == DEBIAN_FASHION
    data = load_dataset("fashion-mnist", places=places)
    assert (data.n_train, data.n_test, data.n_inputs) == (60000, 10000, 784)
    assert data.class_names == FASHION_CLASSES and data.name == "Fashion-MNIST"
    assert np.bincount(data.y_test).tolist() == [1000] * 10
