"""Small playground networks and snapshots for the panel tests: one output neuron, a
perceptron, points (x1, x2, features) as inputs, with outputs set to chosen values."""

from __future__ import annotations

import math

from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.training import TrainConfig, Trainer
from visnet.data.toy2d import make_toy2d


def toy(features=(), name="xor", n_points=120, seed=0):
    """A small playground Dataset: (n, 2 + len(features)) inputs, classes "0" and "1"."""
    return make_toy2d(name, n_points=n_points, noise=0.2, seed=seed).as_dataset(features)


def constant_net(n_in: int, a: float, output: str = "sigmoid", hidden: int | None = 3) -> Network:
    """A network whose single output is `a` for every input: zero weights into the output,
    its bias set so that output(bias) = a (hidden layers, if any, are random but unused)."""
    cost = "cross-entropy" if output == "sigmoid" else "quadratic"
    sizes = [n_in, 1] if hidden is None else [n_in, hidden, 1]
    net = Network(sizes, "tanh", output=output, cost=cost, seed=0)
    net.weights[-1][:] = 0
    z = {"sigmoid": lambda v: math.log(v / (1 - v)), "tanh": math.atanh, "identity": lambda v: v}[output](a)
    net.biases[-1][:] = z
    return net


def snapshot_of(net: Network, data, steps: int = 0, rule: str = "backprop", state: str = "paused"):
    trainer = Trainer(
        net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.1, batch_size=10, rule=rule)
    )
    for _ in range(steps):
        trainer.step()
    if steps:
        trainer.evaluate()
    return take_snapshot(trainer, state=state)


def trained(data, hidden=(4,), output="sigmoid", steps=60):
    cost = "cross-entropy" if output == "sigmoid" else "quadratic"
    net = Network([data.n_inputs, *hidden, 1], "tanh", output=output, cost=cost, seed=0)
    return net, snapshot_of(net, data, steps)


def perceptron(data, steps=30):
    net = Network([data.n_inputs, 1], output="step", cost="quadratic", seed=0)
    return net, snapshot_of(net, data, steps, rule="perceptron")
