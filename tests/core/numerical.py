"""Centred finite differences: the independent check every backprop test compares against."""

import numpy as np


def numerical_gradients(net, x, labels, eps=1e-6):
    """[[∂C/∂W per layer], [∂C/∂b per layer]] by (C(p + ε) − C(p − ε)) / 2ε, one parameter at a time."""
    grads = []
    for params in (net.weights, net.biases):
        layer_grads = []
        for p in params:
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + eps
                plus = net.cost_of(x, labels)
                p[i] = old - eps
                minus = net.cost_of(x, labels)
                p[i] = old
                g[i] = (plus - minus) / (2 * eps)
            layer_grads.append(g)
        grads.append(layer_grads)
    return grads


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)
