"""Rule tables: each activation and loss as SymPy expressions, kept apart from the logic.

An activation maps one pre-activation ``a`` to ``z``; softmax, the one vector activation,
maps a whole layer and is handled by the model. A loss is a sum over outputs of ``term(z, y)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

a, z, y = sp.symbols("a z y", real=True)

# The logistic sigmoid as e^-softplus(-a), softplus written as below: no exp overflows,
# and far below 0 it keeps full relative precision, where (1 + tanh(a/2))/2 cancels to 0.
SIGMOID_STABLE = sp.exp(-(sp.Max(-a, 0) + sp.log(1 + sp.exp(-sp.Abs(a)))))

# z (1 - z) and 1 - z^2 lose relative precision as the rounded z nears 1 (tanh's by about
# e^(2|a|) ulps: 1e-3 at a = 16); sech^2 of a keeps it, and NumPy and math agree on it.
SIGMOID_DERIVATIVE_STABLE = sp.sech(a / 2) ** 2 / 4
TANH_DERIVATIVE_STABLE = sp.sech(a) ** 2

# For the same reason z - y of a saturating output is taken through 1 - z (or 1 + z)
# from a; each form is z itself at y = 0, exact relative to z there too.
SIGMOID_ONE_MINUS_Z = SIGMOID_STABLE.subs(a, -a)
SIGMOID_RESIDUAL = (1 - y) * z - y * SIGMOID_ONE_MINUS_Z
# z - y = z (1 - |y|) - y (1 - sign(y) z), and 1 -+ z = 2 sigmoid(-+2a).
TANH_ONE_MINUS_Z = 2 * SIGMOID_STABLE.subs(a, -2 * a)
TANH_RESIDUAL = z * (1 - sp.Abs(y)) - y * 2 * SIGMOID_STABLE.subs(
    a, -2 * sp.sign(y) * a
)


@dataclass(frozen=True)
class ActivationRule:
    name: str
    forward: sp.Expr  # z as a function of a, the textbook form
    derivative: sp.Expr  # dz/da written with a and z, as the kernels compute it
    stable: sp.Expr  # the form the kernels evaluate, equal to ``forward``
    latex_name: str
    # dz/da as the kernels evaluate it, where ``derivative`` would lose precision.
    stable_derivative: sp.Expr | None = None
    # 1 - z and z - y as the kernels evaluate them at an output that saturates.
    one_minus_z: sp.Expr | None = None
    residual: sp.Expr | None = None


def leaky_relu(alpha: sp.Rational) -> ActivationRule:
    return ActivationRule(
        name="leaky_relu",
        forward=sp.Max(a, alpha * a),
        derivative=alpha + (1 - alpha) * sp.Heaviside(a, 0),
        stable=sp.Max(a, alpha * a),
        latex_name=r"\operatorname{lrelu}",
    )


ELEMENTWISE = {
    "relu": ActivationRule(
        name="relu",
        forward=sp.Max(0, a),
        derivative=sp.Heaviside(a, 0),
        stable=sp.Max(0, a),
        latex_name=r"\operatorname{relu}",
    ),
    "sigmoid": ActivationRule(
        name="sigmoid",
        forward=1 / (1 + sp.exp(-a)),
        derivative=z * (1 - z),
        stable=SIGMOID_STABLE,
        latex_name=r"\sigma",
        stable_derivative=SIGMOID_DERIVATIVE_STABLE,
        one_minus_z=SIGMOID_ONE_MINUS_Z,
        residual=SIGMOID_RESIDUAL,
    ),
    "tanh": ActivationRule(
        name="tanh",
        forward=sp.tanh(a),
        derivative=1 - z**2,
        stable=sp.tanh(a),
        latex_name=r"\tanh",
        stable_derivative=TANH_DERIVATIVE_STABLE,
        one_minus_z=TANH_ONE_MINUS_Z,
        residual=TANH_RESIDUAL,
    ),
    "softplus": ActivationRule(
        name="softplus",
        forward=sp.log(1 + sp.exp(a)),
        derivative=(1 + sp.tanh(a / 2)) / 2,
        # log(1 + e^a) = max(a, 0) + log(1 + e^-|a|), whose exp cannot overflow.
        stable=sp.Max(a, 0) + sp.log(1 + sp.exp(-sp.Abs(a))),
        latex_name=r"\operatorname{softplus}",
        stable_derivative=SIGMOID_STABLE,
    ),
    "identity": ActivationRule(
        name="identity",
        forward=a,
        derivative=sp.Integer(1),
        stable=a,
        latex_name=r"\operatorname{id}",
    ),
}


def activation_rule(name: str, alpha: float = 0.01) -> ActivationRule:
    """The rule for an elementwise activation; softmax has none (it is not elementwise)."""
    if name == "leaky_relu":
        return leaky_relu(sp.Rational(str(alpha)))
    return ELEMENTWISE[name]


@dataclass(frozen=True)
class LossRule:
    name: str
    term: sp.Expr  # the per-output term of L in z and y; L = sum_k term(z_k, y_k)
    latex_name: str


LOSSES = {
    "cross_entropy": LossRule("cross_entropy", -y * sp.log(z), "cross-entropy"),
    "binary_cross_entropy": LossRule(
        "binary_cross_entropy",
        -(y * sp.log(z) + (1 - y) * sp.log(1 - z)),
        "binary cross-entropy",
    ),
    "mse": LossRule("mse", (z - y) ** 2 / 2, "squared error"),
}


dz = sp.Symbol("delta_z", real=True)
log_z = sp.Symbol(
    "log_z", real=True
)  # ln z, computed without forming z where it can round to 0
log_one_minus_z = sp.Symbol("log_one_minus_z", real=True)  # ln(1 - z), likewise
y_sum = sp.Symbol("y_sum", real=True)  # sum_k y_k over a sample's labels


def backward_form(rule: ActivationRule) -> sp.Expr:
    """delta_a = delta_z * dz/da, as the kernels compute it (leaky ReLU keeps one select)."""
    if rule.name == "leaky_relu":
        alpha = rule.derivative.subs(sp.Heaviside(a, 0), 0)
        return sp.Piecewise((dz, a > 0), (alpha * dz, True))
    return dz * kernel_derivative(rule)


def kernel_derivative(rule: ActivationRule) -> sp.Expr:
    """dz/da in the form the kernels evaluate: the stable one where the rule has one."""
    return rule.derivative if rule.stable_derivative is None else rule.stable_derivative


def output_delta(rule: ActivationRule, loss: LossRule) -> sp.Expr:
    """delta_a of an elementwise output unit, dL/dz * dz/da simplified by SymPy: the
    product cancelled where dz/da cancels a denominator of dL/dz (sigmoid and binary
    cross-entropy give z - y), else dL/dz times the stable dz/da where there is one."""
    gradient = sp.diff(loss.term, z)
    if rule.derivative.has(sp.Heaviside):
        return backward_form(rule).subs(dz, sp.factor(gradient))
    cancelled = sp.factor(sp.cancel(gradient * rule.derivative))
    denominators = sp.denom(cancelled), sp.denom(sp.cancel(gradient))
    cancels = sp.degree(denominators[0], z) < sp.degree(denominators[1], z)
    if rule.stable_derivative is None or cancels:
        delta = cancelled
    else:
        delta = sp.factor(gradient) * rule.stable_derivative
    return delta.subs(saturated_residuals(rule))


def saturated_residuals(rule: ActivationRule) -> dict[sp.Expr, sp.Expr]:
    """z - y and z - 1 in the rule's precise forms, for an output that saturates: from
    the rounded z, z - y keeps few digits next to a target of 0, 1 or -1."""
    if rule.residual is None or rule.one_minus_z is None:
        return {}
    return {z - y: rule.residual, z - 1: -rule.one_minus_z}


def stable_loss_term(activation: str, loss: LossRule) -> sp.Expr:
    """The loss term with ln z written through ``log_z`` where that avoids ln 0, and a
    saturating output's z - y in its precise form."""
    term = loss.term
    rule = ELEMENTWISE.get(activation)
    if rule is not None and rule.residual is not None:  # squared error's (z - y)^2
        term = term.subs(z - y, rule.residual)
    if activation == "sigmoid":
        return term.subs({sp.log(z): log_z, sp.log(1 - z): log_one_minus_z})
    if activation == "softmax":
        return term.subs(sp.log(z), log_z)
    return term
