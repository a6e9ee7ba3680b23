"""The backprop stepper with playground networks: one output neuron (its target, cost and
predicted class by threshold), points named x₁, x₂, ..., and the perceptron, which has no
gradients to trace."""

import numpy as np
import pytest
from playground_nets import constant_net, toy

from visnet.app.panels.stepper import BackpropStepper, Example, NetworkState
from visnet.app.session import Session
from visnet.app.training.controller import TrainingController
from visnet.core.network import Network
from visnet.core.sample_pass import SamplePass
from visnet.core.targets import class_targets
from visnet.core.training import TrainConfig, Trainer, perceptron_rule


@pytest.fixture
def stepper(qtbot):
    widget = BackpropStepper()
    widget.resize(1200, 650)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def load(stepper, net, data, i=0, batch=8, label="data", target=None, eta=0.5):
    x, y = data.x_test, data.y_test
    stepper.batch_spin.setValue(batch)
    example_label = int(y[i]) if label == "data" else label
    stepper.show_problem(
        NetworkState(net, eta),
        Example(x[i], example_label, f"test point {i}", i),
        target=target,
        batch=(x[i : i + batch], y[i : i + batch]),
        class_names=data.class_names,
    )


@pytest.mark.parametrize("output, cost", [("sigmoid", "cross-entropy"), ("tanh", "quadratic")])
def test_every_step_and_tab_of_a_one_output_network(stepper, output, cost):
    data = toy(features=("x1_x2",))
    net = Network([3, 4, 1], "tanh", output=output, cost=cost, seed=1)
    load(stepper, net, data, i=2)
    trace = stepper.trace
    assert trace is not None and trace.sizes == (3, 4, 1)
    label = int(data.y_test[2])
    np.testing.assert_array_equal(trace.y, class_targets(np.array([label]), 1, output))  # 0/1 or −1/+1
    assert stepper.selected_neuron() == (1, 0)  # the single output neuron, whatever the target class
    for tab in (stepper.neuron_panel, stepper.wishes_panel, stepper.minibatch_panel, stepper.update_panel):
        stepper.tabs.setCurrentWidget(tab)
        for i in range(len(trace)):
            stepper.go_to(i)
            assert stepper.numbers_label.text()
    # the mini-batch table's average is the batch gradient with one-output targets
    x, y = data.x_test[2:10], data.y_test[2:10]
    stepper.tabs.setCurrentWidget(stepper.minibatch_panel)
    stepper.select_neuron(0, 1)
    table = stepper.minibatch_panel.last
    grad_w, grad_b = net.gradients(x, y)[0]
    expected = [grad_w[p] if isinstance(p, tuple) else grad_b[p] for p in table.params]
    np.testing.assert_allclose(stepper.minibatch_panel.average_column(), expected, rtol=1e-5, atol=1e-8)
    stepper.select_neuron(1, 0)
    rule = "“class 1 if a²₀ > " + ("0.5" if output == "sigmoid" else "0") + "”"
    assert f"output neuron 0 {rule}" in stepper.neuron_panel.title_label.text()


@pytest.mark.parametrize(
    "output, a, expected", [("sigmoid", 0.7, 1), ("sigmoid", 0.3, 0), ("tanh", 0.2, 1), ("tanh", -0.2, 0)]
)
def test_an_unlabelled_example_trains_towards_the_class_the_threshold_gives(stepper, output, a, expected):
    data = toy()
    load(stepper, constant_net(2, a, output), data, label=None)
    assert stepper.target() == expected  # argmax of one output would always say 0
    stepper.go_to(stepper.trace.index_of("C"))
    text = stepper.numbers_label.text()
    assert f"the network says class “{expected}”" in text and text.endswith("right")


def test_the_cost_step_of_a_single_sigmoid_output(stepper):
    data = toy()
    load(stepper, constant_net(2, 0.3), data, label=1, target=1)
    stepper.go_to(stepper.trace.index_of("C"))
    text = stepper.numbers_label.text()
    assert "−ln a²₀ = −ln(0.3)" in text and "says class “0”" in text and text.endswith("wrong")
    assert stepper.trace.cost_before == pytest.approx(-np.log(0.3), rel=1e-5)
    load(stepper, constant_net(2, 0.3), data, label=0, target=0)
    stepper.go_to(stepper.trace.index_of("C"))
    assert "−ln(1 − a²₀) = −ln(1 − 0.3)" in stepper.numbers_label.text()
    stepper.tabs.setCurrentWidget(stepper.update_panel)
    assert "output a²₀ (class 1 if a²₀ > 0.5; target class 0)" in stepper.update_panel.cost_label.text()


def test_a_points_inputs_are_named_and_drawn_as_bars(stepper):
    data = toy(features=("x1_sq", "sin_x2"))
    net = Network([4, 3, 1], "tanh", output="sigmoid", seed=0)
    load(stepper, net, data, i=1)
    assert stepper.input_labels() == ("x₁", "x₂", "input 3", "input 4")  # the features are the window's to say
    stepper.set_features(("x1_sq", "sin_x2"))  # as the window does for a playground set
    load(stepper, net, data, i=1)
    assert stepper.input_labels() == ("x₁", "x₂", "x₁²", "sin x₂")
    assert stepper.strips.describe_cell("a0", 3).startswith("a⁰₃ sin x₂ = ")
    pictures = stepper.neuron_panel.pictures
    assert len(pictures.bars) == 3 and not pictures.images  # bars, not 1x4 pictures
    ticks = pictures.plots[0].getAxis("bottom")._tickLevels[0]
    assert [t for _, t in ticks] == ["x₁", "x₂", "x₁²", "sin x₂"]
    np.testing.assert_allclose(pictures.bars[0].opts["height"], data.x_test[1])
    lo, hi, _, _ = stepper.strips._levels(stepper.strips._strips["a0"], stepper.trace)
    assert lo < 0 and hi >= np.abs(data.x_test[1]).max()  # coordinates, not gray levels clipped to 0..1
    stepper.set_features(None)  # back to the digits: no names to give
    load(stepper, net, data, i=2)
    assert stepper.input_labels() == ("x₁", "x₂", "input 3", "input 4")


@pytest.mark.parametrize("flip", [False, True])
def test_the_perceptron_gets_its_rule_not_a_trace(stepper, flip):
    data = toy(name="blobs")
    net = Network([2, 1], output="step", cost="quadratic", seed=0)
    x = data.x_test[5]
    y_hat = int(net.forward(x[None, :])[0, 0])
    target = 1 - y_hat if flip else y_hat
    load(stepper, net, data, i=5, label=target, eta=0.25)
    assert stepper.showing_perceptron() and stepper.trace is None
    text = stepper.message()
    assert "The perceptron has no gradients" in text and "w ← w + η (y − ŷ) x" in text
    assert f"ŷ = step(z) = {y_hat}, target y = {target}" in text
    back = perceptron_rule(net, x[None, :], np.array([target]))
    dw = -0.25 * back.grad_w[0][0]
    if flip:
        assert "wrong, so w changes by η (y − ŷ) x = (" in text
        shown = text.split("x = (")[1].split(")")[0].replace("−", "-").split(", ")
        np.testing.assert_allclose([float(v) for v in shown], dw, rtol=5e-3)
    else:
        assert "right, so the rule changes nothing" in text and not dw.any()
    assert not stepper.next_button.isEnabled() and stepper.splitter.isHidden()
    # a network with gradients afterwards is traced again
    load(stepper, Network([2, 3, 1], "tanh", output="sigmoid", seed=0), data)
    assert stepper.trace is not None and not stepper.showing_perceptron() and stepper.message() == ""


def test_a_point_clicked_on_the_plane_is_traced_with_the_sessions_features(qtbot):
    data = toy(features=("x1_sq", "sin_x2"))
    controller = TrainingController(use_process=False)
    session = Session(controller)
    session.set_dataset(data, "xor", features=("x1_sq", "sin_x2"))
    net = Network([4, 3, 1], "tanh", output="sigmoid", seed=0)
    controller.set_trainer(
        Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(batch_size=5))
    )
    session.show_snapshot(controller.take_pending_snapshot())
    stepper = BackpropStepper(session=session)
    qtbot.addWidget(stepper)
    stepper.show()
    qtbot.waitExposed(stepper)
    assert stepper.trace_again()
    x = np.array([0.5, -1.2, 0.25, np.sin(-1.2)], np.float32)
    session.use_point(x)
    assert stepper.example.sample is session.sample and stepper.example_combo.currentData() == "current"
    np.testing.assert_array_equal(stepper.trace.x[0], x)
    assert stepper.input_labels() == ("x₁", "x₂", "x₁²", "sin x₂")  # the session's features, no window relay
    assert stepper.target() == SamplePass.compute(stepper.state.net, session.sample).predicted
    assert stepper.batch_spin.value() == 5
    controller.shutdown()
