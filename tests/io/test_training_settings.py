"""Training settings read from a model file (info["training"]) go through one schema:
a bad setting is replaced by the fallback's, with a warning naming it, and no config
that passes TrainConfig.validate can crash training."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import visnet
from visnet.core.optim import SCHEDULES
from visnet.core.training import (
    RULES,
    SETTINGS,
    DivergenceError,
    TrainConfig,
    Trainer,
    config_from_stored,
)
from visnet.io import load_model, save_model

FIELDS = [f.name for f in dataclasses.fields(TrainConfig)]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31, 2**63, 10**30, -1, 0, 1, 60000, 1_000_001])
    | st.floats()
    | st.sampled_from([0.0, -0.0, 1.0, 1e-300, 5e-324, 1e300, 0.999, 1.5, -1.0])
    | st.text(max_size=10)
    | st.sampled_from([*SCHEDULES, *RULES, "NaN", "Infinity", "10"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
stored_settings = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=12)


def test_every_field_has_a_rule():
    assert list(SETTINGS) == FIELDS


def test_the_reported_crashes_become_warnings():
    fallback = TrainConfig(eta=0.1)
    stored = {"step_epochs": 0, "gamma": {}, "batch_size": float("inf"), "eta": 0.3, "schedule": "step"}
    config, warnings = config_from_stored(stored, fallback)
    assert config == dataclasses.replace(fallback, eta=0.3, schedule="step")
    assert warnings == [
        "training setting batch_size ignored: inf is not a whole number in [1, 1000000]; using 10",
        "training setting gamma ignored: {} is not a finite number in (0, 1]; using 0.5",
        "training setting step_epochs ignored: 0 is not a finite number >= 0.001; using 1.0",
    ]
    _, warnings = config_from_stored({"gamma": -1, "epochs": True}, fallback)
    assert [w.split()[2] for w in warnings] == ["epochs", "gamma"]


@pytest.mark.parametrize("stored", ["nonsense", [1, 2], 3.5, True])
def test_settings_that_are_not_an_object_are_ignored_with_one_warning(stored):
    config, warnings = config_from_stored(stored, TrainConfig(eta=0.2))
    assert config == TrainConfig(eta=0.2) and len(warnings) == 1 and "training settings ignored" in warnings[0]


def test_no_settings_means_the_fallback_without_warnings():
    fallback = TrainConfig(eta=0.2)
    config, warnings = config_from_stored(None, fallback)
    assert config == fallback and config is not fallback and warnings == []


@settings(max_examples=300, deadline=None)
@given(stored=stored_settings)
def test_any_stored_settings_give_a_valid_config_and_one_warning_per_bad_field(stored):
    fallback = TrainConfig(eta=0.25, batch_size=7, schedule="cosine")
    config, warnings = config_from_stored(stored, fallback)
    config.validate()
    warned = [w.split()[2] for w in warnings]
    assert len(set(warned)) == len(warned) and all("\n" not in w for w in warnings)
    for name in FIELDS:
        value = getattr(config, name)
        if name not in stored:
            assert value == getattr(fallback, name) and name not in warned
        elif name in warned:
            assert value == getattr(fallback, name)
            assert SETTINGS[name].problem(stored[name]) is not None
        else:
            # an integer stored for a float setting is read as the nearest float
            kind = type(getattr(fallback, name))
            assert value == kind(stored[name]) and type(value) is kind


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(FIELDS), value=json_values, schedule=st.sampled_from(SCHEDULES))
def test_validate_refuses_with_a_value_error_or_the_config_trains(name, value, schedule):
    config = dataclasses.replace(TrainConfig(schedule=schedule), **{name: value})
    if name == "rule" and value == "perceptron":
        return  # a rule for another kind of network (test_perceptron)
    try:
        config.validate()
    except ValueError as err:
        assert "\n" not in str(err)
        return
    config.epochs = min(config.epochs, 3)  # the cosine schedule anneals over them
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 2)), rng.integers(0, 2, 12)
    trainer = Trainer(visnet.Network([2, 3, 2], seed=0), x, y, x[:4], y[:4], config)
    try:
        for _ in range(3):
            trainer.step()
        trainer.eta  # noqa: B018  the schedule's rate, after a few steps
    except DivergenceError:
        pass  # a learning rate too large for the data is reported, not a crash


@pytest.mark.parametrize(
    "name, value",
    [("gamma", 0), ("gamma", -1), ("gamma", 1.5), ("step_epochs", 0), ("step_epochs", float("nan"))]
    + [("batch_size", 2.5), ("batch_size", True), ("eta", float("inf")), ("lmbda", float("nan")), ("seed", -1)],
)
def test_validate_checks_the_schedule_too(name, value):
    with pytest.raises(ValueError, match=SETTINGS[name].label.replace("(", r"\(").replace(")", r"\)")):
        dataclasses.replace(TrainConfig(), **{name: value}).validate()


def test_settings_saved_with_a_model_come_back_unchanged(tmp_path):
    config = TrainConfig(eta=0.05, momentum=0.9, lmbda=1e-4, batch_size=32, epochs=7, seed=3, schedule="step")
    config.gamma, config.step_epochs = 0.8, 2.5
    net = visnet.Network([4, 3, 2], seed=0)
    path = save_model(net, tmp_path / "m.safetensors", training=config.as_dict())
    restored, warnings = config_from_stored(load_model(path).info["training"], TrainConfig())
    assert restored == config and warnings == []


def test_a_file_with_bad_settings_still_loads(tmp_path):
    path = save_model(visnet.Network([4, 3, 2], seed=0), tmp_path / "m.safetensors", training={"gamma": "much"})
    net = load_model(path)
    assert net.sizes == (4, 3, 2)
    config, warnings = config_from_stored(net.info["training"], TrainConfig())
    assert config.gamma == 0.5 and warnings == [
        "training setting gamma ignored: 'much' is not a finite number in (0, 1]; using 0.5"
    ]


def test_resuming_on_the_command_line_uses_the_checked_stored_settings(tmp_path, capsys):
    from visnet.cli import main

    stored = {"eta": 0.07, "batch_size": 25, "schedule": "step", "gamma": -1, "step_epochs": 0}
    model = save_model(visnet.Network([784, 8, 10], seed=0), tmp_path / "m.safetensors", training=stored)
    out = tmp_path / "resumed.safetensors"
    small = ["--epochs", "1", "--train-size", "100", "--test-size", "20", "--quiet", "--save", str(out)]
    assert main(["train", "--resume", str(model), "--batch", "20", *small]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line]
    assert warnings == [
        f"visnet: warning: {model}: training setting gamma ignored: -1 is not a finite number in (0, 1]; using 0.5",
        f"visnet: warning: {model}: training setting step_epochs ignored: 0 is not a finite number >= 0.001; using 1.0",
    ]
    resumed = load_model(out).info["training"]
    assert resumed["eta"] == 0.07 and resumed["schedule"] == "step"  # stored, not given
    assert resumed["batch_size"] == 20 and resumed["epochs"] == 1  # given on the command line
    assert resumed["gamma"] == 0.5 and resumed["step_epochs"] == 1.0  # bad, so the defaults
