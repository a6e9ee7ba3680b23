"""Experiment files: every run with its weights, curves and timeline, round-tripped; a
damaged file is refused in one line naming it, never a traceback."""

import copy
import json
import struct

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given, settings
from hypothesis import strategies as st

from visnet.core.experiment import RunSettings, RunTraining, parse_vary, vary_experiment
from visnet.io import ModelFileError, load_model, open_experiment, open_model, read_description, save_experiment
from visnet.io.experiment_file import METADATA_KEY

FUZZ = settings(max_examples=150, deadline=None)


def tiny_runs(record=True, epochs=2):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    experiment = vary_experiment(
        RunSettings(layers=(8, 5, 3), epochs=epochs, batch_size=10),
        [parse_vary("cost=quadratic,cross-entropy")],
        name="cost",
        description="the learning slowdown",
        train_size=60,
    )
    outcomes = []
    for spec in experiment.runs:
        run = RunTraining(spec, x[:40], y[:40], x[40:], y[40:], record=record)
        while not run.done:
            run.train_epoch()
        outcomes.append(run.finish(0.5))
    return experiment, outcomes


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    experiment, outcomes = tiny_runs()
    path = tmp_path_factory.mktemp("experiment") / "exp.safetensors"
    save_experiment(experiment, outcomes, path, dataset="toy", class_names=["a", "b", "c"])
    return path, experiment, outcomes


def test_an_experiment_round_trips(saved):
    path, experiment, outcomes = saved
    opened = open_experiment(path)
    assert opened.warnings == ()
    assert opened.experiment == experiment
    for a, b in zip(opened.runs, outcomes):
        assert a.label == b.label and a.settings == b.settings and a.result == b.result
        for x, y in zip(a.network.weights + a.network.biases, b.network.weights + b.network.biases):
            assert x.dtype == y.dtype and np.array_equal(x, y)
        assert a.history.epochs == b.history.epochs
        assert np.array_equal(a.history.batch_loss, b.history.batch_loss)
        assert a.timeline is not None and len(a.timeline) == len(b.timeline)
        assert np.array_equal(a.timeline.steps, b.timeline.steps)
        assert np.array_equal(a.timeline[3].weights[0], b.timeline[3].weights[0])
        assert a.network.info["label"] == a.label and a.network.info["class_names"] == ["a", "b", "c"]
    # saved again, it is the same experiment
    again = path.with_name("again.safetensors")
    save_experiment(opened.experiment, opened.runs, again)
    assert open_experiment(again).experiment == experiment


def test_without_timelines_too(tmp_path):
    experiment, outcomes = tiny_runs(record=False)
    save_experiment(experiment, outcomes, tmp_path / "e.safetensors")
    assert all(run.timeline is None for run in open_experiment(tmp_path / "e.safetensors").runs)


def test_an_experiment_too_large_to_open_again_is_not_saved(tmp_path, monkeypatch):
    from visnet.io import experiment_file

    experiment, outcomes = tiny_runs(record=False)
    monkeypatch.setattr(experiment_file, "MAX_FILE", 1000)
    with pytest.raises(ModelFileError, match="cannot save: the experiment takes"):
        save_experiment(experiment, outcomes, tmp_path / "big.safetensors")
    assert not (tmp_path / "big.safetensors").exists()


def test_model_readers_and_the_experiment_reader_refuse_each_other(saved, tmp_path):
    path, _, outcomes = saved
    for read in (load_model, open_model, read_description):
        with pytest.raises(ModelFileError, match="is a visnet experiment"):
            read(path)
    from visnet.io import save_model

    model = save_model(outcomes[0].network, tmp_path / "m.safetensors")
    with pytest.raises(ModelFileError, match="is a visnet model file, not an experiment"):
        open_experiment(model)


def parts(path):
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    return header, data[8 + n :]


def rebuilt(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def assert_one_line_or_sound(path):
    try:
        opened = open_experiment(path)
    except ModelFileError as err:
        message = str(err)
        assert "\n" not in message and message.startswith(str(path)) and len(message) < 400
    else:
        assert 2 <= len(opened.runs) <= 4


def mutate_json(value, data):
    """value with one generated change somewhere inside it."""
    if isinstance(value, dict) and value:
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["recurse", "delete", "replace"]))
        out = dict(value)
        if action == "delete":
            del out[key]
        elif action == "replace":
            out[key] = data.draw(junk)
        else:
            out[key] = mutate_json(value[key], data)
        return out
    if isinstance(value, list) and value:
        i = data.draw(st.integers(0, len(value) - 1))
        out = list(value)
        action = data.draw(st.sampled_from(["recurse", "delete", "replace", "duplicate"]))
        if action == "delete":
            del out[i]
        elif action == "duplicate":
            out.append(copy.deepcopy(out[i]))
        elif action == "replace":
            out[i] = data.draw(junk)
        else:
            out[i] = mutate_json(value[i], data)
        return out
    return data.draw(junk)


junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["quadratic", "relu", "float64", "", "runs.0.", "\x1b[31m", "\n"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


@FUZZ
@given(data=st.data())
def test_a_changed_description_is_refused_in_one_line_or_still_sound(saved, tmp_path_factory, data):
    path, _, _ = saved
    header, body = parts(path)
    description = json.loads(header["__metadata__"][METADATA_KEY])
    changed = mutate_json(description, data)
    header = dict(header, __metadata__={METADATA_KEY: json.dumps(changed)})
    bad = tmp_path_factory.mktemp("bad") / "bad.safetensors"
    bad.write_bytes(rebuilt(header, body))
    assert_one_line_or_sound(bad)


@FUZZ
@given(data=st.data())
def test_changed_tensor_entries_are_refused_in_one_line_or_still_sound(saved, tmp_path_factory, data):
    path, _, _ = saved
    header, body = parts(path)
    names = sorted(k for k in header if k != "__metadata__")
    name = data.draw(st.sampled_from(names))
    action = data.draw(st.sampled_from(["rename", "delete", "dtype", "shape", "move"]))
    entry = header[name]
    if action == "rename":
        header[data.draw(st.sampled_from(["runs.5.layers.0.weight", "other", "runs.0.extra", name + "x"]))] = entry
        del header[name]
    elif action == "delete":
        del header[name]
    elif action == "dtype":
        header[name] = dict(entry, dtype=data.draw(st.sampled_from(["F32", "F64", "I64", "U8", "F16", "BF16"])))
    elif action == "shape":
        header[name] = dict(entry, shape=data.draw(st.lists(st.integers(0, 50), max_size=4)))
    else:
        header[name] = dict(entry, data_offsets=[0, entry["data_offsets"][1] - entry["data_offsets"][0]])
    bad = tmp_path_factory.mktemp("bad") / "bad.safetensors"
    bad.write_bytes(rebuilt(header, body))
    assert_one_line_or_sound(bad)


@FUZZ
@given(data=st.data())
def test_damaged_bytes_are_refused_in_one_line_or_still_sound(saved, tmp_path_factory, data):
    path, _, _ = saved
    raw = bytearray(path.read_bytes())
    kind = data.draw(st.sampled_from(["truncate", "flip", "nan"]))
    if kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    else:  # a NaN float32 or float64 somewhere in the tensor data
        n = struct.unpack("<Q", raw[:8])[0]
        at = data.draw(st.integers(8 + n, len(raw) - 8))
        raw[at : at + 8] = struct.pack("<d", float("nan"))
    bad = tmp_path_factory.mktemp("bad") / "bad.safetensors"
    bad.write_bytes(bytes(raw))
    assert_one_line_or_sound(bad)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x80\x04pickle", b"PK\x03\x04zip", b"{}", safetensors.numpy.save({"a": np.zeros(2, np.float32)})],
)
def test_other_files_are_refused_in_one_line(tmp_path, content):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(content)
    with pytest.raises(ModelFileError) as info:
        open_experiment(bad)
    assert "\n" not in str(info.value)
    with pytest.raises(ModelFileError):
        open_experiment(tmp_path)  # a folder
