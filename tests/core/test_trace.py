"""The backprop trace: the same numbers as Network and Trainer, bit for bit, in the right order."""

import itertools

import numpy as np
import pytest
from numerical import numerical_gradients, relative_error

from visnet.core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from visnet.core.network import Network
from visnet.core.trace import (
    PHASES,
    all_wishes,
    format_equation,
    gradient_check,
    minibatch_table,
    neuron_equation,
    quantity,
    trace_backprop,
    wishes,
)
from visnet.core.training import TrainConfig, Trainer

HIDDEN = ("sigmoid", "relu", "tanh")
OUTPUT_COST = [
    ("softmax", "cross-entropy"),
    ("sigmoid", "cross-entropy"),
    ("sigmoid", "quadratic"),
    ("identity", "quadratic"),
]
COMBINATIONS = list(itertools.product(HIDDEN, OUTPUT_COST))


def small_net(hidden="sigmoid", output="softmax", cost="cross-entropy", dtype="float64", seed=3):
    return Network([5, 4, 3, 3], activations=hidden, output=output, cost=cost, init="normal", seed=seed, dtype=dtype)


def batch(n=4, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 5)), rng.integers(0, 3, n)


@pytest.fixture(scope="module")
def toy():
    """Three Gaussian clusters in 5 dimensions, 60 training and 20 test examples."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 2, (3, 5))
    labels = rng.integers(0, 3, 80)
    x = (centres[labels] + rng.normal(0, 0.7, (80, 5))).astype(np.float32)
    return x[:60], labels[:60], x[60:], labels[60:]


# -- the numbers --------------------------------------------------------------------------
@pytest.mark.parametrize(("hidden", "output_cost"), COMBINATIONS)
def test_trace_matches_network_gradients_and_finite_differences(hidden, output_cost):
    output, cost = output_cost
    net = small_net(hidden, output, cost)
    x, labels = batch()
    trace = trace_backprop(net, x, labels, eta=0.1)
    analytic = net.gradients(x, labels)
    num_w, num_b = numerical_gradients(net, x, labels)
    for l, (gw, gb) in enumerate(analytic):
        assert np.array_equal(trace.step(f"grad_w{l + 1}").result, gw)
        assert np.array_equal(trace.step(f"grad_b{l + 1}").result, gb)
        assert relative_error(trace.grad_w[l], num_w[l]) < 1e-6, f"layer {l} weights"
        assert relative_error(trace.grad_b[l], num_b[l]) < 1e-6, f"layer {l} biases"
    assert np.isfinite(trace.cost_after)


@pytest.mark.parametrize(("hidden", "output_cost"), COMBINATIONS)
def test_shown_values_are_forward_cache_and_backward_values(hidden, output_cost):
    output, cost = output_cost
    net = small_net(hidden, output, cost, dtype="float32")
    x, labels = batch()
    cache = net.forward_cache(x)
    back = net.backward(cache, labels)
    trace = trace_backprop(net, x, labels, eta=0.1)
    for l in range(net.n_layers):
        assert np.array_equal(trace.step(f"z{l + 1}").result, cache.zs[l])
        assert np.array_equal(trace.step(f"a{l + 1}").result, cache.activations[l + 1])
        assert np.array_equal(trace.step(f"delta{l + 1}").result, back.deltas[l])
    assert np.array_equal(trace.x, cache.activations[0])
    assert trace.cost_before == back.cost == float(trace.step("C").result)
    # The inputs of a step are the results of the steps before it.
    assert trace.step("z2").inputs["a1"] is trace.step("a1").result
    assert trace.step("delta1").inputs["delta2"] is trace.step("delta2").result


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
def test_every_activation_and_cost_traces_the_network_gradients(hidden):
    x, labels = batch()
    for output, cost in [(o, "quadratic") for o in OUTPUT_ACTIVATIONS] + OUTPUT_COST[:2]:
        net = small_net(hidden, output, cost, dtype="float32")
        trace = trace_backprop(net, x, labels, eta=0.1, momentum=0.5, lmbda=1e-3)
        back = net.backward(net.forward_cache(x), labels)
        for l in range(net.n_layers):
            assert np.array_equal(trace.grad_w[l], back.grad_w[l]) and np.array_equal(trace.deltas[l], back.deltas[l])
            for kind in ("z", "delta"):
                assert format_equation(neuron_equation(trace, l, 0, kind))


def test_trace_does_not_modify_the_network_and_its_arrays_are_read_only():
    net = small_net(dtype="float32")
    before = [p.copy() for p in net.weights + net.biases]
    x, labels = batch()
    velocity_w = [np.ones_like(w) for w in net.weights]
    trace = trace_backprop(net, x, labels, eta=0.5, momentum=0.9, lmbda=0.01, velocity_w=velocity_w)
    for p, q in zip(net.weights + net.biases, before):
        assert np.array_equal(p, q)
    assert all(np.all(v == 1) for v in velocity_w)
    for step in trace:
        assert not step.result.flags.writeable
        assert all(not a.flags.writeable for a in step.inputs.values())
        with pytest.raises(TypeError):
            step.inputs["new"] = np.zeros(1)  # type: ignore[index]
    assert not trace.new_weights[0].flags.writeable and not trace.x.flags.writeable


# -- the crucial property: the same update as Trainer.step ----------------------------------
@pytest.mark.parametrize(("momentum", "lmbda"), [(0.0, 0.0), (0.9, 0.0), (0.0, 1e-3), (0.9, 1e-3)])
@pytest.mark.parametrize("schedule", ["constant", "exponential"])
def test_update_is_bit_identical_to_one_trainer_step(toy, momentum, lmbda, schedule):
    net = Network([5, 6, 4, 3], activations="relu", seed=2)  # float32
    config = TrainConfig(eta=0.3, momentum=momentum, lmbda=lmbda, batch_size=7, seed=5, schedule=schedule, gamma=0.3)
    trainer = Trainer(net, *toy, config)
    for before_step in (0, 11):  # the first step, and one later, across an epoch boundary, with velocity
        while trainer.steps < before_step:
            trainer.step()
        x, y, labels = trainer.next_batch()
        trace = trace_backprop(net, x, y, trainer.eta, config.momentum, config.lmbda, *trainer.velocities)
        assert np.array_equal(trace.labels, labels)
        result = trainer.step()
        assert trace.cost_before == result.loss
        for l in range(net.n_layers):
            assert np.array_equal(trace.new_weights[l], net.weights[l]), f"step {before_step}, layer {l} weights"
            assert np.array_equal(trace.new_biases[l], net.biases[l]), f"step {before_step}, layer {l} biases"
            assert np.array_equal(trace.step(f"update_w{l + 1}").result, net.weights[l])
            assert np.array_equal(trace.new_velocity_w[l], trainer.velocities[0][l])
            assert np.array_equal(trace.new_velocity_b[l], trainer.velocities[1][l])
            assert np.array_equal(trace.grad_w[l], trainer.last_gradients[0][l])
        assert trace.cost_after == net.cost_of(x, labels)


def test_cost_falls_after_a_small_step_on_one_example():
    net = small_net(dtype="float32")
    x, labels = batch(1)
    trace = trace_backprop(net, x[0], int(labels[0]), eta=0.05)
    assert trace.batch_size == 1
    assert trace.cost_after < trace.cost_before
    assert float(trace.step("C_after").result) == trace.cost_after


def test_one_hot_targets_and_labels_give_the_same_trace():
    net = small_net()
    x, labels = batch()
    a = trace_backprop(net, x, labels, eta=0.1)
    b = trace_backprop(net, x, np.eye(3)[labels], eta=0.1)
    assert np.array_equal(a.labels, b.labels)
    assert all(np.array_equal(s.result, t.result) for s, t in zip(a, b))


# -- order and look-ups -----------------------------------------------------------------------
def expected_names(L, momentum):
    names = [n for l in range(1, L + 1) for n in (f"z{l}", f"a{l}")]
    names += ["C"] + [f"delta{l}" for l in range(L, 0, -1)]
    names += [n for l in range(L, 0, -1) for n in (f"grad_w{l}", f"grad_b{l}")]
    for l in range(1, L + 1):
        for p in ("w", "b"):
            names += ([f"velocity_{p}{l}"] if momentum else []) + [f"update_{p}{l}"]
    return names + ["C_after"]


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_steps_come_in_backprop_order(momentum):
    net = small_net()
    x, labels = batch()
    trace = trace_backprop(net, x, labels, eta=0.1, momentum=momentum)
    assert list(trace.names) == expected_names(3, momentum)
    phases = [s.phase for s in trace]
    assert phases == sorted(phases, key=PHASES.index)  # each phase is one contiguous block
    assert [s.name for s in trace.phase_steps("backward")] == ["delta3", "delta2", "delta1"]
    assert trace.phase_steps("cost")[0].name == "C" and trace.steps[-1].name == "C_after"
    assert trace.index_of("delta3") == trace.index_of("C") + 1
    assert trace.step("z2").layer == 1 and trace.step("C").layer is None
    assert trace.step("z2").formula == "z² = W²a¹ + b²"
    assert trace.array("sigma_prime1") is trace.step("delta1").inputs["sigma_prime1"]
    assert trace.array("a2") is trace.step("a2").result
    with pytest.raises(KeyError):
        trace.step("z9")
    with pytest.raises(ValueError):
        trace.phase_steps("sideways")


@pytest.mark.parametrize(
    ("output", "cost", "formula"),
    [
        ("softmax", "cross-entropy", "δ³ = a³ − y"),
        ("sigmoid", "cross-entropy", "δ³ = a³ − y"),
        ("sigmoid", "quadratic", "δ³ = (a³ − y) ⊙ σ′(z³)"),
        ("identity", "quadratic", "δ³ = a³ − y"),
        ("softmax", "quadratic", "δ³ = a³ ⊙ (g − (g·a³)),  g = a³ − y"),
    ],
)
def test_output_error_formula_follows_the_cost(output, cost, formula):
    trace = trace_backprop(small_net("tanh", output, cost), *batch(), eta=0.1)
    assert trace.step("delta3").formula == formula


# -- the stepper's helpers ------------------------------------------------------------------
@pytest.mark.parametrize(("hidden", "output_cost"), COMBINATIONS)
def test_neuron_equations_add_up(hidden, output_cost):
    output, cost = output_cost
    trace = trace_backprop(small_net(hidden, output, cost), *batch(), eta=0.1)
    for layer in range(3):
        for j in range(trace.sizes[layer + 1]):
            eq = neuron_equation(trace, layer, j, "z", example=2, top=2)
            assert eq.total + eq.bias == pytest.approx(eq.value, abs=1e-12)
            assert eq.rest + eq.products.sum() == pytest.approx(eq.total, abs=1e-12)
            assert eq.n_terms == trace.sizes[layer] and len(eq.indices) == min(2, eq.n_terms)
            assert np.all(np.diff(np.abs(eq.products)) <= 0)
            d = neuron_equation(trace, layer, j, "delta", example=2, top=None)
            factor = 1.0 if d.factor is None else d.factor
            assert d.total * factor == pytest.approx(d.value, abs=1e-12)
            assert format_equation(d).startswith(f"{quantity('δ', layer + 1, j)} = ")
            assert format_equation(eq).startswith(f"{quantity('z', layer + 1, j)} = ")


def test_format_equation_reads_like_the_maths():
    trace = trace_backprop(small_net("sigmoid"), *batch(), eta=0.1)
    eq = neuron_equation(trace, 0, 1, "delta", top=2)
    text = format_equation(eq)
    assert text.startswith("δ¹₁ = (") and ") · " in text and text.count("·") == 3  # two terms and σ'
    assert "…" in text  # layer 2 has three neurons: the third is left out
    assert "…" not in format_equation(neuron_equation(trace, 0, 1, "delta", top=None))
    eq = neuron_equation(trace, 0, 1, "z", top=2)
    assert "…" in format_equation(eq) and "from 3 more" in format_equation(eq, show_rest=True)
    out = neuron_equation(trace, 2, trace.labels[0], "delta")
    assert format_equation(out).endswith(f"= {format_equation(out).split(' = ')[-1]}")
    assert " − 1.00 = " in format_equation(out)


def test_all_wishes_sum_to_w_transpose_delta():
    trace = trace_backprop(small_net("sigmoid"), *batch(), eta=0.1)
    for layer in range(3):
        for example in (0, 3):
            w = all_wishes(trace, layer, example)
            expected = trace.weights[layer].T @ trace.deltas[layer][example]
            np.testing.assert_allclose(w.contributions.sum(axis=0), expected, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(w.total, expected, rtol=1e-12, atol=1e-15)
            np.testing.assert_array_equal(w.total_nudge, -w.total)
            if layer > 0:  # times σ' it is the previous layer's δ, exactly as backward computes it
                np.testing.assert_array_equal(w.delta_prev, trace.deltas[layer - 1][example])
            else:
                assert w.delta_prev is None
            for j in range(trace.sizes[layer + 1]):
                one = wishes(trace, layer, j, example)
                np.testing.assert_array_equal(one.contributions, w.contributions[j])
                assert abs(one.contributions[one.order[0]]) == np.abs(one.contributions).max()
        mean = all_wishes(trace, layer)
        np.testing.assert_allclose(mean.total, (trace.deltas[layer] @ trace.weights[layer]).mean(axis=0))
        np.testing.assert_allclose(mean.contributions.sum(axis=0), mean.total, rtol=1e-12, atol=1e-15)
        if layer > 0:
            np.testing.assert_allclose(mean.delta_prev, trace.deltas[layer - 1].mean(axis=0), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_minibatch_table_average_is_the_batch_gradient(dtype):
    net = small_net("tanh", dtype=dtype)
    x, labels = batch(6)
    params = [(0, 1), (2, 3), 1, (3, 4), 0]
    table = minibatch_table(net, x, labels, 0, params)
    assert table.per_example.shape == (5, 6) and table.names[:3] == ("w¹₀,₁", "w¹₂,₃", "b¹₁")
    grad_w, grad_b = net.gradients(x, labels)[0]
    expected = [grad_w[0, 1], grad_w[2, 3], grad_b[1], grad_w[3, 4], grad_b[0]]
    tol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(table.average, expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(table.average, table.batch_gradient, rtol=tol, atol=tol)
    np.testing.assert_array_equal(table.labels, labels)


@pytest.mark.parametrize(("hidden", "output_cost"), COMBINATIONS)
def test_gradient_check_agrees_in_float64(hidden, output_cost):
    output, cost = output_cost
    net = small_net(hidden, output, cost)
    x, labels = batch()
    before = [p.copy() for p in net.weights + net.biases]
    for layer, i, j, param in [(0, 1, 2, "w"), (1, 2, 0, "w"), (2, 0, 1, "w"), (0, 3, None, "b"), (2, 1, None, "b")]:
        check = gradient_check(net, x, labels, layer, i, j, param)
        if check.analytic == 0 and check.numeric == 0:  # a dead ReLU: no gradient either way
            continue
        assert check.relative_difference < 1e-6, check
    for p, q in zip(net.weights + net.biases, before):
        assert np.array_equal(p, q)


def test_gradient_check_on_a_float32_network_works_in_float64():
    net = small_net(dtype="float32")
    check = gradient_check(net, *batch(), layer=1, i=0, j=1)
    assert check.relative_difference < 1e-6
    with pytest.raises(ValueError):
        gradient_check(net, *batch(), layer=1, i=0)  # a weight needs j
    with pytest.raises(IndexError):
        gradient_check(net, *batch(), layer=5, i=0, j=0)


# -- one output neuron: two classes, targets as a column ------------------------------------
@pytest.fixture(scope="module")
def two_classes():
    """Two Gaussian clusters in 5 dimensions, labels 0 and 1: 60 training, 20 test examples."""
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 80)
    x = (np.where(labels[:, None] == 1, 1.0, -1.0) + rng.normal(0, 1.0, (80, 5))).astype(np.float32)
    return x[:60], labels[:60], x[60:], labels[60:]


SINGLE_OUTPUT = [
    ("sigmoid", "cross-entropy"),
    ("sigmoid", "quadratic"),
    ("tanh", "quadratic"),
    ("identity", "quadratic"),
    ("relu", "quadratic"),
]


@pytest.mark.parametrize(("output", "cost"), SINGLE_OUTPUT)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_one_output_update_is_bit_identical_to_one_trainer_step(two_classes, output, cost, momentum):
    net = Network([5, 6, 4, 1], activations="tanh", output=output, cost=cost, seed=2)  # float32
    config = TrainConfig(eta=0.1, momentum=momentum, lmbda=1e-3, batch_size=7, seed=5)
    trainer = Trainer(net, *two_classes, config)
    for before_step in (0, 11):  # the first step, and one later, across an epoch boundary
        while trainer.steps < before_step:
            trainer.step()
        x, y, labels = trainer.next_batch()
        assert y.shape == (len(x), 1)
        trace = trace_backprop(net, x, y, trainer.eta, config.momentum, config.lmbda, *trainer.velocities)
        assert np.array_equal(trace.labels, labels)  # read back from the targets
        assert np.array_equal(trace.y, trace_backprop(net, x, labels, 0.1).y)  # labels give the same targets
        result = trainer.step()
        assert trace.cost_before == result.loss
        for l in range(net.n_layers):
            assert np.array_equal(trace.new_weights[l], net.weights[l]), f"step {before_step}, layer {l} weights"
            assert np.array_equal(trace.new_biases[l], net.biases[l]), f"step {before_step}, layer {l} biases"
            assert np.array_equal(trace.new_velocity_w[l], trainer.velocities[0][l])
            assert np.array_equal(trace.grad_w[l], trainer.last_gradients[0][l])
        assert trace.cost_after == net.cost_of(x, labels)


@pytest.mark.parametrize(("output", "cost"), SINGLE_OUTPUT)
def test_one_output_trace_matches_finite_differences_and_its_equations_add_up(output, cost):
    net = Network([5, 4, 3, 1], activations="sigmoid", output=output, cost=cost, init="normal", seed=3, dtype="float64")
    net.biases[-1] += 1.0  # keep a ReLU output alive
    x, _ = batch()
    labels = np.array([1, 0, 0, 1])
    trace = trace_backprop(net, x, labels, eta=0.1)
    num_w, num_b = numerical_gradients(net, x, labels)
    for l in range(net.n_layers):
        assert relative_error(trace.grad_w[l], num_w[l]) < 1e-6, f"layer {l} weights"
        assert relative_error(trace.grad_b[l], num_b[l]) < 1e-6, f"layer {l} biases"
    low = -1.0 if output in ("tanh", "identity") else 0.0
    np.testing.assert_array_equal(trace.y[:, 0], np.where(labels == 1, 1.0, low))
    for example in range(4):
        d = neuron_equation(trace, 2, 0, "delta", example=example)
        assert d.target == trace.y[example, 0]
        factor = 1.0 if d.factor is None else d.factor
        assert d.total * factor == pytest.approx(d.value, abs=1e-12)
    assert gradient_check(net, x, labels, 0, 1, 2).relative_difference < 1e-6
    table = minibatch_table(net, x, labels, 2, [(0, 1), 0])
    np.testing.assert_allclose(table.average, table.batch_gradient, rtol=1e-12)


def test_one_output_labels_outside_0_1_are_refused():
    net = Network([5, 3, 1], output="sigmoid")
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        trace_backprop(net, *batch(), eta=0.1)  # batch() has labels 0..2


def test_every_neuron_quantity_names_its_layer_and_neuron():
    """One symbol, one number: a²₈ is layer 2's neuron 8 and never the output's or layer 1's."""
    assert quantity("a", 2, 8) == "a²₈" and quantity("w", 3, 12, 4) == "w³₁₂,₄" and quantity("a", 1, "i") == "a¹ᵢ"
    trace = trace_backprop(small_net("sigmoid", "softmax", "quadratic"), *batch(), eta=0.1)
    for layer in range(3):
        k = layer + 1
        z = neuron_equation(trace, layer, 1, "z")
        assert z.formula == f"z{_sup(k)}₁ = Σᵢ w{_sup(k)}₁,ᵢ a{_sup(layer)}ᵢ + b{_sup(k)}₁"
        d = neuron_equation(trace, layer, 1, "delta")
        assert d.formula.startswith(f"δ{_sup(k)}₁ = ")
        if layer < 2:
            assert f"w{_sup(k + 1)}ₖ,₁ δ{_sup(k + 1)}ₖ" in d.formula
    table = minibatch_table(small_net("sigmoid"), batch()[0], batch()[1], 1, [(2, 0), 2])
    assert table.names == ("w²₂,₀", "b²₂")


def _sup(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
