"""Kernels at extreme inputs: huge logits, saturated units, labels of exactly 0 and 1, float32."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

from tests.conftest import kernels_for

# Output activation and loss pairs whose loss and gradients the kernels keep finite everywhere.
STABLE_PAIRS = [
    ("softmax", "cross_entropy"),
    ("softmax", "mse"),
    ("sigmoid", "binary_cross_entropy"),
    ("sigmoid", "cross_entropy"),
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("identity", "mse"),
    ("softplus", "mse"),
    ("relu", "mse"),
    ("leaky_relu", "mse"),
]


def two_layer(output: str, loss: str) -> str:
    return (
        f'name = "extreme"\ninputs = 2\nloss = "{loss}"\n'
        '[[layers]]\nunits = 3\nactivation = "tanh"\n'
        f'[[layers]]\nunits = 2\nactivation = "{output}"\n'
    )


@pytest.fixture(scope="module", params=STABLE_PAIRS, ids=lambda pair: "-".join(pair))
def kernels(request):
    return kernels_for(two_layer(*request.param))


@pytest.mark.parametrize("logit", [1000.0, -1000.0, 1e4, -1e4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_huge_logits_give_finite_loss_and_gradients(kernels, logit, dtype):
    params = {n: np.zeros(s, dtype=dtype) for n, s in kernels.PARAM_SHAPES.items()}
    params["W1"][:] = 50.0  # saturates the tanh layer
    params["b2"] = np.array([logit, -logit], dtype=dtype)
    x = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype=dtype)
    y = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)  # labels of exactly 0 and 1

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, divide-by-zero or invalid value
        loss, grads = kernels.loss_and_grads(params, x, y)

    assert np.isfinite(loss)
    for name, value in grads.items():
        assert value.dtype == dtype and np.isfinite(value).all(), name


def test_float32_agrees_with_float64_reference(kernels):
    rng = np.random.default_rng(11)
    params = {n: rng.normal(scale=4.0, size=s) for n, s in kernels.PARAM_SHAPES.items()}
    x = rng.normal(scale=3.0, size=(64, 2))
    y = rng.integers(0, 2, size=(64, 2)).astype(float)

    loss64, grads64 = kernels.loss_and_grads(params, x, y)
    single = {n: v.astype(np.float32) for n, v in params.items()}
    loss32, grads32 = kernels.loss_and_grads(single, x.astype(np.float32), y)

    assert loss32 == pytest.approx(loss64, rel=1e-5, abs=1e-5)
    for name in grads64:
        scale = np.abs(grads64[name]).max() + 1e-6
        assert np.abs(grads32[name] - grads64[name]).max() <= 1e-4 * scale, name


# Saturated units, where z rounds close to 1 and z (1 - z) or 1 - z^2 taken from the
# rounded z would keep a few digits at best.
SATURATED = [("tanh", 16.0), ("tanh", -19.0), ("sigmoid", 30.0), ("sigmoid", -30.0)]


def one_unit(activation: str, hidden: bool) -> str:
    """x -> f(x) (-> identity when hidden), squared error: dL/db1 = f(a) f'(a) at y = 0."""
    spec = 'name = "one"\ninputs = 1\nloss = "mse"\n'
    spec += f'[[layers]]\nunits = 1\nactivation = "{activation}"\n'
    if hidden:
        spec += '[[layers]]\nunits = 1\nactivation = "identity"\n'
    return spec


def exact_value_times_slope(activation: str, a: float) -> float:
    """f(a) f'(a) to 40 digits, by mpmath, from f alone."""
    with mpmath.workdps(40):
        f = mpmath.tanh if activation == "tanh" else lambda t: 1 / (1 + mpmath.exp(-t))
        return float(f(a) * mpmath.diff(f, a))


@pytest.mark.parametrize("hidden", [False, True], ids=["output", "hidden"])
@pytest.mark.parametrize(("activation", "a"), SATURATED, ids=str)
def test_saturated_units_keep_full_relative_precision(activation, a, hidden):
    kernels = kernels_for(one_unit(activation, hidden))
    params = {n: np.ones(s) for n, s in kernels.PARAM_SHAPES.items()}
    params["b1"][:] = 0.0
    if hidden:
        params["b2"][:] = 0.0
    x = np.full((3, 1), a)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, grads = kernels.loss_and_grads(params, x, np.zeros((3, 1)))

    expected = exact_value_times_slope(activation, a)
    assert grads["b1"][0] == pytest.approx(expected, rel=1e-14, abs=0)


# Saturated outputs next to their target, where z - y from the rounded z keeps few digits.
SATURATED_OUTPUTS = [
    ("sigmoid", "binary_cross_entropy", 40.0, 1.0),
    ("sigmoid", "binary_cross_entropy", -40.0, 0.0),
    ("sigmoid", "cross_entropy", 40.0, 1.0),
    ("sigmoid", "mse", 25.0, 1.0),
    ("tanh", "mse", 16.0, 1.0),
    ("tanh", "mse", -17.5, -1.0),
    ("tanh", "mse", 1e-5, 0.0),
    ("tanh", "mse", -0.75, -0.5),
    ("sigmoid", "mse", -30.0, 0.0),
]


def exact_output_loss_and_slope(
    activation: str, loss: str, a: float, y: float
) -> tuple[float, float]:
    """One sample's L and dL/da to 40 digits, by mpmath, from f and L alone."""
    with mpmath.workdps(40):
        if activation == "tanh":
            f = mpmath.tanh
        else:
            f = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
        losses = {
            "mse": lambda z: (z - y) ** 2 / 2,
            "cross_entropy": lambda z: -y * mpmath.log(z),
            "binary_cross_entropy": lambda z: (
                -(y * mpmath.log(z) + (1 - y) * mpmath.log(1 - z))
            ),
        }
        per_sample = lambda t: losses[loss](f(t))  # noqa: E731
        return float(per_sample(a)), float(mpmath.diff(per_sample, a))


@pytest.mark.parametrize(("activation", "loss", "a", "y"), SATURATED_OUTPUTS, ids=str)
def test_saturated_outputs_next_to_their_target_keep_full_precision(
    activation, loss, a, y
):
    kernels = kernels_for(
        f'name = "one"\ninputs = 1\nloss = "{loss}"\n'
        f'[[layers]]\nunits = 1\nactivation = "{activation}"\n'
    )
    params = {"W1": np.ones((1, 1)), "b1": np.zeros(1)}

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grads = kernels.loss_and_grads(
            params, np.full((3, 1), a), np.full((3, 1), y)
        )

    expected_value, expected_slope = exact_output_loss_and_slope(activation, loss, a, y)
    assert grads["b1"][0] == pytest.approx(expected_slope, rel=1e-13, abs=0)
    assert value == pytest.approx(expected_value, rel=1e-13, abs=0)
