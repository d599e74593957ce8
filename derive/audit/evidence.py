"""Judging stage 3: whether two sides agree at random points, and the counterexample when
they do not: inputs, weights, labels, both sides' values and the right expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.audit.meaning import Meaning
from derive.audit.notation import Notation, SampleSum
from derive.audit.numeric import Point, Undefined, one_hot_labels, value_at

RELATIVE_TOLERANCE = 1e-7
ABSOLUTE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Comparison:
    holds: bool | None  # None when no point gives both sides a value
    point: Point | None = None  # where the sides differ most, when they differ
    left: float = 0.0
    right: float = 0.0
    undefined: str = ""  # with holds None: 'left', 'right' or 'both', never valued


def agree(left: float, right: float) -> bool:
    scale = max(abs(left), abs(right))
    return abs(left - right) <= RELATIVE_TOLERANCE * scale + ABSOLUTE_TOLERANCE


def gap(left: float, right: float) -> float:
    return abs(left - right) / (max(abs(left), abs(right)) + ABSOLUTE_TOLERANCE)


def compare(
    meaning: Meaning,
    left: sp.Expr,
    right: sp.Expr,
    points: list[Point],
    labels: dict | None = None,
) -> Comparison:
    """Evaluate both sides, resolved, at every point; undefined points are skipped."""
    resolved = meaning.resolve(left, labels), meaning.resolve(right, labels)
    return compare_resolved(*resolved, points)


def compare_resolved(left: sp.Expr, right: sp.Expr, points: list[Point]) -> Comparison:
    """Where the sides differ most; a drawn point before a probe point, whose biases
    were bent to place its pre-activations and make a less natural example."""
    worst, defined, valued = None, 0, {"left": False, "right": False}
    for point in sorted(points, key=lambda point: point.probe):
        if worst is not None and point.probe and not worst[0].probe:
            break
        values = []
        for name, side in (("left", left), ("right", right)):
            try:
                values.append(value_at(side, point))
                valued[name] = True
            except Undefined:
                pass
        if len(values) < 2:
            continue
        defined += 1
        if not agree(*values) and (worst is None or gap(*values) > gap(*worst[1:])):
            worst = (point, *values)
    if defined == 0:
        never = [name for name, seen in valued.items() if not seen]
        return Comparison(None, undefined="both" if len(never) != 1 else never[0])
    if worst is None:
        return Comparison(True)
    return Comparison(False, *worst)


def sharpest(
    meaning: Meaning, left: sp.Expr, right: sp.Expr, found: Comparison
) -> Comparison:
    """For cross-entropy, the one-hot labels at the same point that show the mistake
    most plainly, if any does; else the point found."""
    notation = meaning.notation
    if notation.spec.loss != "cross_entropy":
        return found
    variants = [found.point.with_labels(labels) for labels in one_hot_labels(notation)]
    better = compare(meaning, left, right, variants)
    return better if better.holds is False else found


def counterexample(
    notation: Notation,
    comparison: Comparison,
    batch: bool,
    env: dict[str, int],
    right: tuple[str, float] | None,
) -> dict:
    """The values a reader needs to check the mistake by hand."""
    point = comparison.point
    names = notation.network.latex_names
    samples = point.samples if batch else point.samples[:1]

    def pick(sample, kind):
        return {
            names[symbol]: value
            for symbol, value in sample.items()
            if notation.nodes[symbol].kind == kind
        }

    inputs = [pick(sample, "x") for sample in samples]
    labels = [pick(sample, "y") for sample in samples]
    parameters = {"w": {}, "b": {}}
    for symbol, value in point.parameters.items():
        parameters[notation.nodes[symbol].kind][names[symbol]] = value
    example = {
        "inputs": inputs if batch else inputs[0],
        "weights": parameters["w"],
        "biases": parameters["b"],
        "labels": labels if batch else labels[0],
        "lhs_value": comparison.left + 0.0,  # + 0.0 turns -0.0 into 0.0
        "rhs_value": comparison.right + 0.0,
    }
    if batch:
        example["batch_size"] = len(samples)
    if env:
        example["index_values"] = dict(env)
    if right is not None:
        example["right_expression"] = right[0]
        example["right_value"] = right[1] + 0.0
    return example


def uses_batch(meaning: Meaning, *sides: sp.Expr) -> bool:
    return any(meaning.resolve(side).has(SampleSum) for side in sides)


def distinct(left: float, right: float) -> tuple[str, str]:
    """Both values to 6 significant digits, or as many more as it takes to tell them
    apart (0.0297399 and 0.0297399 say nothing)."""
    for digits in range(6, 18):
        shown = f"{left + 0.0:.{digits}g}", f"{right + 0.0:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return shown
