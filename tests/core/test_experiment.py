"""Experiments: settings, variations, labels, the book's presets, and one run trained an
epoch at a time exactly as a plain Trainer trains it."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visnet.core.experiment import (
    PRESETS,
    ExperimentError,
    RunResult,
    RunSettings,
    RunTraining,
    parse_vary,
    preset_experiment,
    run_labels,
    vary_experiment,
)
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer


def tiny_data(n_train=120, n_test=40, n_in=12, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, n_in))
    y_train, y_test = rng.integers(0, k, n_train), rng.integers(0, k, n_test)
    x_train = (centres[y_train] + 0.5 * rng.normal(size=(n_train, n_in))).astype(np.float32)
    x_test = (centres[y_test] + 0.5 * rng.normal(size=(n_test, n_in))).astype(np.float32)
    return x_train, y_train, x_test, y_test


TINY = RunSettings(layers=(12, 6, 3), epochs=3, batch_size=8)


def test_a_variation_names_what_differs():
    e = vary_experiment(TINY, [parse_vary("cost=quadratic,cross-entropy")])
    assert e.labels == ("cost: quadratic", "cost: cross-entropy")
    assert e.varied == ("cost",)
    assert [r.settings.cost for r in e.runs] == ["quadratic", "cross-entropy"]
    assert all(r.settings.seed == 0 for r in e.runs)  # the same seed unless varied
    e = vary_experiment(TINY, [parse_vary("lr=0.1,0.5,1"), parse_vary("layers=12-6-3,12-9-3,12-3")])
    assert e.labels == ("layers: 12-6-3, lr: 0.1", "layers: 12-9-3, lr: 0.5", "layers: 12-3, lr: 1")
    assert run_labels([TINY, TINY]) == ("run 1", "run 2")


@pytest.mark.parametrize(
    "text",
    [
        "cost=quadratic",  # one value
        "cost=a,b,c,d,e",  # five
        "cost",
        "=1,2",
        "colour=red,blue",
        "lr=0,0.5",  # not above 0
        "lr=nan,1",
        "momentum=0.5,1",
        "seed=1.5,2",
        "batch=0,10",
        "layers=784-,784-10",
        "activation=softmax,relu",
        "cost=quadratic,",
    ],
)
def test_a_bad_variation_is_one_clear_line(text):
    with pytest.raises(ExperimentError) as info:
        parse_vary(text)
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 300


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_variation_or_one_line(text):
    try:
        v = parse_vary(text)
    except ExperimentError as err:
        assert "\n" not in str(err)
    else:
        assert 2 <= len(v.values) <= 4


def test_variations_must_agree_in_count():
    with pytest.raises(ExperimentError):
        vary_experiment(TINY, [parse_vary("lr=0.1,0.5"), parse_vary("seed=1,2,3")])
    with pytest.raises(ExperimentError):
        vary_experiment(TINY, [])
    with pytest.raises(ExperimentError):  # two runs alike
        vary_experiment(TINY, [parse_vary("lr=0.5,0.5")])
    with pytest.raises(ExperimentError):  # a network the settings cannot make
        vary_experiment(TINY, [parse_vary("output=softmax,sigmoid"), parse_vary("layers=12-6-1,12-6-3")])


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_the_book_comparison_it_names(name):
    e = preset_experiment(name)
    assert len(e.runs) == 2 and e.name == name and e.description
    field = {"cost": "cost", "l2": "lmbda", "activation": "activation", "init": "init"}[name]
    assert e.varied == (field,)
    assert all(label.startswith(f"{name}: ") for label in e.labels)
    for run in e.runs:
        run.settings.network()  # every run's network can be made
    if name == "l2":
        assert e.train_size == 1000
    if name == "init":
        assert [r.settings.init for r in e.runs] == ["large", "normal"]


def test_settings_survive_a_round_trip_and_refuse_nonsense():
    s = replace(TINY, eta=0.25, lmbda=1e-4, init="large", schedule="cosine")
    assert RunSettings.from_dict(s.as_dict()) == s
    for bad in ([], {"eta": "fast"}, {"layers": [1]}, {"colour": 1}, {"cost": 3}, {"seed": -1}, {"layers": "784"}):
        with pytest.raises(ExperimentError):
            RunSettings.from_dict(bad)


def test_a_result_survives_a_round_trip():
    r = RunResult(3, 0.9, 2, 0.3, 0.4, 0.85, 0.95, 1.5)
    assert RunResult.from_dict(r.as_dict()) == r
    assert r.gap == pytest.approx(0.1)
    with pytest.raises(ExperimentError):
        RunResult.from_dict({**r.as_dict(), "epochs": -1})


def test_a_run_trains_as_a_plain_trainer_bit_for_bit():
    x_train, y_train, x_test, y_test = tiny_data()
    s = replace(TINY, momentum=0.5, lmbda=1e-3)
    run = RunTraining(s, x_train, y_train, x_test, y_test, record=True)
    while not run.done:
        run.train_epoch()
    outcome = run.finish(seconds=1.0)

    net = Network(s.layers, s.activation, output=s.output, cost=s.cost, init=s.init, seed=s.seed, dtype=s.dtype)
    config = TrainConfig(eta=s.eta, momentum=0.5, lmbda=1e-3, batch_size=8, epochs=3, seed=0)
    trainer = Trainer(net, x_train, y_train, x_test, y_test, config)
    records = [trainer.run_epoch() for _ in range(3)]

    for a, b in zip(outcome.network.weights + outcome.network.biases, net.weights + net.biases):
        assert np.array_equal(a, b)
    assert list(outcome.history.epochs) == records
    assert outcome.result.epochs == 3 and outcome.result.best_test_accuracy == max(r.test_accuracy for r in records)
    assert outcome.timeline is not None and len(outcome.timeline) > 3
    assert np.array_equal(outcome.timeline.last.weights[0], net.weights[0])


def test_a_variant_from_the_configuration_joins_and_leaves_an_experiment():
    net = Network((12, 6, 3), "relu", output="softmax", cost="cross-entropy", init="he", seed=0)
    config = TrainConfig(eta=0.1, batch_size=8, epochs=3, seed=4)
    s = RunSettings.of(net, config)
    assert s == RunSettings(layers=(12, 6, 3), activation="relu", init="he", eta=0.1, batch_size=8, epochs=3, seed=4)
    e = vary_experiment(replace(s, eta=0.5), [parse_vary("cost=quadratic,cross-entropy")])
    bigger = e.with_run(s)
    assert bigger.labels == ("cost: quadratic, lr: 0.5", "cost: cross-entropy, lr: 0.5", "cost: cross-entropy, lr: 0.1")
    assert bigger.without_run(0).labels == ("lr: 0.5", "lr: 0.1")
    with pytest.raises(ExperimentError):
        bigger.with_run(s)  # already there
    with pytest.raises(ExperimentError):
        e.without_run(0)  # one run is no experiment
    with pytest.raises(ExperimentError):
        RunSettings.of(Network((12, 6, 5, 3), ["relu", "tanh"], seed=0), config)
