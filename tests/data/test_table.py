"""Tables: CSV and .npz fixtures load as a standardised Dataset or are refused in one line."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visnet.cli import main
from visnet.data import DataError, Standardization, TableSpec, load_dataset, load_table


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding, newline="")
    return path


def iris_like(path: Path, n: int = 30, sep: str = ",", seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    lines = [sep.join(["length", "species", "width"])]
    for i in range(n):
        c = i % 3
        lines.append(sep.join([f"{rng.normal(3 * c, 1):.4f}", ["setosa", "versicolor", "virginica"][c], f"{c + 10}"]))
    return write(path, "\n".join(lines) + "\n")


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


def test_named_label_column_strings_become_sorted_classes(tmp_path):
    data = load_dataset(f"table:{iris_like(tmp_path / 'iris.csv')}?label=species")
    assert data.class_names == ("setosa", "versicolor", "virginica")
    assert data.feature_names == ("length", "width")
    assert data.input_shape == (1, 2) and data.n_inputs == 2
    assert (data.n_train, data.n_test) == (24, 6)
    assert np.bincount(data.y_test).tolist() == [2, 2, 2]
    assert "rows of 2 features" in data.describe()


def test_standardisation_uses_the_training_rows_only(tmp_path):
    data = load_table(f"table:{iris_like(tmp_path / 'iris.csv')}?label=species&test=0.5&seed=3")
    # the training split is exactly standardised, the test split only approximately
    assert np.allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(data.x_train.std(axis=0), 1, atol=1e-5)
    assert not np.allclose(data.x_test.mean(axis=0), 0, atol=1e-3)
    # and applying it to the raw rows again gives the stored inputs
    raw = np.loadtxt(tmp_path / "iris.csv", delimiter=",", skiprows=1, usecols=(0, 2))
    scaled = data.standardization.apply(raw)
    for row in data.x_test:
        assert np.isclose(scaled, row, atol=1e-5).all(axis=1).any()


def test_a_constant_feature_has_std_one():
    s = Standardization.of(np.array([[1.0, 5.0], [3.0, 5.0]]))
    assert s.std.tolist() == [1.0, 1.0] and s.mean.tolist() == [2.0, 5.0]
    assert s.apply(np.array([[3.0, 7.0]])).tolist() == [[1.0, 2.0]]


def test_default_label_is_the_last_column_and_integers_sort_numerically(tmp_path):
    lines = ["a,b,digit"] + [f"{i},{i * 2},{[10, 9, 1][i % 3]}" for i in range(12)]
    data = load_table(TableSpec(str(write(tmp_path / "t.csv", "\n".join(lines)))))
    assert data.class_names == ("1", "9", "10")
    assert data.feature_names == ("a", "b")


def test_semicolons_bom_quotes_and_blank_lines(tmp_path):
    text = '\ufeff"height (cm)";"label"\n"1,5";x\n\n2;"y"\n3;x\n4;y\n'
    with pytest.raises(DataError, match=r"line 2, column 'height \(cm\)': '1,5' is not a finite number"):
        load_table(TableSpec(str(write(tmp_path / "t.csv", text))))
    text = '\ufeff"height (cm)";"label"\n1.5;x\n\n2;"y"\n3;x\n4;y\n'
    data = load_table(TableSpec(str(write(tmp_path / "t.csv", text)), label="label"))
    assert data.feature_names == ("height (cm)",) and data.class_names == ("x", "y")
    assert data.n_train + data.n_test == 4


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "empty; a CSV table needs a header row"),
        ("1,2,3\n4,5,6\n", "the first line holds numbers; a header row naming the columns is required"),
        ("a,b\n", "a header row and no data rows"),
        ("a,b\n1,x\n2,\n", "line 3, column 'b': the label is missing"),
        ("a,b\n1,x\n,y\n", "line 3, column 'a': is empty"),
        ("a,b\n1,x\nseven,y\n", "line 3, column 'a': 'seven' is not a finite number"),
        ("a,b\n1,x\nnan,y\n", "line 3, column 'a': 'nan' is not a finite number"),
        ("a,b\n1,x\n2,y,3\n", "line 3 has 3 cells, but the header names 2 columns"),
        ("a,a,b\n1,2,x\n", "the column name 'a' is used twice"),
        ("a\n1\n", "one column"),
        ("a,b\n1,x\n2,x\n", "every row has the label 'x'"),
        ('a,b\n1,"x\n', "line 2 is not readable as CSV (unexpected end of data)"),
    ],
)
def test_bad_csvs_are_refused_naming_file_line_and_column(tmp_path, text, problem):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(DataError) as err:
        load_dataset(f"table:{path}")
    message = one_line(err)
    assert message.startswith(f"{path}: ") and problem in message


def test_unknown_label_column_lists_the_columns(tmp_path):
    path = iris_like(tmp_path / "iris.csv")
    with pytest.raises(DataError, match=r"no column named 'kind' for the labels \(columns: length, species, width\)"):
        load_dataset(f"table:{path}?label=kind")


def test_not_utf8_fifo_and_missing_file(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8 text"):
        load_table(TableSpec(str(path)))
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(DataError, match="not a regular file"):
        load_dataset(f"table:{tmp_path / 'pipe.csv'}")
    with pytest.raises(DataError, match="No such file"):
        load_dataset(f"table:{tmp_path / 'nope.csv'}")


def test_a_plain_csv_path_is_a_table_labelled_by_its_last_column(tmp_path):
    path = write(tmp_path / "t.csv", "x,y,class\n" + "".join(f"{i},{-i},{i % 2 + 10}\n" for i in range(10)))
    data = load_dataset(str(path))
    assert data.class_names == ("10", "11") and data.feature_names == ("x", "y")
    with pytest.raises(DataError, match=r"iris.csv: line 2, column 'species': 'setosa' is not a finite number"):
        load_dataset(str(iris_like(tmp_path / "iris.csv")))  # its labels are not in the last column


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=6),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cells, min_size=2, max_size=4), min_size=1, max_size=6), st.sampled_from([",", ";"]))
def test_generated_csvs_load_or_give_one_line(tmp_path_factory, rows, sep):
    path = tmp_path_factory.mktemp("gen") / "g.csv"
    text = "f1" + sep + "f2" + sep + "label\n" + "\n".join(sep.join(r) for r in rows)
    path.write_text(text, encoding="utf-8")
    try:
        data = load_table(TableSpec(str(path)))
    except DataError as err:
        assert "\n" not in str(err) and str(err).startswith(str(path))
    else:
        assert np.isfinite(data.x_train).all() and data.n_classes >= 2


def test_npz_table_with_feature_names(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = np.array(["no", "yes"] * 20)
    np.savez(tmp_path / "t.npz", x=x, y=y, feature_names=np.array(["age", "income", "debt"]))
    data = load_dataset(str(tmp_path / "t.npz"))
    assert data.feature_names == ("age", "income", "debt") and data.class_names == ("no", "yes")
    assert data.standardization is not None and data.n_test == 8


def test_npz_of_8x8_images_has_an_8x8_input_shape(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "small.npz", x=rng.integers(0, 256, (30, 8, 8), dtype=np.uint8), y=np.arange(30) % 3)
    data = load_dataset(f"table:{tmp_path / 'small.npz'}")
    assert data.input_shape == (8, 8) and data.n_inputs == 64 and data.standardization is None
    assert data.x_train.max() <= 1 and data.describe().endswith("images of 8x8, 3 classes")


def test_keras_style_npz_of_16x16_images(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (20, 16, 16), dtype=np.uint8),
        "y_train": np.arange(20) % 10,
        "x_test": rng.integers(0, 256, (10, 16, 16), dtype=np.uint8),
        "y_test": np.arange(10) % 10,
    }
    np.savez(tmp_path / "usps.npz", **arrays)
    assert load_dataset(str(tmp_path / "usps.npz")).input_shape == (16, 16)
    arrays["x_test"] = arrays["x_test"][:, :8]
    np.savez(tmp_path / "usps.npz", **arrays)
    with pytest.raises(DataError, match=r"x_test\]: expected images of shape \(n, 16, 16\)"):
        load_dataset(str(tmp_path / "usps.npz"))


@pytest.mark.parametrize(
    "arrays, problem",
    [
        ({"x": np.zeros((4, 2))}, "missing arrays y"),
        ({"x": np.zeros((4, 2)), "y": np.zeros(3, int)}, "expected (4,) labels"),
        ({"x": np.array([[1.0, np.nan], [0, 0]]), "y": np.arange(2)}, "row 0, column 1 is not a finite number"),
        ({"x": np.zeros((4, 2), bool), "y": np.arange(4)}, "expected integer or float features"),
        ({"x": np.zeros((4, 2)), "y": np.zeros(4)}, "expected integer or text labels"),
        ({"x": np.zeros((4, 2)), "y": np.arange(4), "feature_names": np.array(["a"])}, "expected 2 different names"),
        ({"x": np.full((4, 2, 2), 2.0), "y": np.arange(4)}, "float pixels must lie within 0..1"),
    ],
)
def test_bad_npz_tables(tmp_path, arrays, problem):
    np.savez(tmp_path / "t.npz", **arrays)
    with pytest.raises(DataError) as err:
        load_dataset(f"table:{tmp_path / 't.npz'}")
    assert problem in one_line(err)


def test_train_on_a_table_and_eval_finds_it_again(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    iris_like(tmp_path / "iris.csv", n=60)
    args = ["train", "--data", "table:iris.csv?label=species", "--layers", "2,5,3", "--epochs", "1"]
    assert main([*args, "--save", "m.safetensors"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["eval", "m.safetensors"]) == 0
    out = capsys.readouterr().out
    assert "table:iris.csv?label=species&test=0.2&seed=0, from the model file" in out
    assert "test split (12 examples)" in out
    assert main(["info", "m.safetensors", "--json"]) == 0
    info = capsys.readouterr().out
    assert '"input_names": [' in info and '"standardization": {' in info


def test_cli_refuses_a_bad_table_in_one_line(tmp_path, capsys):
    path = write(tmp_path / "bad.csv", "a,b\n1,x\nfoo,y\n")
    assert main(["train", "--data", f"table:{path}", "--layers", "1,2", "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 3, column 'a': 'foo' is not a finite number" in err


def test_a_csv_of_points_opens_in_the_playground(tmp_path):
    from visnet.data.playground import PlaygroundSpec

    rng = np.random.default_rng(0)
    lines = ["x1,x2,label"] + [f"{rng.normal(10 * (i % 2), 1):.3f},{rng.normal():.3f},{'ab'[i % 2]}" for i in range(40)]
    path = write(tmp_path / "points.csv", "\n".join(lines))
    spec = PlaygroundSpec.parse(f"playground:{path}?train=0.75&features=x1_x2")
    assert str(spec) == f"playground:{path}?seed=0&train=0.75&features=x1_x2"
    assert PlaygroundSpec.parse(str(spec)) == spec
    toy, data = spec.load()
    assert (toy.n_train, toy.n_test) == (30, 10)
    assert data.class_names == ("a", "b") and data.n_inputs == 3
    x_min, x_max, y_min, y_max = toy.extent
    points = np.concatenate([toy.x_train, toy.x_test])
    assert x_min < points[:, 0].min() and points[:, 0].max() < x_max
    assert y_min < points[:, 1].min() and points[:, 1].max() < y_max
    assert load_dataset(str(spec)).n_train == 30
    assert spec.title == "points.csv + x₁x₂"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("a,b,c,label\n1,2,3,x\n4,5,6,y\n", "3 feature columns (a, b, c); the playground plots 2"),
        ("a,b,label\n1,2,x\n4,5,y\n4,5,z\n", "3 classes; the playground shows 2"),
    ],
)
def test_a_csv_the_playground_cannot_show(tmp_path, text, problem):
    path = write(tmp_path / "p.csv", text)
    with pytest.raises(DataError) as err:
        load_dataset(f"playground:{path}")
    assert problem in one_line(err)
    with pytest.raises(DataError, match="noise and points are settings of generated sets"):
        load_dataset(f"playground:{path}?noise=0.1")


def test_a_standardization_survives_a_model_file_round_trip():
    s = Standardization.of(np.array([[1.0, 2.0], [3.0, 8.0]]))
    again = Standardization.from_dict(s.as_dict())
    assert np.array_equal(again.mean, s.mean) and np.array_equal(again.std, s.std)
    for bad in ({"mean": [1.0]}, {"mean": [1.0], "std": [0.0]}, {"mean": ["a"], "std": [1]}, [1, 2]):
        with pytest.raises(ValueError):
            Standardization.from_dict(bad)


def test_eval_warns_when_the_table_changed_since_training(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    iris_like(tmp_path / "iris.csv", n=60)
    args = ["train", "--data", "table:iris.csv?label=species", "--layers", "2,3", "--epochs", "1", "--save", "m.st"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["eval", "m.st"]) == 0
    assert "warning" not in capsys.readouterr().err
    iris_like(tmp_path / "iris.csv", n=60, seed=1)
    assert main(["eval", "m.st"]) == 0
    assert "are not those the model was trained on" in capsys.readouterr().err
