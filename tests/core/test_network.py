import numpy as np
import pytest

from visnet.core.activations import sigmoid, softmax
from visnet.core.network import INITS, Network


def test_parameter_count_of_the_3b1b_network():
    assert Network([784, 16, 16, 10]).n_params == 13_002
    assert Network([784, 30, 10]).n_params == 23_860


def test_shapes_follow_the_row_per_neuron_convention():
    net = Network([784, 16, 16, 10])
    assert [w.shape for w in net.weights] == [(16, 784), (16, 16), (10, 16)]
    assert [b.shape for b in net.biases] == [(16,), (16,), (10,)]
    assert all(w.dtype == np.float32 for w in net.weights)
    assert Network([3, 2], dtype="float64").weights[0].dtype == np.float64


def test_forward_equals_the_formula_and_cache_names_every_layer():
    net = Network([4, 3, 2], activations="sigmoid", output="softmax", dtype="float64", seed=5)
    x = np.random.default_rng(0).normal(size=(6, 4))
    a1 = sigmoid(x @ net.weights[0].T + net.biases[0])
    a2 = softmax(a1 @ net.weights[1].T + net.biases[1])
    np.testing.assert_allclose(net.forward(x), a2)
    cache = net.forward_cache(x)
    assert len(cache.zs) == 2 and len(cache.activations) == 3
    np.testing.assert_array_equal(cache.activations[0], x)
    np.testing.assert_allclose(cache.activations[1], a1)
    np.testing.assert_allclose(net.predict(x), np.argmax(a2, axis=1))


def test_same_seed_same_parameters_and_every_init_draws():
    for init in INITS:
        a, b = Network([10, 5, 3], init=init, seed=7), Network([10, 5, 3], init=init, seed=7)
        for wa, wb in zip(a.weights, b.weights):
            np.testing.assert_array_equal(wa, wb)
    he = Network([1000, 100], init="he", seed=0).weights[0]
    assert abs(he.std() - np.sqrt(2 / 1000)) < 0.002
    normal = Network([400, 50], init="normal", seed=0)
    assert abs(normal.weights[0].std() - 0.05) < 0.003 and abs(normal.biases[0].std() - 1) < 0.3
    assert not Network([4, 3], init="zeros").weights[0].any()


def test_invalid_configurations_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="cross-entropy"):
        Network([4, 2], output="tanh", cost="cross-entropy")
    with pytest.raises(ValueError, match="output layer"):
        Network([4, 3, 2], activations=["softmax"])
    with pytest.raises(ValueError, match="unknown activation"):
        Network([4, 2], activations="swish")
    with pytest.raises(ValueError, match="unknown init"):
        Network([4, 2], init="orthogonal")
    with pytest.raises(ValueError, match=r"\(batch, 4\)"):
        Network([4, 2]).forward(np.zeros((3, 5)))


def test_from_params_checks_the_chain():
    w = [np.zeros((3, 4)), np.zeros((2, 3))]
    b = [np.zeros(3), np.zeros(2)]
    net = Network.from_params(w, b, ["relu", "softmax"])
    assert net.sizes == (4, 3, 2)
    with pytest.raises(ValueError, match="chain"):
        Network.from_params([np.zeros((3, 4)), np.zeros((2, 5))], b, ["relu", "softmax"])


def test_stable_functions_raise_no_warnings():
    z = np.array([[-1000.0, 0.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(sigmoid(z)).all()
        assert np.isfinite(softmax(z)).all()
        net = Network([3, 3], output="softmax", dtype="float64")
        net.weights[0][...] = np.eye(3) * 1e4
        net.cost_of(z, np.array([0]))
