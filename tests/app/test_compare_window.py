"""Compare runs in the window: the Experiment menu trains an experiment's runs, the panels
show exactly the runner's outcomes, files round-trip, and stopping leaves the window usable."""

from __future__ import annotations

import csv
import multiprocessing
from dataclasses import replace

import numpy as np
import pytest

from visnet.core.experiment import RunOutcome, RunSettings, experiment_of, run_result
from visnet.core.history import TrainingHistory
from visnet.core.matching import match_networks
from visnet.experiment_processes import ExperimentRunner
from visnet.io.experiment_export import smoothed

TINY = {"layers": (784, 8, 10), "epochs": 2}  # a preset shrunk to a couple of seconds


def run_preset(qtbot, window, name: str, **settings):
    experiments = window.experiments
    experiments.session.processes = 0  # in turns, in this process: deterministic and quick to start
    assert experiments.start_preset(name, **{**TINY, **settings}), window.errors
    qtbot.waitUntil(lambda: not experiments.session.running, timeout=60_000)
    assert experiments.session.complete, [experiments.session.failure(i) for i in range(experiments.session.n_runs)]
    return experiments


def test_a_preset_from_the_menu_trains_its_runs_and_the_table_and_curves_are_the_runners_outcomes(
    make_main_window, qtbot, monkeypatch
):
    window = make_main_window()
    window.controller.start()
    experiments = window.experiments
    experiments.session.processes = 0
    # The menu's action, with the preset shrunk: the menu passes no settings, so shrink the preset.
    from visnet.core import experiment as core_experiment

    preset = core_experiment.PRESETS["cost"]
    monkeypatch.setitem(core_experiment.PRESETS, "cost", replace(preset, base=replace(preset.base, **TINY)))
    experiments.preset_actions["cost"].trigger()
    assert window.workspace == "compare"
    assert window.controller.state == "paused"  # the window's own training waits
    assert experiments.session.running and not window.train_action.isEnabled()
    assert experiments.progress_bar.isVisibleTo(window)
    qtbot.waitUntil(lambda: not experiments.session.running, timeout=60_000)
    assert window.train_action.isEnabled() and not experiments.progress_bar.isVisibleTo(window)

    panel = experiments.panel
    outcomes = experiments.session.outcomes
    assert [o.label for o in outcomes] == ["cost: quadratic", "cost: cross-entropy"]
    assert panel.table.rowCount() == 2
    for i, outcome in enumerate(outcomes):
        r, h = outcome.result, outcome.history
        shown = [panel.table.item(i, c).text() for c in range(panel.table.columnCount())]
        assert shown[0] == outcome.label and shown[1] == "finished"
        assert shown[2] == f"{100 * r.best_test_accuracy:.1f} % (epoch {r.best_epoch})"
        assert r.best_test_accuracy == np.max(h.test_accuracy)
        assert shown[3] == f"{r.epochs}/2" and r.epochs == 2
        assert shown[4] == f"{r.seconds:.1f} s"
        assert shown[5] == f"{100 * r.gap:+.1f} pts"
        drawn = panel.drawn_curves(i)
        x, y = drawn["loss"]
        np.testing.assert_array_equal(x, h.batch_x)
        np.testing.assert_array_equal(y, smoothed(h.batch_loss))
        x, y = drawn["accuracy"]
        np.testing.assert_array_equal(x, h.epoch)
        np.testing.assert_array_equal(y, h.test_accuracy)
        for l in range(h.n_layers):
            x, y = drawn[f"grad_rms {l}"]
            positive = h.grad_rms[:, l] > 0
            np.testing.assert_array_equal(x, h.stats_x[positive])
            np.testing.assert_array_equal(y, h.grad_rms[positive, l])
    # The same experiment run headless gives the same runs, bit for bit: the window adds nothing.
    data = window.session.dataset
    with ExperimentRunner(
        experiments.session.experiment, data.x_train, data.y_train, data.x_test, data.y_test, processes=0
    ) as runner:
        list(runner.events())
    for headless, outcome in zip(runner.outcomes, outcomes):
        assert replace(headless.result, seconds=0.0) == replace(outcome.result, seconds=0.0)
        np.testing.assert_array_equal(headless.history.test_accuracy, outcome.history.test_accuracy)
        np.testing.assert_array_equal(headless.history.batch_loss, outcome.history.batch_loss)
        for w, w_window in zip(headless.network.weights, outcome.network.weights):
            np.testing.assert_array_equal(w, w_window)
    legend = [label.text for _, label in panel.loss_legend.items]
    assert legend == ["cost: quadratic", "cost: cross-entropy"]
    # The matched weights show the two finished networks, matched as the core matches them.
    weights = experiments.weights_panel
    assert weights.chosen_runs() == (0, 1)
    core = match_networks(outcomes[0].network, outcomes[1].network)[0]
    np.testing.assert_array_equal(weights.match.b_index, core.b_index)
    shown = weights.shown_weights()
    np.testing.assert_array_equal(shown["difference"], core.difference)
    np.testing.assert_array_equal(shown["b"], outcomes[1].network.weights[0][core.b_index])


def permuted_pair(perm: np.ndarray) -> tuple:
    """Two finished 'runs': a network and a copy with its hidden neurons permuted."""
    a_settings = RunSettings(layers=(784, len(perm), 10), epochs=1)
    b_settings = replace(a_settings, seed=1)
    net_a = a_settings.network()
    net_b = net_a.copy()
    net_b.weights[0][...] = net_a.weights[0][perm]
    net_b.biases[0][...] = net_a.biases[0][perm]
    net_b.weights[1][...] = net_a.weights[1][:, perm]
    experiment = experiment_of((a_settings, b_settings))
    outcomes = tuple(
        RunOutcome(spec.label, spec.settings, net, TrainingHistory(2), run_result([], 0.0, 0.0))
        for spec, net in zip(experiment.runs, (net_a, net_b))
    )
    return experiment, outcomes


def test_matched_weights_of_a_permuted_copy_show_zero_difference(make_main_window):
    window = make_main_window()
    perm = np.random.default_rng(3).permutation(12)
    experiment, outcomes = permuted_pair(perm)
    window.experiments.session.set_experiment(experiment, outcomes)
    panel = window.experiments.weights_panel
    assert panel.chosen_runs() == (0, 1)
    m = panel.match
    np.testing.assert_array_equal(m.a_index, np.arange(12))
    np.testing.assert_array_equal(perm[m.b_index], np.arange(12))  # B's neuron perm⁻¹[j] is A's j
    shown = panel.shown_weights()
    np.testing.assert_array_equal(shown["b"], shown["a"])
    assert not np.any(shown["difference"])
    np.testing.assert_array_equal(shown["a"], outcomes[0].network.weights[0])
    # Choosing the same run twice matches it with itself.
    panel.choose_runs(1, 1)
    assert panel.match.is_identity and not np.any(panel.shown_weights()["difference"])


def test_saving_and_opening_an_experiment_from_the_window_round_trips_and_exports_curves(
    make_main_window, qtbot, monkeypatch, tmp_path
):
    window = make_main_window()
    experiments = run_preset(qtbot, window, "init")
    session = experiments.session
    saved = tmp_path / "init.safetensors"
    asked = iter([str(saved), str(tmp_path / "curves.csv"), str(tmp_path / "curves.png")])
    monkeypatch.setattr(window, "_ask_export_path", lambda title, suggested, file_filter: next(asked))
    assert experiments.save_action.isEnabled()
    experiments.save_action.trigger()
    experiments.export_csv_action.trigger()
    experiments.export_png_action.trigger()
    assert window.errors == []
    before = [(o.label, o.result, [w.copy() for w in o.network.weights]) for o in session.outcomes]
    session.clear()
    assert session.n_runs == 0 and experiments.panel.table.rowCount() == 0

    monkeypatch.setattr(experiments, "_ask_open_path", lambda: str(saved))
    experiments.open_action.trigger()
    assert window.errors == []
    assert session.complete and session.n_runs == 2
    for (label, result, weights), outcome in zip(before, session.outcomes):
        assert outcome.label == label and outcome.result == result
        for w, w_opened in zip(weights, outcome.network.weights):
            np.testing.assert_array_equal(w, w_opened)
    assert [experiments.panel.table.item(i, 0).text() for i in range(2)] == [b[0] for b in before]
    np.testing.assert_array_equal(
        experiments.panel.drawn_curves(0)["accuracy"][1], session.outcome(0).history.test_accuracy
    )

    with open(tmp_path / "curves.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["run", "label", "series", "layer", "x", "value"]
    accuracy = [r for r in rows[1:] if r[0] == "1" and r[2] == "test_accuracy"]
    assert [float(r[5]) for r in accuracy] == pytest.approx(list(session.outcome(0).history.test_accuracy))
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # File ▸ Open (and `visnet FILE`) tells an experiment from a model and opens it here,
    # leaving the window's network as it was.
    session.clear()
    net = window.controller.trainer.net
    assert window.open_model(saved)
    assert session.complete and session.outcome(0).result == before[0][1]
    assert window.controller.trainer.net is net and window.errors == []


def test_added_configurations_make_an_experiment_and_a_finished_run_can_be_shown_in_the_window(make_main_window, qtbot):
    window = make_main_window()
    experiments = window.experiments
    experiments.session.processes = 0
    config = window.config_panel
    config.epochs_spin.setValue(1)
    assert experiments.add_current_configuration()
    assert experiments.session.experiment is None and experiments.session.pending_run is not None
    config.learning_rate_spin.setValue(0.1)
    assert experiments.add_current_configuration()
    experiment = experiments.session.experiment
    assert experiment is not None and experiment.varied == ("eta",)
    assert experiment.labels[1] == "lr: 0.1"
    assert experiments.start()
    qtbot.waitUntil(lambda: not experiments.session.running, timeout=60_000)
    assert experiments.session.complete

    panel = experiments.panel
    panel.table.selectRow(1)
    assert panel.show_button.isEnabled()
    panel.show_button.click()
    outcome = experiments.session.outcome(1)
    assert window.workspace == "watch"
    trainer = window.controller.trainer
    for w, w_run in zip(trainer.net.weights, outcome.network.weights):
        np.testing.assert_array_equal(w, w_run)
    assert trainer.net is not outcome.network  # training on in the window leaves the run as it was
    assert trainer.config.eta == pytest.approx(0.1)


def test_stopping_an_experiment_mid_run_leaves_the_window_usable(make_main_window, qtbot):
    window = make_main_window()
    experiments = window.experiments
    session = experiments.session
    session.processes = 1  # a real worker process, ended by Stop
    assert experiments.start_preset("l2", layers=(784, 8, 10), epochs=1000)
    qtbot.waitUntil(lambda: bool(session.curves(0).batch_x and session.curves(1).batch_x), timeout=60_000)
    workers = [p for p in multiprocessing.active_children() if p.name == "visnet experiment worker"]
    assert len(workers) == 1
    experiments.stop_action.trigger()
    assert not session.running and not workers[0].is_alive()
    assert [session.status(i) for i in range(2)] == ["stopped", "stopped"]
    assert experiments.panel.row_texts(0)[1] == "stopped"
    assert len(experiments.panel.drawn_curves(0)["loss"][0]) == len(session.curves(0).batch_x) > 0
    assert window.train_action.isEnabled() and experiments.start_action.isEnabled()
    steps = window.controller.steps_trained
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.controller.steps_trained > steps + 10, timeout=10_000)
    window.controller.pause()
    assert window.errors == []


def test_a_run_can_be_removed_or_added_and_the_others_keep_what_they_trained(make_main_window):
    window = make_main_window()
    session = window.experiments.session
    experiment, outcomes = permuted_pair(np.arange(6)[::-1].copy())
    third = replace(experiment.settings[0], seed=2)
    session.set_experiment(experiment.with_run(third), (*outcomes, None))
    panel = window.experiments.panel
    assert panel.table.rowCount() == 3 and session.status(2) == "not started"
    panel.table.selectRow(0)
    assert panel.remove_button.isEnabled()
    panel.remove_button.click()
    assert session.experiment.labels == ("seed: 1", "seed: 2")
    assert session.outcome(0).network is outcomes[1].network and session.outcome(0).label == "seed: 1"
    assert session.outcome(1) is None
    assert [panel.table.item(i, 0).text() for i in range(2)] == ["seed: 1", "seed: 2"]
    panel.table.selectRow(0)
    assert not panel.remove_button.isEnabled()  # two runs at least
    # A run added as a variant joins them; the run trained keeps its outcome.
    session.add_variant(replace(third, seed=3))
    assert session.experiment.labels == ("seed: 1", "seed: 2", "seed: 3")
    assert session.outcome(0).network is outcomes[1].network and session.outcome(2) is None


def test_a_preset_for_digits_is_refused_in_the_playground_and_closing_ends_the_workers(make_main_window, qtbot):
    window = make_main_window()
    assert window.open_playground("xor", ask=False)
    experiments = window.experiments
    experiments.session.processes = 1
    assert not experiments.start_preset("cost")
    assert window.errors and "784-input" in window.errors[-1][1]
    assert not experiments.session.running and window.train_action.isEnabled()
    window.playground_menu.actions()[-1].trigger()  # back to the digits
    assert experiments.start_preset("cost", layers=(784, 8, 10), epochs=1000)
    qtbot.waitUntil(lambda: bool(experiments.session.curves(0).batch_x), timeout=60_000)
    workers = [p for p in multiprocessing.active_children() if p.name == "visnet experiment worker"]
    assert workers
    assert window.close()
    assert not any(p.is_alive() for p in workers)


def test_two_runs_maps_show_the_same_layer_of_each_run(make_main_window, qtbot):
    """Each map is the core's PCA of its own run's layer; a copy with its hidden neurons
    permuted puts the points in the same places; a layer chosen in one map is chosen in both."""
    from visnet.core.representation import every_layer, map_size, project

    window = make_main_window()
    perm = np.random.default_rng(5).permutation(12)
    experiment, outcomes = permuted_pair(perm)
    window.experiments.session.set_experiment(experiment, outcomes)
    window.show_workspace("compare")
    window.run_maps_dock.show()
    window.run_maps_dock.raise_()
    panel = window.experiments.maps_panel
    assert panel.chosen_runs() == (0, 1)
    for m in panel.maps:
        m.refresh_now()
    qtbot.waitUntil(lambda: all(m.projection() is not None for m in panel.maps), timeout=10_000)
    data = window.session.dataset
    x = data.x_test[: map_size(len(data.x_test))]
    for m, outcome in zip(panel.maps, outcomes):
        assert m.layer() == panel.maps[0].layer()
        expected = every_layer(outcome.network, x)[m.layer()]
        np.testing.assert_array_equal(m.activations(), expected)
        np.testing.assert_allclose(m.coords(), project(expected).coords, atol=1e-5)
    a, b = (m.coords() for m in panel.maps)
    np.testing.assert_allclose(np.abs(a), np.abs(b), atol=1e-4)  # the same points, up to each axis's sign

    other = 0 if panel.maps[0].layer() != 0 else 2
    panel.maps[0].set_layer(other)
    panel.maps[0].refresh_now()
    qtbot.waitUntil(lambda: panel.maps[1].layer() == other, timeout=5000)
