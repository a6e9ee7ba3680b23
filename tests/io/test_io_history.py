"""A model file's training history: round trip, old files, and bad histories that never
stop the model from loading."""

import json

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_files import bad_tensor, read_file, write_file

import visnet
from visnet.core.history import SAVE_POINTS, TrainingHistory
from visnet.io import FORMAT_VERSION, ModelFileError, load_model, open_model, read_description, save_model


def make_history(n_layers=2, n=50, e=3, m=10):
    rng = np.random.default_rng(0)
    return TrainingHistory(
        n_layers,
        batch_x=np.linspace(0.02, e, n),
        batch_loss=rng.random(n) + 0.1,
        epoch=np.arange(1, e + 1),
        train_loss=np.linspace(1.0, 0.5, e),
        test_loss=np.linspace(1.1, 0.6, e),
        test_accuracy=np.linspace(0.5, 0.8, e),
        stats_x=np.linspace(0.1, e, m),
        grad_rms=rng.random((m, n_layers)),
        update_ratio=rng.random((m, n_layers)) * 1e-3,
        steps=n,
        epochs_done=e,
        samples_seen=10 * n,
    )


@pytest.fixture
def net():
    return visnet.Network([6, 4, 3], "relu", seed=0)


@pytest.fixture
def saved(tmp_path, net):
    return save_model(net, tmp_path / "h.safetensors", history=make_history(), epochs=3)


def test_round_trip(saved, net):
    model = open_model(saved)
    assert model.warnings == ()
    for name, a in make_history().arrays().items():
        np.testing.assert_array_equal(getattr(model.history, name), a)
        assert getattr(model.history, name).dtype == a.dtype
    assert model.history.progress == make_history().progress
    assert np.array_equal(model.network.weights[0], net.weights[0])
    assert load_model(saved).sizes == (6, 4, 3)  # load_model still gives the network


def test_file_layout(saved):
    arrays, d = read_file(saved)
    assert d["version"] == 2 < FORMAT_VERSION  # the oldest version that describes a history
    assert d["history"] == {"steps": 50, "epochs_done": 3, "samples_seen": 500}
    assert arrays["history.batch_x"].dtype == np.float64 and arrays["history.epoch"].dtype == np.int64
    assert arrays["history.grad_rms"].shape == (10, 2)
    desc = read_description(saved)
    assert desc["history"]["summary"] == "3 epochs, 50 steps, 500 samples, last test accuracy 80.00%"
    assert desc["history"]["batch_points"] == 50


def test_files_without_history_stay_version_1_and_open(tmp_path, net):
    path = save_model(net, tmp_path / "plain.safetensors")
    _, d = read_file(path)
    assert d["version"] == 1 and "history" not in d
    model = open_model(path)
    assert model.history is None and model.warnings == ()
    assert "history" not in read_description(path)


def test_saving_thins_long_histories(tmp_path, net):
    long = make_history(n=3 * SAVE_POINTS, m=2 * SAVE_POINTS)
    path = save_model(net, tmp_path / "long.safetensors", history=long)
    h = open_model(path).history
    assert len(h.batch_x) == SAVE_POINTS and len(h.stats_x) == SAVE_POINTS
    assert h.batch_x[-1] == long.batch_x[-1] and h.steps == long.steps


def test_saving_a_history_of_another_network_is_refused(tmp_path, net):
    with pytest.raises(ModelFileError, match="3 layers"):
        save_model(net, tmp_path / "x.safetensors", history=make_history(n_layers=3))
    assert not (tmp_path / "x.safetensors").exists()


def test_an_older_visnet_would_refuse_politely(saved):
    """Files with a history say version 2, so version-1 readers report a newer visnet
    instead of 'unexpected tensors'; a version from the future is refused here too."""
    arrays, d = read_file(saved)
    d["version"] = FORMAT_VERSION + 1
    with pytest.raises(ModelFileError, match="newer visnet"):
        load_model(write_file(saved.with_name("future.safetensors"), arrays, d))


def expect_dropped(path, *fragments):
    model = open_model(path)
    assert model.history is None
    assert model.network.sizes == (6, 4, 3)
    assert len(model.warnings) == 1
    warning = model.warnings[0]
    assert "\n" not in warning and path.name in warning and "training history ignored" in warning
    for fragment in fragments:
        assert fragment in warning, warning
    assert read_description(path)["history_warning"] == warning
    return warning


@pytest.mark.parametrize(
    "change, fragment",
    [
        (dict(tensors={"history.batch_x": None}), "missing tensor(s) history.batch_x"),
        (dict(tensors={"history.extra": np.zeros(3)}), "unexpected tensor(s) history.extra"),
        (dict(tensors={"history.batch_loss": np.ones(50, np.float32)}), "is F32, expected F64"),
        (dict(tensors={"history.epoch": np.arange(1.0, 4.0)}), "is F64, expected I64"),
        (dict(tensors={"history.grad_rms": np.ones((10, 3))}), "for 2 layers"),
        (dict(tensors={"history.grad_rms": np.ones(10)}), "for 2 layers"),
        (dict(tensors={"history.test_loss": np.ones((3, 1))}), "expected (n,)"),
        (dict(tensors={"history.batch_loss": np.full(50, np.nan)}), "NaN"),
        (dict(tensors={"history.batch_x": np.linspace(3, 0, 50)}), "never decrease"),
        (dict(tensors={"history.train_loss": np.ones(4)}), "train_loss has 4 values"),
        (dict(counters=None), "no valid 'history' entry"),
        (dict(counters="ten"), "no valid 'history' entry"),
        (dict(counters={"steps": -1, "epochs_done": 3, "samples_seen": 0}), "counter steps"),
        (dict(counters={"steps": 50, "epochs_done": 2.5, "samples_seen": 0}), "counter epochs_done"),
        (dict(counters={"steps": 50, "epochs_done": 1, "samples_seen": 0}), "epochs done"),
    ],
)
def test_a_bad_history_is_dropped_with_one_warning(saved, change, fragment):
    arrays, d = read_file(saved)
    arrays.update(change.get("tensors", {}))
    if "counters" in change:
        if change["counters"] is None:
            del d["history"]
        else:
            d["history"] = change["counters"]
    expect_dropped(write_file(saved.with_name("bad.safetensors"), arrays, d), fragment)


def test_history_tensors_in_an_old_style_file_without_counters(saved):
    arrays, d = read_file(saved)
    d["version"] = 1
    del d["history"]
    expect_dropped(write_file(saved.with_name("v1.safetensors"), arrays, d))


NAMES = [
    "batch_x",
    "batch_loss",
    "epoch",
    "train_loss",
    "test_loss",
    "test_accuracy",
    "stats_x",
    "grad_rms",
    "update_ratio",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(replaced=st.dictionaries(st.sampled_from(NAMES), bad_tensor(), min_size=1, max_size=3))
def test_random_history_tensors_never_stop_the_model_loading(saved, replaced):
    arrays, d = read_file(saved)
    arrays.update({f"history.{k}": v for k, v in replaced.items()})
    path = write_file(saved.with_name("random.safetensors"), arrays, d)
    model = open_model(path)  # never raises: the network is fine
    assert model.network.sizes == (6, 4, 3)
    if model.history is None:
        assert len(model.warnings) == 1 and "\n" not in model.warnings[0]
    else:  # the random tensors happened to be a valid history
        assert model.warnings == () and model.history.n_layers == 2
    read_description(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counters=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(), st.lists, max_leaves=4)
)
def test_random_counters_never_stop_the_model_loading(saved, counters):
    arrays, d = read_file(saved)
    d["history"] = {"steps": counters, "epochs_done": 3, "samples_seen": 0}
    path = saved.with_name("counters.safetensors")
    safetensors.numpy.save_file(arrays, str(path), metadata={"visnet": json.dumps(d, allow_nan=True)})
    model = open_model(path)
    assert model.network.sizes == (6, 4, 3)
    assert (model.history is None) == (not (type(counters) is int and 50 <= counters < 2**63))
