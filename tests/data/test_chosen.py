"""A file or folder picked in the window becomes the spec that loads it; a bad file is left to
the loader, which refuses it in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from visnet.data import DataError, load_dataset
from visnet.data.chosen import choose_path, spec_path, with_absolute_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def image_folder(root: Path) -> Path:
    for k, name in enumerate(("cat", "dog")):
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((8, 8), 40 * k, np.uint8)).save(root / name / f"{i}.png")
    return root


def test_an_image_folder_and_an_idx_folder(tmp_path, make_idx_folder):
    images = choose_path(image_folder(tmp_path / "pets"))
    assert images.kind == "images" and images.spec.startswith(f"folder:{tmp_path / 'pets'}?")
    assert load_dataset(images.spec).class_names == ("cat", "dog")
    make_idx_folder(tmp_path / "idx")
    idx = choose_path(tmp_path / "idx")
    assert (idx.kind, idx.spec) == ("idx", str(tmp_path / "idx"))
    assert load_dataset(idx.spec).input_shape == (28, 28)


def test_a_table_labelled_by_its_last_column_asks_nothing(tmp_path):
    path = write(tmp_path / "t.csv", "a,b,Label\n" + "".join(f"{i},{i * 2},{i % 3}\n" for i in range(12)))
    chosen = choose_path(path)
    assert (chosen.kind, chosen.ask_label, chosen.columns) == ("table", False, ("a", "b", "Label"))
    assert load_dataset(chosen.spec).class_names == ("0", "1", "2")


def test_a_table_whose_labels_are_not_plain_asks_and_suggests(tmp_path):
    rows = "".join(f"{i},{['x', 'y', 'z'][i % 3]},{i / 2}\n" for i in range(12))
    chosen = choose_path(write(tmp_path / "iris.csv", "length,species,width\n" + rows))
    assert chosen.kind == "table" and chosen.ask_label and chosen.suggested_label == "width"
    spec = chosen.with_label("species")
    assert spec.startswith("table:") and "label=species" in spec
    assert load_dataset(spec).class_names == ("x", "y", "z")
    assert "label=" not in chosen.with_label("width")  # the last column is the default: left out
    named = choose_path(write(tmp_path / "n.csv", "class,f1,f2\n" + "a,1,2\nb,3,4\n"))
    assert named.ask_label and named.suggested_label == "class"


def test_a_tsv_is_a_table(tmp_path):
    path = write(tmp_path / "t.tsv", "f 1\tf2\tlabel\n" + "".join(f"{i}\t{-i}\t{i % 4}\n" for i in range(16)))
    chosen = choose_path(path)
    assert chosen.kind == "table" and chosen.columns == ("f 1", "f2", "label")
    data = load_dataset(chosen.spec)
    assert data.feature_names == ("f 1", "f2") and data.n_classes == 4
    assert load_dataset(str(path)).n_classes == 4  # a plain .tsv path too


def test_points_of_two_classes_open_in_the_playground(tmp_path):
    rows = "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(20))
    chosen = choose_path(write(tmp_path / "xy.csv", "x1,x2,c\n" + rows))
    assert chosen.kind == "points" and chosen.spec.startswith(f"playground:{tmp_path / 'xy.csv'}?")
    assert load_dataset(chosen.spec).n_inputs == 2
    three = choose_path(write(tmp_path / "three.csv", "x1,x2,c\n" + rows.replace(",a\n", ",c\n", 3)))
    assert three.kind == "table"  # three classes: the playground shows two


def test_npz_and_other_files_are_left_to_the_loader(tmp_path):
    assert choose_path(tmp_path / "m.npz").kind == "npz"
    other = choose_path(write(tmp_path / "notes.txt", "hello"))
    assert other.kind == "file"
    with pytest.raises(DataError) as err:
        load_dataset(other.spec)
    assert "\n" not in str(err.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".csv", ".tsv"]))
def test_any_bytes_as_a_table_are_chosen_then_loaded_or_refused_in_one_line(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("any") / f"t{suffix}"
    path.write_bytes(data)
    chosen = choose_path(path)  # never raises: choosing only looks
    specs = [chosen.spec] + [chosen.with_label(c) for c in chosen.columns[:2]]
    for spec in specs:
        try:
            load_dataset(spec)
        except DataError as err:
            assert "\n" not in str(err)


@pytest.mark.parametrize(
    "spec, path",
    [
        ("embedded", None),
        ("mnist", None),
        ("Fashion", None),
        ("playground:xor?noise=0.2", None),
        ("playground:pts.csv?seed=1&train=0.5", "pts.csv"),
        ("folder:pics?size=8", "pics"),
        ("table:t.csv?label=a%26b", "t.csv"),
        ("table:", None),
        ("some/idx", "some/idx"),
    ],
)
def test_spec_path_names_only_the_users_own_files(spec, path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert spec_path(spec) == path
    absolute = with_absolute_path(spec)
    if path is None:
        assert absolute is None
    else:
        assert spec_path(absolute) == str(tmp_path / path)
        assert with_absolute_path(absolute) == absolute  # settings kept, nothing else changes
