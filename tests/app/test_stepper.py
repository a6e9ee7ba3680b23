"""The backprop stepper driven like a user would: keys, clicks, the window's Backprop mode."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from visnet.app.panels.stepper import (
    BackpropStepper,
    Example,
    NetworkState,
    result_strips,
    step_direction,
)
from visnet.app.panels.stepper_source import training_mini_batch
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.network import Network
from visnet.core.sample_pass import SamplePass
from visnet.core.training import TrainConfig, Trainer
from visnet.io import save_model


@pytest.fixture
def stepper(qtbot):
    widget = BackpropStepper()
    widget.resize(1300, 750)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    widget.setFocus()
    return widget


def load(stepper, net: Network, dataset, i: int = 0, batch: int = 8, **state) -> None:
    x, y = dataset.x_test, dataset.y_test
    stepper.batch_spin.setValue(batch)
    stepper.show_problem(
        NetworkState(net, state.pop("eta", 0.5), **state),
        Example(x[i], int(y[i]), f"test image {i}", i),
        batch=(x[i : i + batch], y[i : i + batch]),
        class_names=dataset.class_names,
    )


def expected_strips(trace, index: int) -> set[str]:
    return {"a0"} | {s.name for s in trace.steps[: index + 1] if s.phase in ("forward", "backward")}


def check_shows_step(stepper, index: int) -> None:
    trace = stepper.trace
    step = trace.steps[index]
    assert stepper.current_index() == index
    assert stepper.current_step() is step
    assert stepper.formula_label.text() == step.formula
    text = stepper.position_label.text()
    assert f"Step {index + 1} of {len(trace)}" in text and step.phase in text
    if step.layer is not None:
        assert f"layer {step.layer + 1}" in text
    assert stepper.strips.visible_strips() == expected_strips(trace, index)
    assert stepper.strips.framed_strip() == result_strips(step, trace.n_layers)[0]
    assert stepper.numbers_label.text()


def test_walks_every_step_forward_and_back_with_the_keyboard(stepper, qtbot, small_mnist):
    net = Network([784, 16, 16, 10], output="softmax", seed=3)
    load(stepper, net, small_mnist)
    trace = stepper.trace
    n = len(trace)
    assert trace.names[0] == "z1" and trace.names[-1] == "C_after"
    check_shows_step(stepper, 0)
    seen = []
    for i in range(1, n):
        qtbot.keyClick(stepper, Qt.Key.Key_PageDown)
        check_shows_step(stepper, i)
        seen.append(stepper.current_step().phase)
    assert seen.index("cost") < seen.index("backward") < seen.index("gradient") < seen.index("update")
    qtbot.keyClick(stepper, Qt.Key.Key_PageDown)  # stays on the last step
    check_shows_step(stepper, n - 1)
    for i in range(n - 2, -1, -1):
        qtbot.keyClick(stepper, Qt.Key.Key_PageUp)
        check_shows_step(stepper, i)
    qtbot.keyClick(stepper, Qt.Key.Key_Right)
    qtbot.keyClick(stepper, Qt.Key.Key_Right)
    check_shows_step(stepper, 2)
    qtbot.keyClick(stepper, Qt.Key.Key_Left)
    check_shows_step(stepper, 1)
    qtbot.keyClick(stepper, Qt.Key.Key_End)
    check_shows_step(stepper, n - 1)
    qtbot.keyClick(stepper, Qt.Key.Key_Home)
    check_shows_step(stepper, 0)


def test_forward_steps_go_left_to_right_and_backward_steps_right_to_left(stepper, qtbot, small_mnist):
    load(stepper, Network([784, 12, 10, 10], output="softmax", seed=1), small_mnist)
    highlights = []
    stepper.layer_highlighted.connect(lambda layer, direction: highlights.append((layer, direction)))
    for i in range(len(stepper.trace)):
        stepper.go_to(i)
    trace = stepper.trace
    phases = [s.phase for s in trace.steps]
    forward = [layer for (layer, d), p in zip(highlights, phases) if p == "forward"]
    backward = [layer for (layer, d), p in zip(highlights, phases) if p == "backward"]
    assert {d for (_, d), p in zip(highlights, phases) if p == "forward"} == {"forward"}
    assert {d for (_, d), p in zip(highlights, phases) if p in ("backward", "gradient")} == {"backward"}
    assert forward == sorted(forward) and forward[0] == 0 and forward[-1] == trace.n_layers - 1
    assert backward == list(range(trace.n_layers - 1, -1, -1))
    assert highlights == [step_direction(s, trace.n_layers) for s in trace.steps]


def test_play_walks_to_the_end_and_stops(stepper, qtbot, small_mnist):
    load(stepper, Network([784, 10, 10], output="softmax", seed=0), small_mnist)
    stepper._play_timer.setInterval(5)
    qtbot.keyClick(stepper, Qt.Key.Key_P)
    assert stepper.is_playing()
    qtbot.waitUntil(lambda: not stepper.is_playing(), timeout=3000)
    assert stepper.current_index() == len(stepper.trace) - 1
    assert stepper.play_button.text() == "Play"


@pytest.mark.parametrize("hidden", ["sigmoid", "relu", "tanh"])
@pytest.mark.parametrize(
    "output, cost",
    [("softmax", "cross-entropy"), ("softmax", "quadratic"), ("sigmoid", "cross-entropy"), ("sigmoid", "quadratic")],
)
def test_trace_matches_network_gradients_for_every_activation_and_cost(stepper, small_mnist, hidden, output, cost):
    net = Network([784, 12, 8, 10], activations=hidden, output=output, cost=cost, seed=2)
    load(stepper, net, small_mnist, i=5, batch=4)
    trace = stepper.trace
    x = small_mnist.x_test[5:6]
    y = small_mnist.y_test[5:6]
    for (gw, gb), tw, tb in zip(net.gradients(x, y), trace.grad_w, trace.grad_b):
        np.testing.assert_allclose(tw, gw, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(tb, gb, rtol=1e-6, atol=1e-9)
    for i in range(len(trace)):  # every step renders its numbers
        stepper.go_to(i)
        assert stepper.numbers_label.text()
    for layer in range(trace.n_layers):
        stepper.select_neuron(layer, 1)
        assert "neuron 1" in stepper.neuron_panel.title_label.text()
        check = stepper.neuron_panel.last_check
        assert (check.layer, check.index[0]) == (layer, 1)
        if hidden != "relu":  # a ReLU kink can fool the finite difference, not backprop
            assert check.relative_difference < 1e-4 or check.abs_difference < 1e-8
    wishes, everyone = stepper.wishes_panel.last
    np.testing.assert_allclose(everyone.total, everyone.contributions.sum(axis=0), rtol=1e-5, atol=1e-7)


def test_minibatch_average_column_is_the_batch_gradient(stepper, small_mnist):
    net = Network([784, 16, 16, 10], output="softmax", seed=4)
    load(stepper, net, small_mnist, i=10, batch=12)
    assert stepper.minibatch_panel.last is None  # computed only once its tab is shown
    stepper.tabs.setCurrentWidget(stepper.minibatch_panel)
    for layer, j in ((0, 3), (1, 7), (2, 4)):
        stepper.select_neuron(layer, j)
        table = stepper.minibatch_panel.last
        assert table.per_example.shape[1] == 12
        assert stepper.minibatch_panel.table.columnCount() == 12 + 2
        x, y = small_mnist.x_test[10:22], small_mnist.y_test[10:22]
        grad_w, grad_b = net.gradients(x, y)[layer]
        expected = [grad_w[p] if isinstance(p, tuple) else grad_b[p] for p in table.params]
        assert all((p[0] if isinstance(p, tuple) else p) == j for p in table.params)
        np.testing.assert_allclose(stepper.minibatch_panel.average_column(), expected, rtol=1e-5, atol=1e-8)
    stepper.batch_spin.setValue(3)
    assert stepper.minibatch_panel.table.columnCount() == 3 + 2


def test_update_tab_shows_the_step_training_takes(stepper, small_mnist):
    net = Network([784, 16, 10], output="softmax", seed=5)
    load(stepper, net, small_mnist, eta=1.0, momentum=0.5, lmbda=0.01)
    trace = stepper.trace
    stepper.select_neuron(0, 6)
    before, after, diff = (img.image for img in stepper.update_panel.pictures.images)
    np.testing.assert_array_equal(before.ravel(), trace.weights[0][6])
    np.testing.assert_array_equal(after.ravel(), trace.new_weights[0][6])
    np.testing.assert_allclose(diff.ravel(), trace.new_weights[0][6] - trace.weights[0][6], atol=1e-7)
    assert trace.cost_after < trace.cost_before
    assert "Cost" in stepper.update_panel.cost_label.text()
    stepper.go_to(trace.index_of("update_w1"))
    assert stepper.tabs.currentWidget() is stepper.update_panel
    stepper.go_to(trace.index_of("velocity_w1"))
    assert "μv" in stepper.numbers_label.text()


def test_clicking_a_strip_cell_selects_that_neuron(stepper, qtbot, small_mnist):
    load(stepper, Network([784, 16, 16, 10], output="softmax", seed=6), small_mnist)
    stepper.last_step()
    view = stepper.strips.graphics_view()
    with qtbot.waitSignal(stepper.neuron_selected) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=stepper.strips.cell_widget_pos("delta2", 9))
    assert blocker.args == [1, 9]
    assert stepper.selected_neuron() == (1, 9)
    assert "layer 2 neuron 9" in stepper.neuron_panel.title_label.text()
    assert stepper.wishes_panel.layer_spin.value() == 2 and stepper.wishes_panel.neuron_combo.currentIndex() == 9


def test_an_opened_model_file_can_be_traced(stepper, small_mnist, tmp_path, monkeypatch):
    load(stepper, Network([784, 16, 10], output="softmax", seed=7), small_mnist)
    other = Network([784, 20, 10], output="softmax", seed=8)
    path = save_model(other, tmp_path / "other.safetensors")
    monkeypatch.setattr(stepper, "_ask_model_path", lambda: str(path))
    stepper.network_combo.setCurrentIndex(2)  # Model file…; without a source nothing is traced yet
    assert "other.safetensors" in stepper._file_state.description
    stepper.show_problem(stepper._file_state, stepper.example)
    assert stepper.trace.sizes == (784, 20, 10)


class _DrawingSource:
    """A window stand-in with a drawn digit and no label."""

    def __init__(self, dataset, net):
        self.dataset, self.net = dataset, net

    def class_names(self):
        return self.dataset.class_names

    def n_test(self):
        return len(self.dataset.x_test)

    def has_drawn_digit(self):
        return True

    def network_state(self, kind):
        return NetworkState(self.net, 0.5, description="a test network")

    def example(self, kind, index):
        if kind == "drawn":
            return Example(self.dataset.x_test[3] * 0.9, None, "the drawn digit")
        return Example(self.dataset.x_test[index], int(self.dataset.y_test[index]), f"test image {index}", index)

    def batch_size(self):
        return None

    def mini_batch(self, example, target, n):
        return training_mini_batch(None, self.dataset, example, target, n)


def test_a_drawn_digit_trains_towards_the_networks_answer_or_a_chosen_class(stepper, small_mnist):
    net = Network([784, 16, 10], output="softmax", seed=9)
    stepper.set_source(_DrawingSource(small_mnist, net))
    stepper.example_combo.setCurrentIndex(1)  # Drawn digit
    assert stepper.trace_again()
    predicted = int(np.argmax(net.forward(small_mnist.x_test[3:4] * 0.9)))
    assert stepper.target() == predicted
    assert "drawn digit" in stepper.source_label.text()
    other = (predicted + 1) % 10
    stepper.target_combo.setCurrentIndex(other)
    assert int(stepper.trace.labels[0]) == other
    stepper.example_combo.setCurrentIndex(2)  # Test image
    stepper.index_spin.setValue(42)
    assert stepper.example.test_index == 42 and stepper.target() == int(small_mnist.y_test[42])


# -- notation ---------------------------------------------------------------------------------
SUP, SUB = "⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉"
NAMED_VALUE = re.compile(rf"(?:^|[>(;:,]\s*)([azδ])([{SUP}]+)([{SUB}]+) = ")
END_OF_CHAIN = re.compile(r";|<|,|\s—|\s{2,}|$")
BARE_SYMBOL = re.compile(rf"(?<![\w∂/{SUP}])[azδwb](?:_|[{SUB}ᵢⱼₖ])|(?<![\w∂/])[azδ] [=>]")


def _number(text: str) -> int:
    return int(text.translate(str.maketrans(SUP + SUB, "0123456789" * 2)))


def named_values(text: str):
    """(symbol, kind, layer, neuron, value shown) for every "a²₃ = … = 0.62" in text."""
    for m in NAMED_VALUE.finditer(text):
        rest = text[m.end() :]
        chain = rest[: END_OF_CHAIN.search(rest).start()]
        last = chain.split(" = ")[-1].strip().rstrip(")")
        try:
            value = float(last.replace("−", "-"))
        except ValueError:
            continue
        kind, k, j = m.group(1), _number(m.group(2)), _number(m.group(3))
        yield m.group(1) + m.group(2) + m.group(3), kind, k, j, value


def traced_value(trace, kind: str, k: int, j: int) -> float:
    if kind == "a":
        return float(trace.activations[k][0, j])
    return float((trace.zs if kind == "z" else trace.deltas)[k - 1][0, j])


def every_label(stepper) -> list[str]:
    """The text of every label the stepper shows, at every step and for a neuron of every layer."""
    texts = []
    trace = stepper.trace
    for layer in range(trace.n_layers):
        stepper.select_neuron(layer, 1)
        for tab in (stepper.neuron_panel, stepper.wishes_panel, stepper.minibatch_panel, stepper.update_panel):
            stepper.tabs.setCurrentWidget(tab)
        n, w, m, u = stepper.neuron_panel, stepper.wishes_panel, stepper.minibatch_panel, stepper.update_panel
        texts += [n.title_label.text(), n.z_label.text(), n.delta_label.text(), n.gradient_label.text()]
        texts += [c.text for c in n.pictures.captions + u.pictures.captions]
        texts += [title.text for title in w.titles] + [w.caption.text()]
        texts += [m.caption.text(), u.cost_label.text(), u.caption.text()]
        table = m.table
        texts += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        texts += [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
        for i in range(len(trace)):
            stepper.go_to(i)
            texts += [stepper.formula_label.text(), stepper.description_label.text(), stepper.numbers_label.text()]
    return texts


@pytest.mark.parametrize(
    "sizes, output, cost",
    [((784, 16, 12, 10), "softmax", "cross-entropy"), ((784, 9, 10), "sigmoid", "quadratic")],
)
def test_no_label_uses_one_symbol_for_two_quantities(stepper, small_mnist, sizes, output, cost):
    net = Network(list(sizes), output=output, cost=cost, seed=1)
    load(stepper, net, small_mnist, i=8, batch=4)
    trace = stepper.trace
    texts = every_label(stepper)
    for text in texts:
        assert not BARE_SYMBOL.search(text), f"a symbol without its layer in: {text}"
    checked = set()
    for text in texts:
        for symbol, kind, k, j, shown in named_values(text):
            assert k <= trace.n_layers and j < trace.sizes[k], f"{symbol} names no neuron: {text}"
            value = traced_value(trace, kind, k, j)
            assert shown == pytest.approx(value, rel=6e-3, abs=6e-4), f"{symbol} is {value}, not as in: {text}"
            checked.add((kind, k))
    L = trace.n_layers
    assert {("a", L), ("z", 1), ("δ", L), ("δ", 1)} <= checked  # the output and a hidden layer both named
    # a strip's cell, hovered, names its number the same way
    stepper.last_step()
    for name, kind, k in (("a1", "a", 1), (f"a{L}", "a", L), (f"z{L}", "z", L), ("delta1", "δ", 1)):
        info = stepper.strips.describe_cell(name, 3)
        assert info.startswith(f"{kind}{str(k).translate(str.maketrans('0123456789', SUP))}₃ (layer {k} neuron 3")
        assert float(info.split(" = ")[-1].replace("−", "-")) == pytest.approx(
            traced_value(trace, kind, k, 3), rel=1e-3, abs=1e-5
        )


# -- with the session -------------------------------------------------------------------------
@pytest.fixture
def session(qtbot, small_mnist):
    """A Session on the small data set with an idle 784-16-12-10 trained on the thread."""
    controller = TrainingController(use_process=False)
    session = Session(controller)
    session.set_dataset(small_mnist, "embedded")
    net = Network([784, 16, 12, 10], output="softmax", seed=11)
    d = small_mnist
    controller.set_trainer(
        Trainer(net, d.x_train, d.y_train, d.x_test, d.y_test, TrainConfig(batch_size=10, seed=1, epochs=1000))
    )
    session.show_snapshot(controller.take_pending_snapshot())
    yield session
    controller.shutdown()


@pytest.fixture
def session_stepper(qtbot, session):
    widget = BackpropStepper(session=session)
    widget.resize(1300, 750)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.trace_again()
    return widget


def check_traces_the_sessions_sample(stepper, session) -> None:
    """The stepper traces session.sample, and its forward pass is the one every panel shows."""
    sample = session.sample
    assert stepper.example.sample is sample
    np.testing.assert_array_equal(stepper.trace.x[0], sample.x)
    assert stepper.example.description == sample.describe()
    assert sample.describe() in stepper.source_label.text()
    shown = SamplePass.compute(stepper.state.net, sample)
    for traced, expected in zip(stepper.trace.activations, shown.activations):
        np.testing.assert_allclose(traced[0], expected, rtol=1e-6, atol=1e-7)
    for traced, expected in zip(stepper.trace.zs, shown.zs):
        np.testing.assert_allclose(traced[0], expected, rtol=1e-6, atol=1e-7)


def test_the_stepper_traces_the_sample_the_session_chose(session_stepper, session, small_mnist):
    stepper = session_stepper
    check_traces_the_sessions_sample(stepper, session)  # test image #0, as the session starts
    for w_traced, w_shown in zip(stepper.state.net.weights, session.snapshot.network.weights):
        np.testing.assert_array_equal(w_traced, w_shown)  # the live network is the one shown (idle)

    session.choose_test_sample(7)
    check_traces_the_sessions_sample(stepper, session)
    assert stepper.example.test_index == 7 and stepper.target() == int(small_mnist.y_test[7])
    assert stepper.example_combo.currentData() == "test" and stepper.index_spin.value() == 7

    drawn = np.clip(small_mnist.x_test[3] * 1.3, 0, 1)
    session.use_drawing(drawn)
    check_traces_the_sessions_sample(stepper, session)
    assert stepper.example.label is None and stepper.example_combo.currentData() == "drawn"
    assert stepper.target() == SamplePass.compute(stepper.state.net, session.sample).predicted


def test_an_example_chosen_in_the_stepper_becomes_the_sessions_sample(session_stepper, session, small_mnist):
    stepper = session_stepper
    changes = []
    session.sample_changed.connect(lambda: changes.append(session.sample))
    stepper.example_combo.setCurrentIndex(stepper.example_combo.findData("test"))
    stepper.index_spin.setValue(42)
    assert session.sample.source == "test" and session.sample.index == 42
    np.testing.assert_array_equal(session.sample.x, small_mnist.x_test[42])
    check_traces_the_sessions_sample(stepper, session)
    assert len(changes) == 1  # one choice, one change, one trace

    drawn_item = stepper.example_combo.model().item(stepper.example_combo.findData("drawn"))
    assert not drawn_item.isEnabled()  # nothing drawn yet
    drawing = np.clip(small_mnist.x_test[9] * 0.8, 0, 1)
    session.set_drawing(drawing)  # drawn, not yet the current sample
    assert drawn_item.isEnabled() and session.sample.index == 42
    stepper.example_combo.setCurrentIndex(stepper.example_combo.findData("drawn"))
    assert session.sample.source == "drawing"
    np.testing.assert_array_equal(session.sample.x, drawing.astype(np.float32))
    check_traces_the_sessions_sample(stepper, session)


def test_a_hidden_stepper_catches_up_when_shown(session_stepper, session, small_mnist, qtbot):
    stepper = session_stepper
    stepper.hide()
    session.choose_test_sample(5)
    assert stepper.example.test_index == 0  # no work while hidden
    other = Network([784, 20, 10], output="softmax", seed=12)
    d = small_mnist
    session.controller.set_trainer(Trainer(other, d.x_train, d.y_train, d.x_test, d.y_test, TrainConfig(batch_size=4)))
    assert stepper.trace.sizes == (784, 16, 12, 10)
    stepper.show()
    qtbot.waitExposed(stepper)
    assert stepper.trace.sizes == (784, 20, 10)
    check_traces_the_sessions_sample(stepper, session)
    assert stepper.batch_spin.value() == 4  # the new trainer's mini-batches

    third = Network([784, 8, 10], output="softmax", seed=13)  # replaced while shown: traced at once
    session.controller.set_trainer(Trainer(third, d.x_train, d.y_train, d.x_test, d.y_test))
    assert stepper.trace.sizes == (784, 8, 10)
    check_traces_the_sessions_sample(stepper, session)


def test_the_selected_neuron_is_shared_with_the_session(session_stepper, session, qtbot):
    stepper = session_stepper
    session.select_neuron(1, 4)
    assert stepper.selected_neuron() == (1, 4)
    assert "layer 2 neuron 4" in stepper.neuron_panel.title_label.text()
    stepper.last_step()
    view = stepper.strips.graphics_view()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=stepper.strips.cell_widget_pos("delta1", 9))
    assert session.neuron == (0, 9) and stepper.selected_neuron() == (0, 9)
    session.choose_test_sample(2)  # a new trace keeps the neuron every panel shows
    assert stepper.selected_neuron() == (0, 9)


def test_the_mini_batch_is_the_traced_example_and_the_next_training_examples(session_stepper, session):
    stepper = session_stepper
    trainer = session.controller.trainer
    assert stepper.batch_spin.value() == trainer.config.batch_size == 10
    stepper.tabs.setCurrentWidget(stepper.minibatch_panel)
    stepper.select_neuron(1, 3)
    table = stepper.minibatch_panel.last
    x_next, _, labels_next = trainer.next_batch()
    x = np.vstack([session.sample.x[None, :], x_next[:9]])
    labels = np.concatenate([[stepper.target()], labels_next[:9]])
    np.testing.assert_array_equal(table.labels, labels)
    grad_w, grad_b = stepper.state.net.gradients(x, labels)[1]
    expected = [grad_w[p] if isinstance(p, tuple) else grad_b[p] for p in table.params]
    np.testing.assert_allclose(stepper.minibatch_panel.average_column(), expected, rtol=1e-5, atol=1e-8)
    panel = stepper.minibatch_panel
    heads = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    assert len(heads) == 10 + 2
    assert heads[2].startswith("test image #0") and all(h.startswith("next mini-batch #") for h in heads[3:])
    assert "training split" in panel.caption.text() and "mini-batches of 10" in panel.caption.text()


def test_the_live_network_pauses_training_and_the_moment_shown_does_not(session_stepper, session, qtbot):
    stepper, controller = session_stepper, session.controller
    controller.start()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step > 5, timeout=15_000)
    assert controller.state == "running"
    assert stepper.trace_again()  # the live network: training pauses first
    assert controller.state == "paused" and "training paused" in stepper.state.description
    with controller.locked_trainer() as trainer:
        for w, traced in zip(trainer.net.weights, stepper.trace.weights):
            np.testing.assert_array_equal(w, traced)
    check_traces_the_sessions_sample(stepper, session)

    controller.start()
    qtbot.waitUntil(lambda: controller.latest_snapshot.step > stepper_steps(stepper) + 5, timeout=15_000)
    session.show_snapshot(controller.latest_snapshot)
    shown = session.snapshot
    stepper.network_combo.setCurrentIndex(stepper.network_combo.findData("snapshot"))
    assert controller.state == "running" and "snapshot" in stepper.state.description
    for w, traced in zip(shown.network.weights, stepper.trace.weights):  # the moment every panel shows
        np.testing.assert_array_equal(w, traced)
    check_traces_the_sessions_sample(stepper, session)
    controller.pause()


def stepper_steps(stepper) -> int:
    """Mini-batches trained before the traced network, from its description."""
    return int(stepper.state.description.split(" after ")[1].split(" ")[0].replace(",", ""))


# -- in the main window -----------------------------------------------------------------------
def test_backprop_mode_pauses_live_training_and_keeps_its_keys(make_main_window, qtbot):
    window = make_main_window()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 20, timeout=5000)
    assert window.controller.state == "running"
    shown = [d for d in window.docks if d.isVisible()]
    assert window.surface_dock not in shown  # the playground's dock: digits do not show it

    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.in_backprop_mode() and window.stepper_dock.isVisible()
    assert window.controller.state == "paused"
    stepper = window.stepper
    trainer = window.controller.trainer
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.state == "paused", timeout=3000)
    steps = trainer.steps
    with window.controller.locked_trainer() as t:
        for w, traced in zip(t.net.weights, stepper.trace.weights):  # the live network, as paused
            np.testing.assert_array_equal(w, traced)
        assert stepper.state.eta == t.eta
    np.testing.assert_array_equal(stepper.trace.x[0], window.session.sample.x)

    # → steps the stepper while it has the focus, and trains nothing.
    stepper.setFocus()
    qtbot.waitUntil(lambda: stepper.hasFocus(), timeout=2000)
    qtbot.keyClick(stepper, Qt.Key.Key_Right)
    qtbot.keyClick(stepper, Qt.Key.Key_Right)
    assert stepper.current_index() == 2
    assert window.network_view.highlighted_layer() == (1, "forward")
    stepper.go_to(stepper.trace.index_of("delta1"))
    assert window.network_view.highlighted_layer() == (0, "backward")
    qtbot.wait(50)
    assert trainer.steps == steps

    # A neuron selected anywhere is selected in the stepper.
    window.session.select_neuron(1, 4)
    assert stepper.selected_neuron() == (1, 4)

    # The next test image is traced on the same (paused) network.
    window.sample_panel.next_sample()
    np.testing.assert_array_equal(stepper.trace.x[0], window.dataset.x_test[1])

    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert not window.in_backprop_mode() and not window.stepper_dock.isVisible()
    assert window.network_view.highlighted_layer() is None
    assert [d for d in window.docks if d.isVisible()] == shown


def test_backprop_mode_on_a_snapshot_lets_training_go_on(make_main_window, qtbot):
    window = make_main_window()
    window.stepper.network_combo.setCurrentIndex(1)  # Latest snapshot
    window.enter_backprop_mode()
    assert window.stepper.trace is not None
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.step > 5, timeout=5000)
    window.stepper.trace_again()
    assert window.controller.state == "running"
    assert "snapshot" in window.stepper.state.description
    window.leave_backprop_mode()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.state == "paused", timeout=3000)


def test_a_digit_made_the_current_sample_is_traced(make_main_window, qtbot):
    window = make_main_window()
    window.enter_backprop_mode()
    x = np.clip(window.dataset.x_test[7] * 1.2, 0, 1).astype(np.float32)
    window.session.use_drawing(x)
    stepper = window.stepper
    np.testing.assert_array_equal(stepper.trace.x[0], x)
    assert stepper.example.label is None and "your drawing" in stepper.source_label.text()
    assert stepper.target() == int(np.argmax(stepper.state.net.forward(x[None, :])))
    window.leave_backprop_mode()
