"""Edits to a network: exact undo/redo, JSON records, replay and the accuracy they cost."""

import json
from dataclasses import replace

import numpy as np
import pytest

from visnet.core.edits import (
    AccuracyChange,
    Edit,
    EditHistory,
    accuracy_change,
    is_ablated,
    replay,
)
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer, evaluate


def params(net):
    return [p.copy() for p in net.weights + net.biases]


def same_params(net, saved):
    current = net.weights + net.biases
    return len(current) == len(saved) and all(np.array_equal(a, b) for a, b in zip(current, saved))


def make_edits(history):
    history.ablate(0, 3)
    history.scale_weights(1, 2, 0.37)
    history.shift_bias(2, 4, 0.1)
    history.set_weight(0, 1, 5, 3.25)
    history.set_bias(1, 0, -1.5)
    history.scale_weights(0, 3, -1e-3)


@pytest.fixture(params=["float32", "float64"])
def net(request):
    return Network([784, 16, 12, 10], "sigmoid", init="normal", seed=1, dtype=request.param)


@pytest.fixture(scope="module")
def digits():
    from visnet.data import load_embedded

    return load_embedded()


@pytest.fixture(scope="module")
def trained(digits):
    net = Network([784, 30, 10], "sigmoid", init="normal", seed=0)
    Trainer(net, digits.x_train[:3000], digits.y_train[:3000], config=TrainConfig(eta=0.5, seed=0)).run_epoch()
    return net


def test_each_operation_changes_what_it_says(net):
    before = net.copy()
    h = EditHistory(net)
    e = h.ablate(0, 3)
    assert not np.any(net.weights[1][:, 3]) and is_ablated(net, 0, 3)
    np.testing.assert_array_equal(np.array(e.old, net.dtype), before.weights[1][:, 3])
    row = net.weights[1][2].copy()  # its column 3 is now zero
    h.scale_weights(1, 2, 0.5)
    np.testing.assert_array_equal(net.weights[1][2], row * net.dtype.type(0.5))
    h.shift_bias(2, 4, 0.25)
    assert net.biases[2][4] == before.biases[2][4] + net.dtype.type(0.25)
    h.set_weight(0, 1, 5, 3.0)
    assert net.weights[0][1, 5] == 3.0
    h.set_bias(1, 0, -1.0)
    assert net.biases[1][0] == -1.0
    assert not is_ablated(net, 0, 4) and not is_ablated(net, 2, 0)
    assert np.array_equal(net.weights[0][0], before.weights[0][0])
    assert np.array_equal(net.weights[2], before.weights[2])
    assert np.array_equal(net.biases[0], before.biases[0])


def test_undo_restores_bit_identical_parameters_and_redo_reapplies(net):
    original = params(net)
    h = EditHistory(net)
    assert not h.can_undo and not h.can_redo and h.undo() is None and h.redo() is None
    states = [params(net)]
    for op in (
        lambda: h.ablate(0, 3),
        lambda: h.scale_weights(1, 2, 0.37),
        lambda: h.shift_bias(2, 4, 0.1),
        lambda: h.set_weight(0, 1, 5, 3.25),
        lambda: h.set_bias(1, 0, -1.5),
        lambda: h.ablate(0, 3),  # twice: the second records zeros
        lambda: h.scale_weights(0, 3, 0.0),  # not invertible by division
    ):
        op()
        states.append(params(net))
    assert len(h) == 7 and h.can_undo and not h.can_redo
    for state in reversed(states[:-1]):
        h.undo()
        assert same_params(net, state)
    assert same_params(net, original) and not h.can_undo and h.can_redo
    for state in states[1:]:
        h.redo()
        assert same_params(net, state)
    assert not h.can_redo


def test_a_new_edit_clears_redo(net):
    h = EditHistory(net)
    h.ablate(0, 1)
    h.shift_bias(0, 1, 2.0)
    h.undo()
    assert h.can_redo
    h.set_bias(0, 2, 0.5)
    assert not h.can_redo and h.redo() is None
    assert [d["op"] for d in h.edits] == ["ablate", "set_bias"]


def test_edits_round_trip_through_json_and_replay_reproduces_the_weights(net):
    base = net.copy()
    h = EditHistory(net)
    make_edits(h)
    text = json.dumps(h.edits)
    for edit, d in zip(h.applied, json.loads(text)):
        assert Edit.from_dict(d) == replace(edit, old=None)
    full = json.loads(json.dumps([e.to_dict(undo=True) for e in h.applied]))
    assert [Edit.from_dict(d) for d in full] == h.applied

    replayed = replay(base, json.loads(text))
    assert same_params(base, params(net))
    assert replayed == h.applied  # the same old values were recorded
    for edit in reversed(replayed):  # and they undo a replay too
        edit.revert(base)
    assert not same_params(base, params(net))


def test_edits_loaded_from_json_undo_bit_identically(net):
    original = params(net)
    h = EditHistory(net)
    make_edits(h)
    saved = json.loads(json.dumps([e.to_dict(undo=True) for e in h.applied]))
    for d in reversed(saved):
        Edit.from_dict(d).revert(net)
    assert same_params(net, original)


def test_info_edits_append_to_what_the_model_recorded(net):
    net.info["edits"] = [{"op": "ablate", "layer": 0, "neuron": 9}]
    h = EditHistory(net)
    h.shift_bias(0, 1, 1.0)
    stored = h.store_in_info()
    assert (
        stored
        == net.info["edits"]
        == [
            {"op": "ablate", "layer": 0, "neuron": 9},
            {"op": "shift_bias", "layer": 0, "neuron": 1, "delta": 1.0},
        ]
    )
    h.set_bias(0, 2, 0.0)
    assert len(h.info_edits()) == 3  # the base is what the model had at the start
    h.undo()
    h.undo()
    assert h.info_edits() == [{"op": "ablate", "layer": 0, "neuron": 9}]
    h.shift_bias(0, 1, 1.0)
    h.clear()
    assert not h.can_undo and len(h.info_edits()) == 2
    json.dumps(h.info_edits())


def test_describe_is_a_line_of_text(net):
    h = EditHistory(net)
    make_edits(h)
    lines = [e.describe() for e in h.applied]
    assert lines[0] == "Switch off neuron 3 of layer 1"
    assert all(isinstance(s, str) and "\n" not in s for s in lines)
    json.dumps(lines)


def test_bad_edits_are_refused_and_leave_the_network_alone(net):
    original = params(net)
    h = EditHistory(net)
    with pytest.raises(ValueError, match="output"):
        h.ablate(2, 0)
    with pytest.raises(IndexError):
        h.ablate(0, 16)
    with pytest.raises(IndexError):
        h.set_weight(1, 0, 16, 1.0)
    with pytest.raises(IndexError):
        h.shift_bias(3, 0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        h.scale_weights(0, 0, float("nan"))
    for bad in (
        {"op": "explode", "layer": 0, "neuron": 0},
        {"op": "ablate", "layer": 0},
        {"op": "set_weight", "layer": 0, "neuron": 1, "value": 2.0},  # no input
        {"op": "ablate", "layer": "0", "neuron": 1},
    ):
        with pytest.raises(ValueError):
            Edit.from_dict(bad)
    with pytest.raises(ValueError, match="old values"):
        Edit("ablate", 0, 1).revert(net)
    assert same_params(net, original) and not h.can_undo


def test_ablation_changes_accuracy_exactly_as_evaluating_the_edited_network(trained, digits):
    x, y = digits.x_test, digits.y_test
    original = params(trained)
    manual = trained.copy()
    manual.weights[1][:, 7] = 0
    expected = evaluate(manual, x, y)

    change = accuracy_change(trained, x, y, Edit("ablate", 0, 7))
    assert isinstance(change, AccuracyChange)
    assert change.after.accuracy == expected.accuracy and change.after.loss == expected.loss
    assert change.before.accuracy == evaluate(trained, x, y).accuracy
    assert change.accuracy_delta == expected.accuracy - change.before.accuracy
    assert same_params(trained, original)  # accuracy_change edits a copy

    ways = ({"op": "ablate", "layer": 0, "neuron": 7}, [Edit("ablate", 0, 7)], lambda n: EditHistory(n).ablate(0, 7))
    for how in ways:
        assert accuracy_change(trained, x, y, how).after.accuracy == expected.accuracy

    edited = trained.copy()
    EditHistory(edited).ablate(0, 7)
    assert evaluate(edited, x, y).accuracy == expected.accuracy
    np.testing.assert_array_equal(edited.predict(x), manual.predict(x))

    # switching off many neurons costs accuracy
    many = accuracy_change(trained, x, y, [Edit("ablate", 0, j) for j in range(25)])
    assert many.accuracy_delta < -0.05
