"""The seed network's generated kernels against numeric and SymPy gradients."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from tests.conftest import kernels_for, numeric_gradients, relative_error

BATCH = 6


def random_case(kernels, seed: int):
    rng = np.random.default_rng(seed)
    params = {
        name: rng.normal(scale=0.8, size=shape)
        for name, shape in kernels.PARAM_SHAPES.items()
    }
    x = rng.normal(size=(BATCH, 2))
    return rng, params, x


def labels(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "one-hot class 1":
        return np.tile([1.0, 0.0], (BATCH, 1))
    if kind == "one-hot class 2":
        return np.tile([0.0, 1.0], (BATCH, 1))
    if kind == "soft":
        first = rng.uniform(size=(BATCH, 1))
        return np.hstack([first, 1 - first])
    if kind == "unnormalised":
        return rng.uniform(0.0, 3.0, size=(BATCH, 2))
    return rng.integers(0, 2, size=BATCH)


def away_from_kinks(kernels, params, x) -> bool:
    """Central differences are only meaningful where no ReLU input is near 0."""
    a1 = x @ params["W1"] + params["b1"]
    return bool(np.abs(a1).min() > 1e-3)


def test_param_shapes(seed_kernels):
    assert seed_kernels.PARAM_SHAPES == {
        "W1": (2, 3),
        "b1": (3,),
        "W2": (3, 2),
        "b2": (2,),
    }


@pytest.mark.parametrize(
    "kind", ["one-hot class 1", "one-hot class 2", "soft", "unnormalised", "indices"]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradients_equal_numeric_gradients(seed_kernels, kind, seed):
    rng, params, x = random_case(seed_kernels, seed)
    assert away_from_kinks(seed_kernels, params, x)
    y = labels(kind, rng)

    loss, grads = seed_kernels.loss_and_grads(params, x, y)
    numeric = numeric_gradients(lambda p: seed_kernels.loss(p, x, y), params, step=1e-5)

    assert loss == pytest.approx(seed_kernels.loss(params, x, y), rel=1e-15)
    assert relative_error(numeric, grads) <= 1e-7
    for name, value in grads.items():
        assert value.shape == params[name].shape and value.dtype == np.float64


def sympy_seed_loss():
    """The seed's per-sample loss written directly in SymPy, independently of derive."""
    x = sp.symbols("x1:3")
    y = sp.symbols("y1:3")
    W1 = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"W1_{i}{j}"))
    b1 = sp.Matrix(1, 3, lambda _, j: sp.Symbol(f"b1_{j}"))
    W2 = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"W2_{i}{j}"))
    b2 = sp.Matrix(1, 2, lambda _, j: sp.Symbol(f"b2_{j}"))
    hidden = (sp.Matrix([x]) * W1 + b1).applyfunc(lambda v: sp.Max(v, 0))
    logits = hidden * W2 + b2
    total = sum(sp.exp(v) for v in logits)
    loss = -sum(y[k] * sp.log(sp.exp(logits[k]) / total) for k in range(2))
    return loss, x, y, {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def test_gradients_equal_sympy_derivative(seed_kernels):
    loss, x_symbols, y_symbols, parameters = sympy_seed_loss()
    rng, params, x = random_case(seed_kernels, 7)
    y = labels("soft", rng)
    _, grads = seed_kernels.loss_and_grads(params, x, y)

    for name, matrix in parameters.items():
        for index in np.ndindex(params[name].shape):
            symbol = matrix[index] if matrix.rows > 1 else matrix[0, index[0]]
            derivative = sp.lambdify(
                [*x_symbols, *y_symbols, *(s for m in parameters.values() for s in m)],
                sp.diff(loss, symbol),
                "numpy",
            )
            flat = [v for n in parameters for v in params[n].ravel()]
            values = [derivative(*x[s], *y[s], *flat) for s in range(BATCH)]
            assert grads[name][index] == pytest.approx(np.mean(values), rel=1e-9)


def test_float32_in_float32_out(seed_kernels):
    rng = np.random.default_rng(3)
    params = seed_kernels.init_params(rng, dtype=np.float32)
    x = rng.normal(size=(BATCH, 2)).astype(np.float32)
    output, _ = seed_kernels.forward(params, x)
    _, grads = seed_kernels.loss_and_grads(params, x, labels("soft", rng))
    assert output.dtype == np.float32
    assert all(value.dtype == np.float32 for value in grads.values())


@pytest.mark.parametrize("logit", [1000.0, -1000.0, 1e4])
def test_extreme_logits_stay_finite(seed_kernels, logit):
    params = {
        name: np.zeros(shape) for name, shape in seed_kernels.PARAM_SHAPES.items()
    }
    params["b2"] = np.array([logit, -logit])
    x = np.zeros((2, 2))
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    loss, grads = seed_kernels.loss_and_grads(params, x, y)
    assert np.isfinite(loss) and loss == pytest.approx(abs(2 * logit) / 2, rel=1e-12)
    assert all(np.isfinite(value).all() for value in grads.values())


def test_relu_derivative_at_zero_is_zero(seed_kernels):
    """The convention of the derivation: dz/da = 0 at a = 0, tested apart from numerics."""
    params = {name: np.ones(shape) for name, shape in seed_kernels.PARAM_SHAPES.items()}
    params["b1"] = np.zeros(3)
    x = np.zeros((1, 2))
    grads = seed_kernels.loss_and_grads(params, x, np.array([[1.0, 0.0]]))[1]
    assert np.all(grads["b1"] == 0) and np.all(grads["W1"] == 0)


@pytest.mark.parametrize(
    "argument, value, message",
    [
        ("x", np.zeros((3, 5)), r"x must have shape \(batch, 2\), got \(3, 5\)"),
        ("x", np.zeros(2), r"x must have shape \(batch, 2\)"),
        ("x", np.full((3, 2), np.nan), "x must be finite"),
        ("y", np.zeros((3, 3)), r"y must have shape \(3, 2\), got \(3, 3\)"),
        ("y", np.array([0, 2, 1]), r"y class indices must lie in 0\.\.1"),
        ("y", np.full((3, 2), np.inf), "y must be finite"),
        (
            "y",
            np.array([0.0, 1.0, 1.0]),
            "y as a vector must hold integer class indices",
        ),
    ],
    ids=[
        "x-wide",
        "x-rank-1",
        "x-nan",
        "y-wide",
        "y-index-out-of-range",
        "y-inf",
        "y-float-indices",
    ],
)
def test_bad_arguments_are_named(seed_kernels, argument, value, message):
    params = seed_kernels.init_params(np.random.default_rng(0))
    arguments = {"x": np.zeros((3, 2)), "y": np.array([0, 1, 1])}
    arguments[argument] = value
    with pytest.raises(ValueError, match=message):
        seed_kernels.loss_and_grads(params, arguments["x"], arguments["y"])


def test_bad_params_are_named(seed_kernels):
    params = seed_kernels.init_params(np.random.default_rng(0))
    params["W2"] = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"params\['W2'\] must be an array of shape"):
        seed_kernels.forward(params, np.zeros((1, 2)))


def test_a_missing_parameter_is_named_with_those_needed(seed_kernels):
    params = seed_kernels.init_params(np.random.default_rng(0))
    del params["b1"]
    expected = r"params\['b1'\] is missing; params must hold W1, b1, W2, b2$"
    with pytest.raises(ValueError, match=expected):
        seed_kernels.loss_and_grads(params, np.zeros((1, 2)), np.eye(2)[:1])


MASKED = np.ma.masked_array([[1.0, 2.0], [1e6, 3.0]], mask=[[0, 0], [1, 0]])


@pytest.mark.parametrize(
    "argument, value, message",
    [
        ("x", MASKED, r"x is a masked array; fill or drop the masked entries"),
        ("y", np.ma.masked_array([0, 1], mask=[0, 1]), r"y is a masked array"),
        ("x", [[1.0, 2.0], [3.0]], r"x must be a rectangular array of numbers"),
        ("x", np.full((2, 2), 1e200), r"x holds values too large for float32"),
        ("y", np.full((2, 2), -1e300), r"y holds values too large for float32"),
        ("x", np.full((2, 2), np.inf), r"x must be finite, got NaN or infinity"),
    ],
    ids=[
        "x-masked",
        "y-masked",
        "x-ragged",
        "x-beyond-float32",
        "y-beyond-float32",
        "x-inf",
    ],
)
def test_bad_arguments_for_float32_params_are_named(
    seed_kernels, argument, value, message
):
    params = seed_kernels.init_params(np.random.default_rng(0), np.float32)
    arguments = {"x": np.zeros((2, 2)), "y": np.array([0, 1])}
    arguments[argument] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=message):
            seed_kernels.loss_and_grads(params, arguments["x"], arguments["y"])


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("W1", np.ma.masked_array(np.zeros((2, 3))), r"params\['W1'\] is a masked"),
        (
            "W2",
            np.zeros((3, 2)).view(np.matrix),
            r"must be a plain numpy.ndarray, got matrix",
        ),
        (
            "W1",
            np.zeros((2, 3), np.float32),
            r"params\['b1'\] is float64 but params\['W1'\] is float32; all must share",
        ),
        ("b2", np.zeros(2, ">f8"), r"must be float32 or float64 in native byte order"),
    ],
    ids=["masked", "matrix", "mixed-dtypes", "big-endian"],
)
def test_bad_params_say_what_is_wrong(seed_kernels, name, value, message):
    params = seed_kernels.init_params(np.random.default_rng(0))
    params[name] = value
    with pytest.raises(ValueError, match=message):
        seed_kernels.loss_and_grads(params, np.zeros((1, 2)), np.array([0]))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
def test_parameters_that_spoil_the_loss_are_named(seed_kernels, name, bad):
    params = seed_kernels.init_params(np.random.default_rng(0))
    params[name].flat[0] = bad
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    message = rf"params\['{name}'\] must be finite, got NaN or infinity"
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=message):
        seed_kernels.loss_and_grads(params, x, np.array([0, 1]))
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=message):
        seed_kernels.loss(params, x, np.array([0, 1]))


@pytest.mark.parametrize(
    "extra", [0.1, {"m": 1}, np.array([np.nan])], ids=["float", "dict", "nan-array"]
)
def test_extra_entries_in_params_are_ignored_even_when_the_loss_is_not_finite(
    seed_kernels, extra
):
    params = {"note": extra, **seed_kernels.init_params(np.random.default_rng(0))}
    params["W2"][0, 0] = np.nan
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=r"'W2'\] must be"):
        seed_kernels.loss_and_grads(params, np.ones((2, 2)), np.array([0, 1]))


@pytest.mark.parametrize("rng", [None, 0], ids=["none", "int"])
def test_init_params_wants_a_generator(seed_kernels, rng):
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        seed_kernels.init_params(rng)


GENERATED = sorted(Path(__file__).parent.parent.glob("generated/*/kernels.py"))


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: p.parent.name)
def test_generated_kernels_are_formatted_linted_and_typed(path):
    ruff = [sys.executable, "-m", "ruff"]
    for command in (
        [*ruff, "format", "--check", str(path)],
        [*ruff, "check", "--select", "E,F,W,I,B,UP", str(path)],
        [sys.executable, "-m", "mypy", "--no-error-summary", str(path)],
    ):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_large_finite_inputs_pass_the_checks_without_a_warning(seed_kernels):
    """The finiteness check must not overflow on inputs that are large but finite."""
    params = random_case(seed_kernels, 0)[1]
    x = np.array([[1e200, -1e200], [3.0, 4.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grads = seed_kernels.loss_and_grads(params, x, y)
    assert np.isfinite(loss)
    assert all(np.isfinite(value).all() for value in grads.values())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("top", [10.0, 1000.0, 1e4, 1e6])
def test_cross_entropy_is_accurate_for_large_logits(seed_kernels, dtype, top):
    """-ln softmax(a)_1 for a = (top, top - 5) is ln(1 + e^-5), whatever top is."""
    params = {
        "W1": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype),
        "b1": np.zeros(3, dtype),
        "W2": np.array([[top, top - 5.0], [0.0, 0.0], [0.0, 0.0]], dtype),
        "b2": np.zeros(2, dtype),
    }
    x = np.array([[1.0, 0.0]] * 4, dtype)
    y = np.array([[1.0, 0.0]] * 4, dtype)
    loss, grads = seed_kernels.loss_and_grads(params, x, y)
    assert loss == pytest.approx(np.log1p(np.exp(-5.0)), rel=1e-6)
    softmax_2 = np.exp(-5.0) / (1 + np.exp(-5.0))
    assert grads["b2"] == pytest.approx([-softmax_2, softmax_2], rel=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [3, 4000], ids=["small-batch", "large-batch"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("argument", ["x", "y"])
def test_one_bad_entry_among_finite_ones_is_refused(
    seed_kernels, argument, bad, batch, dtype
):
    """Small and large arrays are checked by different means; both must see it."""
    rng = np.random.default_rng(1)
    params = seed_kernels.init_params(rng, dtype)
    arguments = {
        "x": rng.standard_normal((batch, 2)).astype(dtype),
        "y": np.eye(2, dtype=dtype)[rng.integers(0, 2, batch)],
    }
    arguments[argument][rng.integers(batch), rng.integers(2)] = bad
    with pytest.raises(ValueError, match=f"{argument} must be finite"):
        seed_kernels.loss_and_grads(params, arguments["x"], arguments["y"])


def test_the_largest_floats_pass_the_checks(seed_kernels):
    for dtype in (np.float32, np.float64):
        x = np.full((3, 2), np.finfo(dtype).max, dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert seed_kernels._check_x(x, np.dtype(dtype)) is x


SOFTPLUS_OUTPUT = """name = "softplus-out"
inputs = 1
loss = "cross_entropy"
[[layers]]
units = 3
activation = "softplus"
"""
ONE_OUTPUT = """name = "one-out"
inputs = 2
loss = "binary_cross_entropy"
[[layers]]
units = 3
activation = "tanh"
[[layers]]
units = 1
activation = "sigmoid"
"""


def test_softplus_keeps_its_precision_far_below_zero():
    kernels = kernels_for(SOFTPLUS_OUTPUT)
    params = {"W1": np.zeros((1, 3)), "b1": np.array([1.0, -40.0, 0.5])}
    output, _ = kernels.forward(params, np.ones((1, 1)))
    # softplus(a) = ln(1 + e^a), which for a = -40 is e^-40 to 17 digits.
    expected = np.logaddexp(0.0, params["b1"])
    np.testing.assert_allclose(output[0], expected, rtol=1e-14)
    y = np.array([[0.2, 0.7, 0.1]])
    _, grads = kernels.loss_and_grads(params, np.ones((1, 1)), y)

    # dL/da_k = -y_k sigmoid(a_k) / softplus(a_k), both written here through logaddexp.
    a = params["b1"]
    sigmoid = np.exp(a - np.logaddexp(0.0, a))
    np.testing.assert_allclose(grads["b1"], -y[0] * sigmoid / expected, rtol=1e-12)


def test_one_output_takes_a_vector_of_targets():
    kernels = kernels_for(ONE_OUTPUT)
    rng = np.random.default_rng(3)
    params = kernels.init_params(rng)
    x = rng.normal(size=(4, 2))
    targets = np.array([0, 1, 1, 0])
    assert kernels.loss(params, x, targets) == kernels.loss(
        params, x, targets[:, None].astype(float)
    )


@pytest.mark.parametrize(
    "change",
    ["missing W2", "float32 params", "not a tuple", "short cache", "reversed cache"],
)
def test_backward_checks_params_and_cache(seed_kernels, change):
    params = random_case(seed_kernels, 0)[1]
    x = np.ones((3, 2))
    y = np.eye(2)[[0, 1, 1]]
    _, cache = seed_kernels.forward(params, x)
    if change == "missing W2":
        params = {name: value for name, value in params.items() if name != "W2"}
    elif change == "float32 params":
        params = {name: value.astype(np.float32) for name, value in params.items()}
    elif change == "not a tuple":
        cache = list(cache)
    elif change == "short cache":
        cache = cache[:2]
    else:
        cache = tuple(reversed(cache))
    with pytest.raises(ValueError, match=r"^(params\['W2'\] is|cache must be)"):
        seed_kernels.backward(params, cache, y)


WIDE = (
    'name = "wide"\ninputs = 4\nloss = "cross_entropy"\n'
    '[[layers]]\nunits = 128\nactivation = "relu"\n'
    '[[layers]]\nunits = 128\nactivation = "tanh"\n'
    '[[layers]]\nunits = 3\nactivation = "softmax"\n'
)


@pytest.mark.parametrize("batch", [1, 5])
def test_a_wide_layer_has_numeric_gradients_at_one_and_more_samples(batch):
    # A 128 x 128 layer: large enough for the products by @ (the weight gradient's only
    # over one sample). Central differences along random directions check every entry.
    kernels = kernels_for(WIDE)
    rng = np.random.default_rng(batch)
    params = kernels.init_params(rng)
    params["b1"] = rng.normal(size=128)
    x = rng.normal(size=(batch, 4))
    y = rng.dirichlet(np.ones(3), size=batch)

    _, grads = kernels.loss_and_grads(params, x, y)

    step = 1e-6
    for _ in range(4):
        direction = {n: rng.normal(size=v.shape) for n, v in params.items()}
        shifted = [
            kernels.loss(
                params={n: v + sign * step * direction[n] for n, v in params.items()},
                x=x,
                y=y,
            )
            for sign in (1, -1)
        ]
        numeric = (shifted[0] - shifted[1]) / (2 * step)
        analytic = sum(np.vdot(grads[n], direction[n]) for n in params)
        assert analytic == pytest.approx(numeric, rel=1e-6)
