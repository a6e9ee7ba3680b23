"""folder: and table: specs parse, print back canonically and refuse what they cannot mean."""

from __future__ import annotations

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
