"""The fused Numba kernels against numeric gradients and the NumPy kernels of each spec."""

from __future__ import annotations

import re
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.derivation import derive
from derive.errors import NotSupportedError
from derive.kernels import kernels_source
from derive.numba_kernels import numba_kernels_source, to_scalar
from derive.spec import parse_spec, seed_spec
from tests.conftest import load_kernels, numeric_gradients, relative_error

pytest.importorskip("numba")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEEP = """
name = "deep"
inputs = 3
loss = "mse"
reduction = "sum"
[[layers]]
units = 4
activation = "softplus"
[[layers]]
units = 3
activation = "leaky_relu"
alpha = 0.1
[[layers]]
units = 3
activation = "softmax"
"""
SOFTMAX_HIDDEN = """
name = "softmax-hidden"
inputs = 2
loss = "cross_entropy"
[[layers]]
units = 3
activation = "softmax"
[[layers]]
units = 2
activation = "sigmoid"
"""
SPECS = {
    "seed": None,
    "xor": (EXAMPLES / "xor.toml").read_text(),
    "tanh-regressor": (EXAMPLES / "tanh-regressor.toml").read_text(),
    "deep": DEEP,
    "softmax-hidden": SOFTMAX_HIDDEN,
}


def both_kernels(spec_text: str | None) -> tuple[types.ModuleType, types.ModuleType]:
    spec = seed_spec() if spec_text is None else parse_spec(spec_text, "<test>")
    derivation = derive(spec)
    command = "derive kernels --backend numba"
    return (
        load_kernels(numba_kernels_source(derivation, command), "numba_kernels"),
        load_kernels(kernels_source(derivation, command), "numpy_kernels"),
    )


@pytest.fixture(scope="module", params=list(SPECS), ids=list(SPECS))
def kernels(request) -> tuple[types.ModuleType, types.ModuleType]:
    return both_kernels(SPECS[request.param])


@pytest.fixture(scope="module")
def seed_pair() -> tuple[types.ModuleType, types.ModuleType]:
    return both_kernels(None)


def random_case(kernels, seed: int, batch: int, labels: str):
    rng = np.random.default_rng(seed)
    params = {
        name: rng.normal(scale=0.8, size=shape)
        for name, shape in kernels.PARAM_SHAPES.items()
    }
    x = rng.normal(size=(batch, kernels.INPUTS))
    if labels == "indices":
        return params, x, rng.integers(0, kernels.OUTPUTS, size=batch)
    return params, x, rng.uniform(0.0, 1.0, size=(batch, kernels.OUTPUTS))


@pytest.mark.parametrize("labels", ["weights", "indices"])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradients_equal_numeric_gradients(kernels, seed, labels):
    fused, _ = kernels
    params, x, y = random_case(fused, seed, 5, labels)

    loss, grads = fused.loss_and_grads(params, x, y)
    numeric = numeric_gradients(lambda p: fused.loss(p, x, y), params, step=1e-5)

    assert loss == pytest.approx(fused.loss(params, x, y), rel=1e-15)
    assert relative_error(numeric, grads) <= 1e-7
    for name, value in grads.items():
        assert value.shape == params[name].shape and value.dtype == np.float64


@pytest.mark.parametrize("batch", [1, 7, 1024], ids=lambda batch: f"batch-{batch}")
@pytest.mark.parametrize("labels", ["weights", "indices"])
def test_agrees_with_numpy_kernels(kernels, batch, labels):
    fused, reference = kernels
    params, x, y = random_case(fused, 3, batch, labels)

    loss, grads = fused.loss_and_grads(params, x, y)
    expected_loss, expected_grads = reference.loss_and_grads(params, x, y)

    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert relative_error(expected_grads, grads) <= 1e-12
    output, expected_output = (
        fused.forward(params, x)[0],
        reference.forward(params, x)[0],
    )
    assert relative_error({"z": expected_output}, {"z": output}) <= 1e-12


OUTPUT_PAIRS = [
    ("softmax", "binary_cross_entropy"),
    ("sigmoid", "mse"),
    ("softplus", "mse"),
    ("relu", "mse"),
    ("leaky_relu", "mse"),
    ("identity", "mse"),
]


@pytest.mark.parametrize("output, loss", OUTPUT_PAIRS, ids=lambda name: name)
def test_every_output_and_loss_agrees_with_numpy_kernels(output, loss):
    fused, reference = both_kernels(
        f'name = "pair"\ninputs = 2\nloss = "{loss}"\n'
        '[[layers]]\nunits = 3\nactivation = "tanh"\n'
        f'[[layers]]\nunits = 2\nactivation = "{output}"\n'
    )
    params, x, y = random_case(fused, 9, 7, "weights")

    loss_value, grads = fused.loss_and_grads(params, x, y)
    expected_loss, expected_grads = reference.loss_and_grads(params, x, y)

    assert loss_value == pytest.approx(expected_loss, rel=1e-12)
    assert relative_error(expected_grads, grads) <= 1e-12


@pytest.mark.parametrize("target", [0.0, 1.0])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturated_units_agree_with_numpy_kernels(activation, target):
    # Far into saturation the derivative, and z - 1, are a few ulps of z, and NumPy's
    # tanh and math's round some z differently: both kernels take them from a instead.
    fused, reference = both_kernels(
        f'name = "saturated"\ninputs = 1\nloss = "mse"\n'
        f'[[layers]]\nunits = 1\nactivation = "{activation}"\n'
    )
    params = {"W1": np.ones((1, 1)), "b1": np.zeros(1)}
    for a in np.linspace(4.0, 36.0, 81):
        x, y = np.array([[a]]), np.full((1, 1), target)

        loss_value, grads = fused.loss_and_grads(params, x, y)
        expected_loss, expected = reference.loss_and_grads(params, x, y)

        assert loss_value == pytest.approx(expected_loss, rel=1e-12, abs=0), a
        assert relative_error(expected, grads) <= 1e-12, a


def test_backward_from_forward_cache(kernels):
    fused, _ = kernels
    params, x, y = random_case(fused, 4, 6, "weights")
    _, cache = fused.forward(params, x)
    grads = fused.backward(params, cache, y)
    expected = fused.loss_and_grads(params, x, y)[1]
    assert all(np.array_equal(grads[name], expected[name]) for name in expected)


INPUT_VARIANTS = {
    "lists": lambda params, x, y: (params, x.tolist(), y.tolist()),
    "float32-x": lambda params, x, y: (params, x.astype(np.float32), y),
    "float32-y": lambda params, x, y: (params, x, y.astype(np.float32)),
    "float32-params": lambda params, x, y: (
        {name: value.astype(np.float32) for name, value in params.items()},
        x,
        y,
    ),
    "integer-y": lambda params, x, y: (params, x, y.astype(int)),
    "class-indices": lambda params, x, y: (params, x, y.argmax(axis=1)),
    "fortran-order": lambda params, x, y: (
        {name: np.asfortranarray(value) for name, value in params.items()},
        np.asfortranarray(x),
        y,
    ),
    "strided": lambda params, x, y: (params, np.repeat(x, 2, axis=1)[:, ::2], y),
    "unaligned-x": lambda params, x, y: (params, unaligned(x), y),
    "read-only": lambda params, x, y: (params, read_only(x), read_only(y)),
    "read-only-params": lambda params, x, y: (
        {name: read_only(value) for name, value in params.items()},
        x,
        y,
    ),
    "equal-dtype-object": lambda params, x, y: (
        params,
        x,
        y.astype(np.dtype(np.float64, metadata={"unit": "label"})),
    ),
}


def read_only(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.flags.writeable = False
    return array


def unaligned(array: np.ndarray) -> np.ndarray:
    """The same values, one byte past an aligned address."""
    buffer = np.zeros(array.nbytes + 1, dtype=np.uint8)
    copy = buffer[1:].view(array.dtype).reshape(array.shape)
    copy[...] = array
    return copy


@pytest.mark.parametrize("variant", list(INPUT_VARIANTS), ids=list(INPUT_VARIANTS))
def test_unusual_arrays_give_the_plain_arrays_results(seed_pair, variant):
    """Anything but plain arrays takes the checked path, to the same results."""
    fused, _ = seed_pair
    params, x, _ = random_case(fused, 8, 5, "weights")
    x = x.astype(np.float32).astype(np.float64)  # the same values in either dtype
    y = np.eye(fused.OUTPUTS)[[0, 1, 1, 0, 1]]
    expected_loss, expected_grads = fused.loss_and_grads(params, x, y)

    loss, grads = fused.loss_and_grads(*INPUT_VARIANTS[variant](params, x, y))
    assert loss == pytest.approx(expected_loss, rel=1e-6 if "32" in variant else 1e-12)
    assert relative_error(expected_grads, grads) <= (1e-6 if "32" in variant else 1e-12)


class PassRecorder:
    """Wraps the compiled pass, recording how each call ended."""

    def __init__(self, function):
        self.function, self.outcomes = function, []

    def __call__(self, *arguments):
        try:
            total = self.function(*arguments)
        except Exception as error:
            self.outcomes.append(type(error).__name__)
            raise
        self.outcomes.append("returned")
        return total


@pytest.mark.parametrize("variant", list(INPUT_VARIANTS), ids=list(INPUT_VARIANTS))
def test_documented_forms_take_one_compiled_call(seed_pair, variant, monkeypatch):
    """A form that missed the compiled signatures cost a TypeError: 100x the call."""
    fused, _ = seed_pair
    params, x, _ = random_case(fused, 8, 5, "weights")
    y = np.eye(fused.OUTPUTS)[[0, 1, 1, 0, 1]]
    arguments = INPUT_VARIANTS[variant](params, x, y)
    recorder = PassRecorder(fused._loss_pass)
    monkeypatch.setattr(fused, "_loss_pass", recorder)

    fused.loss_and_grads(*arguments)
    assert recorder.outcomes == ["returned"]


@pytest.fixture(scope="module")
def one_output():
    return both_kernels(SPECS["tanh-regressor"])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_one_output_takes_a_target_vector_in_one_call(one_output, dtype, monkeypatch):
    fused, reference = one_output
    params, x, y = random_case(fused, 7, 6, "weights")
    y = (y * 10).astype(dtype).astype(np.float64)
    recorder = PassRecorder(fused._loss_pass)
    monkeypatch.setattr(fused, "_loss_pass", recorder)

    loss, grads = fused.loss_and_grads(params, x, y[:, 0].astype(dtype))
    expected_loss, expected_grads = reference.loss_and_grads(params, x, y)
    assert recorder.outcomes == ["returned"]
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert relative_error(expected_grads, grads) <= 1e-12


def test_float32_in_float32_out(kernels):
    fused, _ = kernels
    rng = np.random.default_rng(5)
    params = fused.init_params(rng, dtype=np.float32)
    x = rng.normal(size=(6, fused.INPUTS)).astype(np.float32)
    y = rng.integers(0, fused.OUTPUTS, size=6)

    output, _ = fused.forward(params, x)
    loss, grads = fused.loss_and_grads(params, x, y)
    assert output.dtype == np.float32 and isinstance(loss, float)
    assert all(value.dtype == np.float32 for value in grads.values())


def test_float32_agrees_with_float64(kernels):
    fused, _ = kernels
    params, x, y = random_case(fused, 6, 64, "weights")
    loss64, grads64 = fused.loss_and_grads(params, x, y)
    single = {name: value.astype(np.float32) for name, value in params.items()}
    loss32, grads32 = fused.loss_and_grads(single, x.astype(np.float32), y)

    assert loss32 == pytest.approx(loss64, rel=1e-5, abs=1e-5)
    for name in grads64:
        scale = np.abs(grads64[name]).max() + 1e-6
        assert np.abs(grads32[name] - grads64[name]).max() <= 1e-4 * scale, name


@pytest.mark.parametrize("logit", [1000.0, -1000.0, 1e4])
def test_extreme_logits_stay_finite(seed_pair, logit):
    fused, _ = seed_pair
    params = {name: np.zeros(shape) for name, shape in fused.PARAM_SHAPES.items()}
    params["b2"] = np.array([logit, -logit])
    x = np.zeros((2, 2))
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    loss, grads = fused.loss_and_grads(params, x, y)
    assert np.isfinite(loss) and loss == pytest.approx(abs(2 * logit) / 2, rel=1e-12)
    assert all(np.isfinite(value).all() for value in grads.values())


def test_relu_derivative_at_zero_is_zero(seed_pair):
    """The convention of the derivation: dz/da = 0 at a = 0, tested apart from numerics."""
    fused, _ = seed_pair
    params = {name: np.ones(shape) for name, shape in fused.PARAM_SHAPES.items()}
    params["b1"] = np.zeros(3)
    grads = fused.loss_and_grads(params, np.zeros((1, 2)), np.array([[1.0, 0.0]]))[1]
    assert np.all(grads["b1"] == 0) and np.all(grads["W1"] == 0)


BAD_ARGUMENTS = {
    "x-wide": ("x", np.zeros((3, 5))),
    "x-rank-1": ("x", np.zeros(2)),
    "x-empty": ("x", np.zeros((0, 2))),
    "x-complex": ("x", np.zeros((3, 2), dtype=complex)),
    "x-bool": ("x", np.zeros((3, 2), dtype=bool)),
    "x-nan": ("x", np.full((3, 2), np.nan)),
    "x-nan-with-weights": ("x", np.array([[0.0, 1.0], [np.nan, 0.0], [1.0, 1.0]])),
    "y-wide": ("y", np.zeros((3, 3))),
    "y-too-few-indices": ("y", np.array([0, 1])),
    "y-index-out-of-range": ("y", np.array([0, 2, 1])),
    "y-negative-index": ("y", np.array([0, -1, 1])),
    "y-float-indices": ("y", np.array([0.0, 1.0, 1.0])),
    "y-strings": ("y", np.full((3, 2), "a")),
    "y-inf": ("y", np.full((3, 2), np.inf)),
    "params-not-dict": ("params", [1, 2]),
    "params-wrong-shape": ("W2", np.zeros((2, 3))),
    "params-missing": ("b1", None),
    "params-integer": ("W1", np.zeros((2, 3), dtype=int)),
    "params-mixed-dtypes": ("b2", np.zeros(2, dtype=np.float32)),
    "params-byte-swapped": ("W1", np.zeros((2, 3), dtype=">f8")),
    "x-ragged": ("x", [[0.0, 1.0], [1.0], [0.0, 0.0]]),
    "x-masked": ("x", np.ma.masked_array(np.zeros((3, 2)))),
    "y-masked": ("y", np.ma.masked_array(np.eye(2)[[0, 1, 1]])),
}


def raised_message(function, *arguments) -> str:
    with pytest.raises(ValueError) as raised:
        function(*arguments)
    return str(raised.value)


@pytest.mark.parametrize(
    "argument, value", BAD_ARGUMENTS.values(), ids=list(BAD_ARGUMENTS)
)
def test_bad_arguments_have_the_numpy_kernels_messages(seed_pair, argument, value):
    fused, reference = seed_pair
    params = fused.init_params(np.random.default_rng(0))
    arguments = {"params": params, "x": np.zeros((3, 2)), "y": np.array([0, 1, 1])}
    if argument in fused.PARAM_SHAPES:
        params[argument] = value
    else:
        arguments[argument] = value

    for name in ("loss_and_grads", "loss"):
        expected = raised_message(getattr(reference, name), *arguments.values())
        assert raised_message(getattr(fused, name), *arguments.values()) == expected
    if argument != "y":
        expected = raised_message(
            reference.forward, arguments["params"], arguments["x"]
        )
        assert (
            raised_message(fused.forward, arguments["params"], arguments["x"])
            == expected
        )


@pytest.mark.parametrize(
    "spec_text, max_scalar, message",
    [
        (
            (EXAMPLES / "mnist-mlp.toml").read_text(),
            100,
            r"^<test>: the numba backend unrolls every unit and supports at most 100 "
            r"parameters, but 'mnist-mlp' has 269322; use --backend numpy$",
        ),
        (
            None,
            10,
            r"^<embedded seed>: the numba backend needs every scalar equation of "
            r"'seed', which has 17 parameters; use --max-scalar 17 or more$",
        ),
    ],
    ids=["too-many-parameters", "narrow-instance-only"],
)
def test_unsupported_networks_are_refused(spec_text, max_scalar, message):
    spec = seed_spec() if spec_text is None else parse_spec(spec_text, "<test>")
    with pytest.raises(NotSupportedError, match=message):
        numba_kernels_source(derive(spec, max_scalar), "derive kernels --backend numba")


def test_source_is_reproducible_and_names_its_command():
    derivation = derive(seed_spec())
    first = numba_kernels_source(derivation, "derive kernels --backend numba")
    assert first == numba_kernels_source(
        derive(seed_spec()), "derive kernels --backend numba"
    )
    assert "Regenerate with: derive kernels --backend numba" in first
    assert "log_sum_exp2 = shift2 + math.log(exp_sum2)" in first
    assert "delta_a2_1 = scale * (-y[s, 0] + y_sum * z2_1)" in first


@pytest.mark.parametrize("name", list(SPECS))
def test_a_layer_paragraph_cites_z_only_where_it_computes_z(name):
    spec = seed_spec() if SPECS[name] is None else parse_spec(SPECS[name], "<test>")
    source = numba_kernels_source(derive(spec), "derive kernels --backend numba")
    for paragraph in source.split("\n\n"):
        heading = re.match(r"\s*# Layer (\d+) \(\w+\), equations", paragraph)
        if heading is None:
            continue
        comment = " ".join(re.findall(r"^\s*# (.*)$", paragraph, re.MULTILINE))
        computes_z = re.search(rf"^\s*z{heading[1]}_\d+ = ", paragraph, re.MULTILINE)
        assert ("z, equations" in comment and "is left out" in comment) != bool(
            computes_z
        ), paragraph


A, Z, D = sp.symbols("a1_1 z1_1 delta_z1_1", real=True)


@pytest.mark.parametrize(
    "expression, expected",
    [
        (sp.Max(0, A), "max(a1_1, 0)"),
        (sp.Heaviside(A, 0) * D, "delta_z1_1*(a1_1 > 0)"),
        (
            sp.Piecewise((D, A > 0), (D / 10, True)),
            "(delta_z1_1 if (a1_1 > 0) else (1/10)*delta_z1_1)",
        ),
        (Z * (1 - Z) * D, "delta_z1_1*z1_1*(1 - z1_1)"),
        (sp.log(1 + sp.exp(-sp.Abs(A))), "math.log1p(math.exp(-abs(a1_1)))"),
        (
            sp.exp(-sp.Max(-A, 0)) / (1 + sp.exp(-sp.Abs(A))),
            "math.exp(-max(-a1_1, 0))/(1 + math.exp(-abs(a1_1)))",
        ),
    ],
    ids=[
        "relu",
        "relu-derivative",
        "leaky-relu-derivative",
        "sigmoid-derivative",
        "log1p",
        "stable-sigmoid",
    ],
)
def test_scalar_printer(expression, expected):
    assert to_scalar(expression, {}) == expected


def test_generated_source_is_formatted_linted_and_typed(tmp_path):
    for name, text in SPECS.items():
        spec = seed_spec() if text is None else parse_spec(text, f"{name}.toml")
        source = numba_kernels_source(derive(spec), "derive kernels --backend numba")
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(source)
    ruff = [sys.executable, "-m", "ruff"]
    for command in (
        [*ruff, "format", "--check", str(tmp_path)],
        [*ruff, "check", "--select", "E,F,W,I,B,UP", str(tmp_path)],
        [sys.executable, "-m", "mypy", "--no-error-summary", str(tmp_path)],
    ):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_nan_pre_activation_reaches_the_loss(seed_pair):
    """ReLU as max(a, 0): inf - inf in a1_1 stays NaN, and a NaN loss is no error."""
    fused, _ = seed_pair
    params = {name: np.ones(shape) for name, shape in fused.PARAM_SHAPES.items()}
    params["W1"] *= 1e200
    x = np.array([[1e200, -1e200]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(fused.loss_and_grads(params, x, np.array([0]))[0])


@pytest.mark.parametrize("cache", [None, (), "output"], ids=["none", "empty", "output"])
def test_backward_names_a_bad_cache(seed_pair, cache):
    fused, _ = seed_pair
    params, x, y = random_case(fused, 5, 3, "weights")
    output, _ = fused.forward(params, x)
    with pytest.raises(ValueError, match="^cache must be"):
        fused.backward(params, output if cache == "output" else cache, y)


def with_entry(array: np.ndarray, index, value: float) -> np.ndarray:
    array = array.copy()
    array[index] = value
    return array


def matrix(array: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(array)


REFUSED_ARGUMENTS = {
    "x-masked": (
        "x",
        lambda x: np.ma.masked_array(x, mask=x < 0),
        r"^x is a masked array; fill or drop the masked entries first "
        r"\(x\.filled\(\.\.\.\)\)$",
    ),
    "y-masked": (
        "y",
        lambda y: np.ma.masked_array(y),
        r"^y is a masked array; fill or drop the masked entries first "
        r"\(y\.filled\(\.\.\.\)\)$",
    ),
    "W1-masked": (
        "W1",
        lambda W1: np.ma.masked_array(W1),
        r"^params\['W1'\] is a masked array; fill or drop the masked entries first "
        r"\(params\['W1'\]\.filled\(\.\.\.\)\)$",
    ),
    "b2-masked": (
        "b2",
        lambda b2: np.ma.masked_array(b2, mask=[True, False]),
        r"^params\['b2'\] is a masked array; fill or drop",
    ),
    "W2-matrix": (
        "W2",
        matrix,
        r"^params\['W2'\] must be a plain numpy\.ndarray, got matrix$",
    ),
    "W1-nan": (
        "W1",
        lambda W1: with_entry(W1, (1, 2), np.nan),
        r"^params\['W1'\] must be finite, got NaN or infinity$",
    ),
    "b2-infinity": (
        "b2",
        lambda b2: with_entry(b2, 1, -np.inf),
        r"^params\['b2'\] must be finite, got NaN or infinity$",
    ),
}


@pytest.mark.parametrize(
    "argument, change, message", REFUSED_ARGUMENTS.values(), ids=list(REFUSED_ARGUMENTS)
)
def test_masked_subclassed_and_non_finite_arguments_are_refused(
    seed_pair, argument, change, message
):
    fused, _ = seed_pair
    params, x, y = random_case(fused, 6, 4, "weights")
    arguments = {"params": params, "x": x, "y": y}
    if argument in params:
        params[argument] = change(params[argument])
    else:
        arguments[argument] = change(arguments[argument])

    for function in (fused.loss_and_grads, fused.loss):
        with pytest.raises(ValueError, match=message):
            function(*arguments.values())
    if argument != "y":
        with pytest.raises(ValueError, match=message):
            fused.forward(arguments["params"], arguments["x"])


@pytest.mark.parametrize(
    "argument, value, message",
    [
        ("x", 1e300, r"^x holds values too large for float32$"),
        ("x", -3.5e38, r"^x holds values too large for float32$"),
        ("y", 1e39, r"^y holds values too large for float32$"),
        ("x", np.inf, r"^x must be finite, got NaN or infinity$"),
        ("y", np.nan, r"^y must be finite, got NaN or infinity$"),
    ],
    ids=["x-1e300", "x-minus-3.5e38", "y-1e39", "x-infinity", "y-nan"],
)
def test_float64_values_beyond_float32_are_one_error_without_a_warning(
    seed_pair, argument, value, message
):
    fused, _ = seed_pair
    params = fused.init_params(np.random.default_rng(0), dtype=np.float32)
    arguments = {"x": np.zeros((3, 2)), "y": np.full((3, 2), 0.5)}
    arguments[argument][1, 1] = value

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=message):
            fused.loss_and_grads(params, arguments["x"], arguments["y"])
        if argument == "x":
            with pytest.raises(ValueError, match=message):
                fused.forward(params, arguments["x"])


def test_the_largest_float32_values_pass_from_float64(seed_pair):
    fused, _ = seed_pair
    params = fused.init_params(np.random.default_rng(0), dtype=np.float32)
    x = np.array([[np.finfo(np.float32).max, -np.finfo(np.float32).max]], np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        output, _ = fused.forward(params, x)
    assert output.dtype == np.float32


@pytest.mark.parametrize("rng", [None, 0], ids=["none", "int"])
def test_init_params_wants_a_generator_like_the_numpy_kernels(seed_pair, rng):
    for module in seed_pair:
        with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
            module.init_params(rng)


def test_a_missing_parameter_is_named_by_both_backends(seed_pair):
    for kernels in seed_pair:
        params = kernels.init_params(np.random.default_rng(0))
        del params["W2"]
        expected = r"params\['W2'\] is missing; params must hold W1, b1, W2, b2$"
        with pytest.raises(ValueError, match=expected):
            kernels.loss_and_grads(params, np.zeros((1, 2)), np.eye(2)[:1])
