"""folder: and table: specs parse, print back canonically and refuse what they cannot mean."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from visnet.data import DataError, FolderSpec, TableSpec, canonical_spec

paths = st.text(st.characters(blacklist_characters="?\0", blacklist_categories=("Cs",)), min_size=1, max_size=30)
fractions = st.floats(min_value=1e-6, max_value=1 - 1e-6, allow_nan=False)
seeds = st.integers(0, 2**63)
sides = st.integers(1, 256)


@given(paths, st.none() | st.tuples(sides, sides), fractions, seeds)
def test_folder_spec_round_trips(path, size, test, seed):
    spec = FolderSpec(path, size, test, seed)
    assert FolderSpec.parse(str(spec)) == spec
    assert str(FolderSpec.parse(str(spec))) == str(spec)


@given(
    paths, st.none() | st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20), fractions, seeds
)
def test_table_spec_round_trips(path, label, test, seed):
    spec = TableSpec(path, label, test, seed)
    assert TableSpec.parse(str(spec)) == spec


def test_defaults_are_spelled_out():
    assert str(FolderSpec.parse("folder:digits")) == "folder:digits?size=auto&test=0.2&seed=0"
    assert str(FolderSpec.parse("folder:digits?size=28")) == "folder:digits?size=28x28&test=0.2&seed=0"
    assert FolderSpec.parse("folder:d?size=32x16").size == (16, 32)  # width x height, stored (h, w)
    assert canonical_spec("table:iris.csv?label=species") == "table:iris.csv?label=species&test=0.2&seed=0"
    assert canonical_spec("table:a b.csv?label=a%26b") == "table:a b.csv?label=a%26b&test=0.2&seed=0"
    assert TableSpec.parse("table:x.csv?label=a%26b").label == "a&b"
    assert canonical_spec("mnist") == "mnist"


@pytest.mark.parametrize(
    "spec, problem",
    [
        ("folder:", "no path"),
        ("folder:d?size=0", "size sides"),
        ("folder:d?size=300", "size sides"),
        ("folder:d?size=ten", "size must be"),
        ("folder:d?size=2x3x4", "size must be"),
        ("folder:d?test=1", "test must be"),
        ("folder:d?test=nan", "test must be"),
        ("folder:d?test=x", "could not convert"),
        ("folder:d?seed=-1", "seed must be"),
        ("folder:d?colour=red", "unknown setting 'colour'"),
        ("folder:d?seed=1&seed=2", "given twice"),
        ("folder:d?seed", "cannot read the settings"),
        ("table:t.csv?label=", "label names no column"),
        ("table:t.csv?size=28", "unknown setting 'size'"),
    ],
)
def test_bad_specs_are_one_line(spec, problem):
    parse = FolderSpec.parse if spec.startswith("folder:") else TableSpec.parse
    with pytest.raises(DataError, match=problem) as caught:
        parse(spec)
    assert "\n" not in str(caught.value)


@given(st.text(max_size=40))
def test_any_text_after_the_prefix_parses_or_is_one_data_error(tail):
    for parse, prefix in ((FolderSpec.parse, "folder:"), (TableSpec.parse, "table:")):
        try:
            parse(prefix + tail)
        except DataError as err:
            assert "\n" not in str(err)


def test_kmnist_is_a_known_set_with_pinned_downloads(tmp_path, idx):
    from visnet.data import KMNIST_CLASSES, SearchPlaces, find_dataset, load_dataset
    from visnet.data.fetch import FETCH_FILE_NAMES, MIRRORS, SHA256, SIZES

    assert set(SHA256["kmnist"]) == set(SIZES["kmnist"]) == set(FETCH_FILE_NAMES)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in SHA256["kmnist"].values())
    assert MIRRORS["kmnist"][0].startswith("https://codh.rois.ac.jp/")
    folder = tmp_path / "data" / "KMNIST" / "raw"  # torchvision's layout
    folder.mkdir(parents=True)
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    arrays = [*idx.split(20, 0), *idx.split(10, 1)]
    for name, array in zip(names, arrays):
        idx.write(folder / name, array)
    places = SearchPlaces(home=tmp_path, cwd=tmp_path / "elsewhere", debian_dir=tmp_path / "none")
    assert find_dataset("kmnist", places=places) == folder
    data = load_dataset("kmnist", places=places)
    assert data.class_names == KMNIST_CLASSES and data.name == "Kuzushiji-MNIST"


@pytest.mark.parametrize("side", [8, 16, 32])
def test_idx_folders_of_any_square_size(tmp_path, idx, side):
    from visnet.data import load_dataset

    rng = np.random.default_rng(side)
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    for name, n in zip(names, (20, 20, 10, 10)):
        array = (
            rng.integers(0, 256, (n, side, side), dtype=np.uint8)
            if "images" in name
            else np.arange(n, dtype=np.uint8) % 10
        )
        idx.write(tmp_path / name, array)
    data = load_dataset(str(tmp_path))
    assert data.input_shape == (side, side) and data.n_inputs == side * side
