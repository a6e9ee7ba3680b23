"""Class labels ↔ what the output layer should show: targets, thresholds and predictions.

The one place that decides how a label becomes a target and an output becomes a class.

Several output neurons (n_out >= 2): one neuron per class. Label k's target is the one-hot
row e_k, and the predicted class is the brightest output (argmax).

One output neuron (n_out == 1): two classes, 0 and 1, as in TensorFlow Playground. The
target is one number per example (a (batch, 1) column) and the network predicts class 1
exactly where the output a > threshold, the midpoint of the two targets:

    output activation                  class 0   class 1   threshold
    sigmoid, relu, leaky_relu, step       0         1         0.5
    tanh, identity                       −1        +1         0

tanh and identity take −1/+1 because their range is symmetric about 0: with 0/1 targets a
tanh output would be trained to sit exactly on its own boundary a = 0 for every example of
class 0. A sigmoid output's 0/1 targets make binary cross-entropy the usual
−[y ln a + (1 − y) ln(1 − a)] with δ = a − y. A softmax over one output is always 1, so a
softmax output needs at least two neurons (check_output refuses it).

Functions that need to know the output activation take `net_or_output`: a Network, a
Snapshot (anything with .activations, the output's last), an Activation or its name.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SYMMETRIC_OUTPUTS = ("tanh", "identity")  # one output: targets −1/+1, threshold 0


def n_classes(n_out: int) -> int:
    """The number of classes a network with n_out output neurons tells apart: 2 for one
    output, n_out otherwise."""
    return 2 if n_out == 1 else n_out


def check_output(output: str, n_out: int) -> None:
    """Raise ValueError for an output layer that cannot classify: a softmax over one neuron."""
    if output == "softmax" and n_out < 2:
        raise ValueError(
            "a softmax over one output neuron is always 1: use a sigmoid (or tanh) output for a single "
            "output neuron, or two outputs with softmax"
        )


def binary_targets(output: str) -> tuple[float, float]:
    """The targets (class 0, class 1) of a single output neuron with this activation."""
    return (-1.0, 1.0) if output in SYMMETRIC_OUTPUTS else (0.0, 1.0)


def decision_threshold(output: str) -> float:
    """A single output predicts class 1 where a > this: 0 for tanh and identity, else 0.5."""
    low, high = binary_targets(output)
    return 0.5 * (low + high)


def output_name(net_or_output) -> str:
    """The output activation's name of a Network or Snapshot, an Activation, or a name."""
    if isinstance(net_or_output, str):
        return net_or_output
    name = getattr(net_or_output, "name", None)  # an Activation
    if isinstance(name, str):
        return name
    return net_or_output.activations[-1]


def one_hot(labels: np.ndarray, n: int, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """(batch, n) rows e_label for integer labels (batch,)."""
    y = np.zeros((labels.shape[0], n), dtype=dtype)
    y[np.arange(labels.shape[0]), labels] = 1
    return y


def class_targets(labels: np.ndarray, n_out: int, output: str, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """Targets (batch, n_out) for integer labels (batch,) in 0..n_classes(n_out) − 1: one-hot
    rows for several outputs, binary_targets(output) as a column for one output."""
    labels = np.asarray(labels)
    k = n_classes(n_out)
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must lie in 0..{k - 1} for {n_out} output neuron{'s' if n_out > 1 else ''}")
    if n_out > 1:
        return one_hot(labels, n_out, dtype)
    low, high = binary_targets(output)
    return np.where(labels == 1, high, low).astype(dtype).reshape(-1, 1)


def targets_for(net, labels: np.ndarray) -> np.ndarray:
    """net's targets (batch, n_out) in net.dtype for integer labels (batch,); see class_targets."""
    return class_targets(labels, net.sizes[-1], net.activations[-1], net.dtype)


def predict_classes(net_or_output, a_out: np.ndarray) -> np.ndarray:
    """Predicted classes (batch,) int64 from output activations a_out (batch, n_out): the
    argmax for several outputs, a > decision_threshold(output) for one."""
    a_out = np.asarray(a_out)
    if a_out.shape[1] == 1:
        return (a_out[:, 0] > decision_threshold(output_name(net_or_output))).astype(np.int64)
    return np.argmax(a_out, axis=1).astype(np.int64)


def labels_from_targets(net_or_output, y: np.ndarray) -> np.ndarray:
    """The classes (batch,) int64 that targets y (batch, n_out) stand for (their argmax, or
    a single output's target above the threshold): class_targets read backwards."""
    return predict_classes(net_or_output, y)
