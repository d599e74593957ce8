"""Judging stage 2: random points of a network, and SymPy expressions evaluated at them.

A point is weights and biases with a batch of samples (inputs, labels, every a and z).
Values lie on a 0.01 grid, so a counterexample prints exactly, and off the ReLU kinks.
Evaluation is in float64 and fails only with ``Undefined``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from derive.audit.notation import Held, Notation, SampleSum

BATCH_SIZE = 3
KINK_MARGIN = (
    0.05  # |a| below this at a ReLU counts as on the kink; such points are redrawn
)
KINKED = ("relu", "leaky_relu")
# Where the probe points put each ReLU unit's pre-activation (to within 0.005), one value
# per point, so that a step placed wrong (at a = 1, or smoothed out) meets a sample
# between its own kink and the true one. The ReLU units of the other layers are put on
# (at ON_PROBES), so that the probed layer's gradients are not cut off behind them.
KINK_PROBES = (0.08, 0.4, 1.2, 3.5, -0.08, -0.4, -1.2, -3.5)
ON_PROBES = (0.4, 1.2, 0.8, 2.5)
# At most this many probe points in all; a deep network probes fewer values a layer.
MAX_PROBE_POINTS = 48


@dataclass(frozen=True)
class Probe:
    layer: int  # the layer whose ReLU units take KINK_PROBES
    number: int  # which of them: unit j takes KINK_PROBES[(number + j) % 8]

    def target(self, layer: int, j: int) -> float:
        if layer == self.layer:
            return KINK_PROBES[(self.number + j) % len(KINK_PROBES)]
        return ON_PROBES[(self.number + j) % len(ON_PROBES)]


MAX_REDRAWS = 200


class Undefined(ArithmeticError):
    """The expression has no finite real value at this point."""


@dataclass(frozen=True)
class Point:
    parameters: dict[sp.Symbol, float]
    samples: tuple[dict[sp.Symbol, float], ...]
    batch_size: sp.Symbol
    probe: bool = False  # its ReLU pre-activations were placed, not drawn

    def with_labels(self, labels: dict[sp.Symbol, float]) -> Point:
        """The same point with the labels of every sample replaced."""
        samples = tuple({**sample, **labels} for sample in self.samples)
        return replace(self, samples=samples)


def draw_points(
    notation: Notation, count: int, assumed: bool, seed: int
) -> list[Point]:
    """Random points; assumed=True draws labels that satisfy the loss's assumption.
    More are drawn, up to four times as many, until every ReLU unit is seen both on
    and off, so that a claim wrong for only one side of a kink cannot slip through;
    then, for each layer of ReLU units, probe points that put them near each value of
    KINK_PROBES."""
    rng = np.random.default_rng(seed)
    points = [draw_point(notation, rng, assumed) for _ in range(count)]
    while len(points) < 4 * count and not covers_kinks(notation, points):
        points.append(draw_point(notation, rng, assumed))
    return points + [draw_point(notation, rng, assumed, p) for p in probes(notation)]


def probes(notation: Notation) -> list[Probe]:
    network = notation.network
    layers = [
        layer
        for layer in range(1, notation.depth + 1)
        if network.activation_name(layer) in KINKED
    ]
    if not layers:
        return []
    each = max(2, min(len(KINK_PROBES), MAX_PROBE_POINTS // len(layers)))
    step = len(KINK_PROBES) // each  # a spread of values when not all are probed
    return [
        Probe(layer, (k * step + layer) % len(KINK_PROBES))
        for layer in layers
        for k in range(each)
    ]


def covers_kinks(notation: Notation, points: list[Point]) -> bool:
    network = notation.network
    for layer in range(1, notation.depth + 1):
        if network.activation_name(layer) not in KINKED:
            continue
        for j in network.units(layer):
            signs = {point.samples[0][network.a(layer, j)] > 0 for point in points}
            if len(signs) < 2:
                return False
    return True


def draw_point(
    notation: Notation, rng, assumed: bool, probe: int | None = None
) -> Point:
    """A random point; with a probe, its first sample's ReLU pre-activations are
    moved, through the biases, near the probe's targets."""
    network = notation.network
    for _ in range(MAX_REDRAWS):
        parameters = {}
        for layer in range(1, notation.depth + 1):
            for j in network.units(layer):
                parameters[notation.node("b", layer, (j,))] = grid(rng, 1.0)
                for i in network.units(layer - 1):
                    parameters[notation.node("w", layer, (i, j))] = grid(rng, 1.5)
        samples = [
            draw_sample(notation, rng, parameters, assumed, probe if n == 0 else None)
            for n in range(BATCH_SIZE)
        ]
        if all(sample is not None for sample in samples):
            return Point(
                parameters, tuple(samples), notation.batch_size, probe is not None
            )
    raise Undefined("no point away from the ReLU kinks was found")


def draw_sample(
    notation: Notation, rng, parameters, assumed: bool, probe: Probe | None = None
) -> dict | None:
    """One sample's inputs, labels and forward pass, or None if it sits on a kink.
    With a probe, the biases of ReLU units are changed in ``parameters`` to put this
    sample's pre-activations near the probe's targets."""
    network = notation.network
    values = {notation.node("x", 0, (i,)): grid(rng, 2.0) for i in network.units(0)}
    values.update(draw_labels(notation, rng, assumed))
    known = {**parameters, **values}
    for layer in range(1, notation.depth + 1):
        kinked = network.activation_name(layer) in KINKED
        for j in network.units(layer):
            a = notation.node("a", layer, (j,))
            known[a] = evaluate(network.pre_activation(layer, j), known)
            if kinked and probe is not None:
                b = notation.node("b", layer, (j,))
                shift = probe.target(layer, j) - known[a]
                parameters[b] = known[b] = round(known[b] + shift, 2)
                known[a] = evaluate(network.pre_activation(layer, j), known)
            if kinked and abs(known[a]) < KINK_MARGIN:
                return None
        for j in network.units(layer):
            z = notation.node("z", layer, (j,))
            known[z] = evaluate(network.activation(layer, j), known)
    return {
        symbol: value for symbol, value in known.items() if symbol not in parameters
    }


def draw_labels(notation: Notation, rng, assumed: bool) -> dict[sp.Symbol, float]:
    outputs = notation.sizes[-1]
    labels = [notation.node("y", 0, (k,)) for k in range(1, outputs + 1)]
    loss = notation.spec.loss
    if loss == "cross_entropy" and assumed:
        shares = rng.dirichlet(np.ones(outputs))
        values = [round(float(share), 2) for share in shares[:-1]]
        values.append(round(1.0 - sum(values), 2))
        if values[-1] < 0:
            values = [0.0] * (outputs - 1) + [1.0]
    elif loss == "mse":
        values = [grid(rng, 1.0) for _ in labels]
    else:
        values = [round(float(rng.uniform(0.05, 1.0)), 2) for _ in labels]
    return dict(zip(labels, values, strict=True))


def grid(rng, half_width: float) -> float:
    return round(float(rng.uniform(-half_width, half_width)), 2)


def one_hot_labels(notation: Notation) -> list[dict[sp.Symbol, float]]:
    """Each one-hot label vector, for the cross-entropy assumption's counterexamples."""
    outputs = notation.sizes[-1]
    labels = [notation.node("y", 0, (k,)) for k in range(1, outputs + 1)]
    return [
        {label: float(k == hot) for k, label in enumerate(labels)}
        for hot in range(outputs)
    ]


def value_at(expression: sp.Expr, point: Point, sample: int = 0) -> float:
    """The expression at one sample of the point; sums over the batch use them all."""
    known = {
        **point.parameters,
        **point.samples[sample],
        point.batch_size: len(point.samples),
    }
    return evaluate(expression, known, point)


def evaluate(expression: sp.Basic, known: dict, point: Point | None = None) -> float:
    try:
        result = _evaluate(expression, known, point, {})
    except (OverflowError, ZeroDivisionError, ValueError, TypeError) as error:
        raise Undefined(str(error)) from None
    if isinstance(result, bool) or not math.isfinite(result):
        raise Undefined(f"the value is {result}")
    return result


def _evaluate(expression: sp.Basic, known: dict, point: Point | None, memo: dict):
    """The value of one node of the tree; memo holds subtrees already valued."""
    found = memo.get(expression)
    if found is None:
        found = memo[expression] = _evaluate_node(expression, known, point, memo)
    return found


def _evaluate_node(expression: sp.Basic, known: dict, point: Point | None, memo: dict):
    if expression.is_Symbol:
        if expression in known:
            return known[expression]
        raise Undefined(f"{expression} has no value at this point")
    if expression.is_Number:
        return float(expression)
    if expression in CONSTANTS:
        return CONSTANTS[expression]
    if isinstance(expression, SampleSum):
        if point is None:
            raise Undefined("a sum over the batch outside a batch")
        body = expression.args[0]
        return math.fsum(value_at(body, point, n) for n in range(len(point.samples)))
    rule = RULES.get(type(expression))
    if rule is None:
        rule = next(
            (RULES[kind] for kind in RULES if isinstance(expression, kind)), None
        )
    if rule is None:
        raise Undefined(f"cannot evaluate {type(expression).__name__}")
    if isinstance(expression, sp.Piecewise):
        return rule(expression, known, point, memo)
    return rule(
        *(_evaluate(argument, known, point, memo) for argument in expression.args)
    )


def power(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        raise ZeroDivisionError("0 to a negative power")
    if base < 0 and not float(exponent).is_integer():
        raise ValueError("a negative number to a fractional power")
    return math.pow(base, exponent)


def heaviside(value: float, *at_zero: float) -> float:
    if value == 0:
        raise Undefined("a step function at its kink")
    return 1.0 if value > 0 else 0.0


def piecewise(
    expression: sp.Piecewise, known: dict, point: Point | None, memo
) -> float:
    for value, condition in expression.args:
        if _evaluate(condition, known, point, memo):
            return _evaluate(value, known, point, memo)
    raise Undefined("no case of the piecewise expression applies")


def logarithm(value: float, *base: float) -> float:
    return math.log(value, *base)


CONSTANTS = {sp.E: math.e, sp.pi: math.pi, sp.true: True, sp.false: False}
RULES = {
    sp.Add: lambda *terms: math.fsum(terms),
    sp.Mul: lambda *factors: math.prod(factors),
    sp.Pow: power,
    sp.exp: math.exp,
    sp.log: logarithm,
    sp.tanh: math.tanh,
    sp.Max: max,
    sp.Min: min,
    sp.Abs: abs,
    sp.sign: lambda value: float(np.sign(value)),
    sp.Heaviside: heaviside,
    sp.DiracDelta: lambda value, *order: 0.0 if value != 0 else heaviside(0.0),
    sp.Piecewise: piecewise,
    Held: lambda value: value,
    sp.StrictLessThan: lambda left, right: left < right,
    sp.LessThan: lambda left, right: left <= right,
    sp.StrictGreaterThan: lambda left, right: left > right,
    sp.GreaterThan: lambda left, right: left >= right,
    # Labels on a 0.01 grid sum to one only up to rounding.
    sp.Eq: lambda left, right: math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12),
    sp.Ne: lambda left, right: left != right,
    sp.And: lambda *values: all(values),
    sp.Or: lambda *values: any(values),
    sp.Not: lambda value: not value,
}
