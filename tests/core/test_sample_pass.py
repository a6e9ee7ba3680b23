import numpy as np
import pytest

from visnet.core.edits import EditHistory
from visnet.core.network import Network
from visnet.core.sample_pass import Sample, SamplePass, silent_neurons


def _net(seed=0):
    return Network([6, 5, 4, 3], activations="sigmoid", output="softmax", cost="cross-entropy", seed=seed)


def test_the_pass_equals_the_networks_forward_pass():
    net = _net()
    x = np.random.default_rng(1).random(6).astype(np.float32)
    p = SamplePass.compute(net, Sample.test(x, 2, index=7))
    cache = net.forward_cache(x.reshape(1, -1))
    for a, expected in zip(p.activations, cache.activations):
        np.testing.assert_array_equal(a, expected[0])
    for z, expected in zip(p.zs, cache.zs):
        np.testing.assert_array_equal(z, expected[0])
    assert p.predicted == int(np.argmax(cache.output[0]))
    assert p.correct == (p.predicted == 2)
    assert not p.output.flags.writeable


def test_a_switched_off_neuron_reads_zero_and_the_output_ignores_it():
    net = _net()
    x = np.random.default_rng(2).random(6).astype(np.float32)
    EditHistory(net).ablate(0, 3)
    p = SamplePass.compute(net, Sample.drawing(x))
    assert p.activations[1][3] == 0.0
    assert silent_neurons(net)[1].tolist() == [False, False, False, True, False]
    # The next layer receives exactly what the zeroed activation gives it.
    z2 = net.weights[1] @ p.activations[1] + net.biases[1]
    np.testing.assert_allclose(p.zs[1], z2, rtol=1e-6)
    assert p.correct is None


def test_samples_say_where_they_come_from_and_refuse_a_wrong_shape():
    x = np.zeros(6, np.float32)
    assert Sample.test(x, 1, 12).describe() == "test image #12"
    assert Sample.drawing(x).describe() == "your drawing"
    assert Sample.point(np.array([0.5, -1.2])).describe() == "the point (0.50, -1.20)"
    with pytest.raises(ValueError):
        Sample(x, None, "test")
    with pytest.raises(ValueError, match="inputs"):
        SamplePass.compute(_net(), Sample.drawing(np.zeros(5)))
