"""Hand-written NumPy baselines: the network's loss and gradients, and its matmuls alone.

Both are written independently of derive, from the usual backpropagation equations:
a^(l) = z^(l-1) W^(l) + b^(l), delta_a^(L) = (softmax(a^(L)) - y) / N for cross-entropy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def make_loss_and_grads(
    hidden_activations: Sequence[str],
) -> Callable[[dict, np.ndarray, np.ndarray], tuple[float, dict]]:
    """loss_and_grads(params, x, y) for ReLU/tanh hidden layers and a softmax output.

    Rows of y must sum to one (one-hot or probabilities); inputs are trusted, not checked.
    """
    depth = len(hidden_activations) + 1
    activations = tuple(hidden_activations)
    weight_names = [f"W{l}" for l in range(1, depth + 1)]
    bias_names = [f"b{l}" for l in range(1, depth + 1)]

    def loss_and_grads(params, x, y):
        weights = [params[name] for name in weight_names]
        biases = [params[name] for name in bias_names]
        activities, tanh_inputs = _hidden_forward(weights, biases, activations, x)
        logits = activities[-1] @ weights[-1]
        logits += biases[-1]
        loss, delta = _softmax_cross_entropy(logits, y)
        grads = _backward(weights, activations, activities, tanh_inputs, delta)
        return loss, grads

    return loss_and_grads


def _hidden_forward(weights, biases, activations, x):
    """[x, z^(1), ..., z^(L-1)], ReLU computed in place over a^(l); and {l: a^(l)} for
    the tanh layers, whose derivative is taken from a."""
    activities, tanh_inputs = [x], {}
    for l, (weight, bias, activation) in enumerate(
        zip(weights, biases, activations, strict=False), start=1
    ):
        a = activities[-1] @ weight
        a += bias
        if activation == "relu":
            activities.append(np.maximum(a, 0, out=a))
        else:
            activities.append(np.tanh(a))
            tanh_inputs[l] = a
    return activities, tanh_inputs


def _softmax_cross_entropy(a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(a) and its gradient by a, both from one exp pass."""
    batch = a.shape[0]
    a -= a.max(axis=1, keepdims=True)
    probabilities = np.exp(a)
    totals = probabilities.sum(axis=1, keepdims=True)

    # L = log sum_k e^{a_k} - sum_k y_k a_k, since every row of y sums to one.
    loss = (np.log(totals).sum() - np.vdot(y, a)) / batch
    probabilities /= totals
    probabilities -= y
    probabilities *= 1.0 / batch
    return float(loss), probabilities


def _backward(
    weights, activations, activities, tanh_inputs, delta
) -> dict[str, np.ndarray]:
    grads = {}
    for l in range(len(weights), 0, -1):
        grads[f"W{l}"] = weight_gradient(activities[l - 1], delta)
        grads[f"b{l}"] = delta.sum(axis=0)
        if l == 1:
            break
        delta = delta @ weights[l - 1].T
        z = activities[l - 1]
        if activations[l - 2] == "relu":
            delta *= z > 0
        else:
            # tanh' = 1 / cosh^2 a, exact to a few ulps even where tanh saturates (1 - z^2
            # from the rounded z is not). cosh = inf only where the derivative is 0.
            with np.errstate(over="ignore"):
                derivative = np.cosh(tanh_inputs[l - 1])
            np.reciprocal(derivative, out=derivative)
            delta *= derivative
            delta *= derivative
    return grads


def weight_gradient(z: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """z^T delta. For one sample np.matmul leaves BLAS for a slow generic loop (an outer
    product, inner dimension 1) while np.dot does not; for larger batches they match."""
    if z.shape[0] == 1:
        return np.dot(z.T, delta)
    return z.T @ delta


def make_matmuls_only(
    layer_sizes: Sequence[int], batch: int, dtype, rng: np.random.Generator
) -> Callable[[], None]:
    """The products of one forward and backward pass, into preallocated outputs.

    Forward z^(l-1) W^(l) for every layer; backward z^(l-1)^T delta^(l) for every layer
    and delta^(l) W^(l)^T for l >= 2. Nothing else: the BLAS floor of any implementation.
    """
    products = []
    for l in range(1, len(layer_sizes)):
        fan_in, fan_out = layer_sizes[l - 1], layer_sizes[l]
        z = rng.standard_normal((batch, fan_in)).astype(dtype)
        weight = rng.standard_normal((fan_in, fan_out)).astype(dtype)
        delta = rng.standard_normal((batch, fan_out)).astype(dtype)
        products.append((z, weight, np.empty((batch, fan_out), dtype)))
        products.append((z.T, delta, np.empty((fan_in, fan_out), dtype)))
        if l >= 2:
            products.append((delta, weight.T, np.empty((batch, fan_in), dtype)))

    # np.dot for a one-sample z^T delta, as in weight_gradient.
    multiply = np.dot if batch == 1 else np.matmul

    def matmuls():
        for left, right, out in products:
            multiply(left, right, out=out)

    return matmuls
