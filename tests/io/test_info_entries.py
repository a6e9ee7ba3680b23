"""A model's info names its inputs and keeps a table's scaling; a file may put anything there.
Unusable input_names or standardization entries are left out with a one-line warning, and the
network still opens."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_trees import JSON_VALUES
from safetensors import safe_open
from safetensors.numpy import save_file

from visnet.cli import main
from visnet.core.network import Network
from visnet.data import Standardization
from visnet.io import load_model, open_model, read_description, save_model
from visnet.io.common import MAX_INPUT_NAME, checked_info
from visnet.io.native import METADATA_KEY

N_INPUTS = 3
GOOD = {
    "input_names": ["sepal length", "sépale", "x₃"],
    "standardization": Standardization(np.array([1.0, -2.0, 3.5]), np.array([0.5, 1.0, 2.0])).as_dict(),
}

NAMES = st.one_of(
    JSON_VALUES,
    st.lists(st.one_of(st.text(max_size=6), JSON_VALUES), max_size=N_INPUTS + 1),
    st.lists(st.text(min_size=MAX_INPUT_NAME, max_size=MAX_INPUT_NAME + 1), min_size=1, max_size=1),
)
NUMBER_LISTS = st.lists(
    st.one_of(
        st.floats(),  # NaN and infinities too: Python's json reads them
        st.integers(-(2**1100), 2**1100),  # beyond float64
        st.booleans(),
        st.just(0),
    ),
    min_size=N_INPUTS - 1,
    max_size=N_INPUTS + 1,
)
SCALINGS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({"mean": NUMBER_LISTS, "std": NUMBER_LISTS}),
    st.fixed_dictionaries({"mean": NUMBER_LISTS, "std": NUMBER_LISTS, "extra": JSON_VALUES}),
)


def usable_names(names) -> bool:
    return (
        isinstance(names, list)
        and len(names) <= N_INPUTS
        and all(isinstance(n, str) and n.isprintable() and len(n) <= MAX_INPUT_NAME for n in names)
    )


def usable_scaling(stored) -> bool:
    try:
        scaling = Standardization.from_dict(stored)
    except (ValueError, OverflowError):
        return False
    values = [*stored["mean"], *stored["std"]]
    return scaling.mean.size == N_INPUTS and not any(isinstance(v, bool) for v in values)


@settings(max_examples=150, deadline=None)
@given(names=NAMES, scaling=SCALINGS, other=JSON_VALUES)
def test_any_entries_are_kept_only_when_usable_with_a_warning_for_each_left_out(names, scaling, other):
    info = {"input_names": names, "standardization": scaling, "dataset": other}
    kept, warnings = checked_info("m.safetensors", info, N_INPUTS)
    assert kept["dataset"] is other  # other entries are not this check's business
    assert ("input_names" in kept) == usable_names(names)
    assert ("standardization" in kept) == usable_scaling(scaling)
    assert len(warnings) == 2 - ("input_names" in kept) - ("standardization" in kept)
    for warning in warnings:
        assert warning.startswith("m.safetensors: ") and " ignored: " in warning
        assert "\n" not in warning and warning.isprintable() and len(warning) < 400
    if "standardization" in kept:  # what the window and `visnet eval` then do with it works
        Standardization.from_dict(kept["standardization"]).apply(np.zeros((2, N_INPUTS)))


def test_what_a_table_writes_is_kept_as_it_is():
    kept, warnings = checked_info("m", dict(GOOD, dataset="iris"), N_INPUTS)
    assert kept == dict(GOOD, dataset="iris") and warnings == []
    assert checked_info("m", {"input_names": ["a"]}, N_INPUTS) == ({"input_names": ["a"]}, [])  # fewer names is fine


def with_raw_info(path, entries: dict) -> None:
    """Rewrite a visnet file's description with `entries` in its info, as raw JSON (NaN and
    infinities included, as a hand-edited or hostile file may hold them)."""
    with safe_open(str(path), "numpy") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        description = json.loads(f.metadata()[METADATA_KEY])
    description["info"].update(entries)
    save_file(tensors, str(path), metadata={METADATA_KEY: json.dumps(description)})


@pytest.fixture
def hostile_file(tmp_path):
    path = save_model(Network([N_INPUTS, 4, 2], seed=0), tmp_path / "hostile.safetensors", dataset="iris")
    with_raw_info(
        path,
        {
            "input_names": ["ok", "\x1b[31mred\x1b[0m"],
            "standardization": {"mean": [0, 0, 0], "std": [1, float("nan"), 1]},
        },
    )
    return path


def test_a_hostile_file_opens_without_them_and_says_why(hostile_file):
    model = open_model(hostile_file)
    assert "input_names" not in model.network.info and "standardization" not in model.network.info
    assert model.network.info["dataset"] == "iris"
    assert model.warnings == (
        f"{hostile_file}: input_names ignored: '\\x1b[31mred\\x1b[0m' is not a printable name of at most 200 characters",
        f"{hostile_file}: standardization ignored: its std holds a value that is not a finite number",
    )
    assert "input_names" not in load_model(hostile_file).info  # load_model leaves them out too
    d = read_description(hostile_file)
    assert "standardization" not in d["info"] and len(d["info_warnings"]) == 2


def test_visnet_info_prints_the_warnings_on_stderr(hostile_file, capsys):
    assert main(["info", str(hostile_file)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[0] for line in err] == ["visnet", "visnet"]
    assert "input_names ignored" in err[0] and "standardization ignored" in err[1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=NAMES, scaling=SCALINGS)
def test_any_entries_in_a_file_open_or_are_left_out(tmp_path_factory, names, scaling):
    path = save_model(Network([N_INPUTS, 2], seed=0), tmp_path_factory.mktemp("f") / "m.safetensors")
    with_raw_info(path, {"input_names": names, "standardization": scaling})
    model = open_model(path)
    info = model.network.info
    assert ("input_names" in info) == usable_names(names)
    assert ("standardization" in info) == usable_scaling(scaling)
    assert len(model.warnings) == 2 - ("input_names" in info) - ("standardization" in info)
