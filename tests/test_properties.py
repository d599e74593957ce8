"""Random specs (every activation and loss, depth 1-4, width 1-6) against numeric gradients."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.spec import ACTIVATIONS, LOSSES, UNIT_INTERVAL_OUTPUTS
from tests.conftest import (
    kernels_for,
    numeric_gradients,
    reference_forward,
)

KINKED = ("relu", "leaky_relu")


@st.composite
def specs(draw):
    depth = draw(st.integers(1, 4))
    loss = draw(st.sampled_from(LOSSES))
    activations = [draw(st.sampled_from(ACTIVATIONS)) for _ in range(depth)]
    if loss == "binary_cross_entropy":
        activations[-1] = draw(st.sampled_from(UNIT_INTERVAL_OUTPUTS))
    lines = [
        'name = "random"',
        f"inputs = {draw(st.integers(1, 6))}",
        f'loss = "{loss}"',
        f'reduction = "{draw(st.sampled_from(["mean", "sum"]))}"',
    ]
    for depth_index, activation in enumerate(activations):
        last = depth_index == depth - 1
        # A softmax over one output is the constant 1, where binary cross-entropy is infinite.
        smallest = (
            2
            if last and activation == "softmax" and loss == "binary_cross_entropy"
            else 1
        )
        lines += ["[[layers]]", f"units = {draw(st.integers(smallest, 6))}"]
        lines.append(f'activation = "{activation}"')
        if activation == "leaky_relu":
            lines.append(f"alpha = {draw(st.sampled_from([0.01, 0.2]))}")
    return "\n".join(lines) + "\n", loss, activations[-1]


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(specs(), st.integers(0, 2**32 - 1))
def test_random_specs_match_numeric_gradients(case, seed):
    text, loss, output = case
    kernels = kernels_for(text)
    rng = np.random.default_rng(seed)
    params = {n: rng.normal(size=s) for n, s in kernels.PARAM_SHAPES.items()}
    last = len(kernels.PARAM_SHAPES) // 2
    if loss == "cross_entropy" and output not in ("softmax", "sigmoid", "softplus"):
        # ln z needs z > 0: shift the output layer where its range reaches 0.
        params[f"b{last}"] += 8.0 if output != "tanh" else 3.0
    x = rng.normal(size=(4, kernels.INPUTS))
    y = rng.uniform(0.05, 0.95, size=(4, kernels.OUTPUTS))

    layers = reference_forward(text, params, x)
    if any(np.abs(a).min() < 1e-3 for a, _ in layers):
        return  # a kink within reach of the finite difference; covered on its own below
    if loss == "cross_entropy" and (layers[-1][1] <= 0).any():
        return  # ln z of a non-positive output: the loss itself is undefined there
    loss_value, grads = kernels.loss_and_grads(params, x, y)
    assert np.isfinite(loss_value)
    numeric = numeric_gradients(lambda p: kernels.loss(p, x, y), params, step=1e-6)
    # Central differences with step 1e-6 resolve a gradient only down to about
    # 1e-10 |L| (rounding of L over the step): below that, compare absolutely.
    resolution = 1e-8 * max(1.0, abs(loss_value))
    for name in grads:
        difference = np.linalg.norm(numeric[name] - grads[name])
        scale = np.linalg.norm(numeric[name]) + np.linalg.norm(grads[name])
        assert difference <= 1e-5 * scale + resolution, name


def test_leaky_relu_derivative_at_zero_is_alpha():
    text = """name = "leaky"
inputs = 1
loss = "mse"
[[layers]]
units = 1
activation = "leaky_relu"
alpha = 0.2
[[layers]]
units = 1
activation = "identity"
"""
    kernels = kernels_for(text)
    params = {
        "W1": np.ones((1, 1)),
        "b1": np.zeros(1),
        "W2": np.ones((1, 1)),
        "b2": np.zeros(1),
    }
    grads = kernels.loss_and_grads(params, np.zeros((1, 1)), np.ones((1, 1)))[1]
    # z1 = 0, so dL/dz2 = -1 and delta_a1 = -1 * alpha at the kink.
    assert grads["b1"][0] == -0.2
