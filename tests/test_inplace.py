"""In-place statements against SymPy's own evaluation of the same expressions."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derive import inplace, rules
from derive.kernels import backward_in_z

NAMES = {
    rules.a: "a",
    rules.z: "z",
    rules.y: "y",
    rules.dz: "delta_z",
    rules.y_sum: "y_sum",
}
ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh", "softplus", "identity"]
LOSSES = ["mse", "binary_cross_entropy", "cross_entropy"]


def expressions() -> list[tuple[str, sp.Expr]]:
    found = []
    for name in ACTIVATIONS:
        rule = rules.activation_rule(name, 0.1)
        found.append((f"{name} forward", rule.stable))
        found.append((f"{name} derivative", rule.derivative))
        found.append((f"{name} backward", rules.backward_form(rule)))
        for loss in LOSSES:
            delta = rules.output_delta(rule, rules.LOSSES[loss])
            found.append((f"{name} {loss} delta", delta))
    found.append(("softmax cross-entropy delta", rules.z * rules.y_sum - rules.y))
    found.append(("negated sum", -(rules.z + rules.y) * rules.a))
    found.append(("one minus a square", 1 - rules.z**2))
    return found


def arrays(rng: np.random.Generator) -> dict[str, np.ndarray]:
    # z in (0.1, 0.9) keeps every loss's logarithms and quotients finite.
    return {
        "a": rng.normal(size=(5, 3)),
        "z": rng.uniform(0.1, 0.9, size=(5, 3)),
        "y": rng.uniform(0.0, 1.0, size=(5, 3)),
        "delta_z": rng.normal(size=(5, 3)),
        "y_sum": rng.uniform(0.5, 2.0, size=(5, 1)),
    }


def expected_value(expression: sp.Expr, values: dict[str, np.ndarray]) -> np.ndarray:
    symbols = list(NAMES)
    function = sp.lambdify(symbols, expression, modules="numpy")
    result = function(*(values[NAMES[symbol]] for symbol in symbols))
    return np.broadcast_to(result, values["a"].shape)


def run(lines: list[str], values: dict[str, np.ndarray]) -> dict:
    namespace = {"np": np, **values}
    exec("\n".join(lines), namespace)  # noqa: S102 - code this test generated
    return namespace


@pytest.mark.parametrize(
    ("label", "expression"), expressions(), ids=[label for label, _ in expressions()]
)
def test_statements_equal_the_expression_and_leave_inputs_alone(label, expression):
    values = arrays(np.random.default_rng(0))
    before = {name: value.copy() for name, value in values.items()}

    lines = inplace.statements("target", expression, NAMES, new=True)
    result = run(lines, values)["target"]

    np.testing.assert_allclose(result, expected_value(expression, before), rtol=1e-12)
    for name, value in values.items():
        np.testing.assert_array_equal(value, before[name], err_msg=f"{name} changed")
    assert all(id(result) != id(value) for value in values.values())


def test_one_minus_a_square_is_two_steps_over_one_array():
    lines = inplace.statements("t", 1 - rules.z**2, NAMES)
    assert lines == ["t = np.square(z)", "np.subtract(1, t, out=t)"]


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_statements_over_the_source_give_the_activation(name):
    rule = rules.activation_rule(name, 0.1)
    values = arrays(np.random.default_rng(1))
    expected = expected_value(rule.stable, values)

    lines = inplace.statements_over("z_new", rule.stable, NAMES, "a")
    result = run(lines, values)

    np.testing.assert_allclose(result["z_new"], expected, rtol=1e-12)
    assert result["z_new"] is result["a"]


def test_relu_over_its_source_puts_the_number_last():
    rule = rules.activation_rule("relu", 0.1)
    lines = inplace.statements_over("z_new", rule.stable, NAMES, "a")
    assert lines == ["z_new = np.maximum(a, 0, out=a)"]


@pytest.mark.parametrize("name", ["softplus", "sigmoid"])
def test_statements_over_refuse_a_source_read_again(name):
    # Their stable forms read a twice: overwriting it first would spoil the second read.
    rule = rules.activation_rule(name, 0.1)
    assert inplace.statements_over("z_new", rule.stable, NAMES, "a") is None


@pytest.mark.parametrize(
    ("name", "reads_a"),
    [
        ("relu", False),
        ("leaky_relu", False),
        ("sigmoid", True),
        ("tanh", True),
        ("softplus", True),
    ],
)
def test_backward_form_in_z_only_where_it_is_the_same_function(name, reads_a):
    rule = rules.activation_rule(name, 0.1)
    form = backward_in_z(rule)
    assert form.has(rules.a) == reads_a

    # The same values as the form in a, on both sides of the kink and at it.
    for a in (-1.5, 0.0, 2.0):
        z = rule.stable.subs(rules.a, a)
        in_z = form.subs({rules.z: z, rules.a: a, rules.dz: 3})
        in_a = rules.backward_form(rule).subs({rules.a: a, rules.z: z, rules.dz: 3})
        assert sp.simplify(in_z - in_a) == 0


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_kernel_derivative_is_the_derivative_of_the_activation(name):
    rule = rules.activation_rule(name, 0.1)
    derivative = rules.kernel_derivative(rule)

    # At a and at z = f(a) alike, on both sides of 0, against SymPy's own dz/da.
    for a in map(sp.Rational, ("-7.5", "-0.5", "0.25", "3", "12")):
        kernel = derivative.subs({rules.z: rule.forward, rules.a: a})
        exact = sp.diff(rule.forward, rules.a).subs(rules.a, a)
        assert abs(sp.N(kernel - exact, 30)) < 1e-25, a
