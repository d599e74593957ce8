"""What a derivative means to the audit, checked against central differences of a
forward pass written here in NumPy; and the random points it judges links at."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.audit.meaning import Meaning
from derive.audit.notation import Diff, Notation, SampleSum
from derive.audit.numeric import (
    KINK_MARGIN,
    KINK_PROBES,
    Undefined,
    draw_points,
    evaluate,
    value_at,
)
from derive.spec import load_spec

DOCS = Path(__file__).parent / "audit_docs"
SPECS = {
    "seed": None,
    "sigmoid-mse": DOCS / "sigmoid_mse.toml",
    "tanh": DOCS / "tanh.toml",
}
ACTIVATIONS = {
    "relu": lambda a: np.maximum(0.0, a),
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "tanh": np.tanh,
    "identity": lambda a: a,
    "softmax": lambda a: np.exp(a) / np.exp(a).sum(),
}
STEP = 1e-6


class Forward:
    """The network's per-sample loss in NumPy, restartable from any node."""

    def __init__(self, notation: Notation, point):
        network, sizes = notation.network, notation.sizes
        values = {**point.parameters, **point.samples[0]}
        self.spec = notation.spec
        self.weights = [None] + [
            np.array(
                [
                    [values[network.w(l, i, j)] for j in network.units(l)]
                    for i in network.units(l - 1)
                ]
            )
            for l in range(1, len(sizes))
        ]
        self.biases = [None] + [
            np.array([values[network.b(l, j)] for j in network.units(l)])
            for l in range(1, len(sizes))
        ]
        self.x = np.array([values[network.x(i)] for i in network.units(0)])
        self.y = np.array([values[network.y(k)] for k in network.units(len(sizes) - 1)])

    def loss(self, start: tuple[str, int] = ("z", 0), start_values=None) -> float:
        """L, computing forward from the a or z of one layer (default: from x)."""
        kind, layer = start
        z = self.x if start_values is None else start_values
        if kind == "a":
            z = ACTIVATIONS[self.spec.layers[layer - 1].activation](start_values)
        for l in range(layer + 1, self.spec.depth + 1):
            z = ACTIVATIONS[self.spec.layers[l - 1].activation](
                z @ self.weights[l] + self.biases[l]
            )
        if self.spec.loss == "cross_entropy":
            return float(-(self.y * np.log(z)).sum())
        return float(((z - self.y) ** 2).sum() / 2)

    def layer_values(self, kind: str, layer: int) -> np.ndarray:
        z = self.x
        for l in range(1, layer + 1):
            a = z @ self.weights[l] + self.biases[l]
            if kind == "a" and l == layer:
                return a
            z = ACTIVATIONS[self.spec.layers[l - 1].activation](a)
        return z


def central_difference(forward: Forward, kind: str, layer: int, index: tuple) -> float:
    def shifted(step: float) -> float:
        if kind in ("w", "b"):
            table = forward.weights if kind == "w" else forward.biases
            saved = table[layer].copy()
            table[layer][tuple(i - 1 for i in index)] += step
            value = forward.loss()
            table[layer][...] = saved
            return value
        values = forward.layer_values(kind, layer).copy()
        values[index[0] - 1] += step
        return forward.loss((kind, layer), values)

    return (shifted(STEP) - shifted(-STEP)) / (2 * STEP)


def variables(notation: Notation):
    sizes = notation.sizes
    for layer in range(0, notation.depth + 1):
        for j in range(1, sizes[layer] + 1):
            yield ("z", layer, (j,))
            if layer:
                yield ("a", layer, (j,))
                yield ("b", layer, (j,))
                for i in range(1, sizes[layer - 1] + 1):
                    yield ("w", layer, (i, j))


@pytest.mark.parametrize("spec_path", SPECS.values(), ids=SPECS.keys())
def test_dL_dv_is_the_backprop_derivative(spec_path):
    notation = Notation(load_spec(spec_path))
    meaning = Meaning(notation)
    for point in draw_points(notation, 3, assumed=True, seed=7):
        forward = Forward(notation, point)
        for kind, layer, index in variables(notation):
            symbol = notation.node(kind, layer, index)
            claimed = value_at(meaning.resolve(Diff(notation.loss, symbol)), point)
            expected = central_difference(forward, kind, layer, index)
            assert claimed == pytest.approx(expected, rel=1e-5, abs=1e-7), (
                kind,
                layer,
                index,
            )


def test_jacobian_entry_and_author_values():
    notation = Notation(load_spec(None))
    meaning = Meaning(notation)
    point = draw_points(notation, 1, assumed=True, seed=3)[0]
    z1, z2 = (point.samples[0][notation.network.z(2, k)] for k in (1, 2))
    jacobian = Diff(notation.network.z(2, 2), notation.network.a(2, 1))
    assert value_at(meaning.resolve(jacobian), point) == pytest.approx(
        -z1 * z2, rel=1e-12
    )

    label = notation.network.delta_z(2, 1)
    given = {label: sp.Integer(5)}
    assert meaning.resolve(3 * label, given) == 15
    y1 = point.samples[0][notation.network.y(1)]
    assert value_at(meaning.resolve(label), point) == pytest.approx(-y1 / z1, rel=1e-12)


def test_batch_loss_is_the_mean_over_samples():
    notation = Notation(load_spec(None))
    meaning = Meaning(notation)
    point = draw_points(notation, 1, assumed=True, seed=5)[0]
    per_sample = [value_at(meaning.resolve(notation.loss), point, n) for n in range(3)]
    batch = value_at(meaning.resolve(notation.batch_loss), point)
    assert batch == pytest.approx(sum(per_sample) / 3, rel=1e-12)
    gradient = Diff(notation.batch_loss, notation.network.b(2, 1))
    each = [
        value_at(
            meaning.resolve(Diff(notation.loss, notation.network.b(2, 1))), point, n
        )
        for n in range(3)
    ]
    assert value_at(meaning.resolve(gradient), point) == pytest.approx(sum(each) / 3)
    assert meaning.resolve(gradient).has(SampleSum)


@pytest.mark.parametrize(
    "assumed", [True, False], ids=["labels-sum-to-one", "free-labels"]
)
def test_points_are_on_a_grid_and_off_the_kinks(assumed):
    notation = Notation(load_spec(None))
    for point in draw_points(notation, 5, assumed=assumed, seed=11):
        for value in point.parameters.values():
            assert round(value, 2) == value
        for sample in point.samples:
            labels = [sample[notation.network.y(k)] for k in (1, 2)]
            if assumed:
                assert sum(labels) == pytest.approx(1.0, abs=1e-12)
            hidden = [sample[notation.network.a(1, j)] for j in (1, 2, 3)]
            assert min(abs(a) for a in hidden) >= KINK_MARGIN


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_relu_unit_is_seen_on_and_off(seed):
    notation = Notation(load_spec(None))
    points = draw_points(notation, 2, assumed=True, seed=seed)
    for j in (1, 2, 3):
        signs = {point.samples[0][notation.network.a(1, j)] > 0 for point in points}
        assert signs == {True, False}


def test_probe_points_put_every_relu_unit_near_every_probe_value():
    notation = Notation(load_spec(None))
    probes = [p for p in draw_points(notation, 2, assumed=True, seed=4) if p.probe]
    assert len(probes) == len(KINK_PROBES)
    for j in (1, 2, 3):
        seen = [point.samples[0][notation.network.a(1, j)] for point in probes]
        nearest = [min(KINK_PROBES, key=lambda t: abs(t - a)) for a in seen]
        assert sorted(nearest) == sorted(KINK_PROBES)
        assert all(
            abs(a - t) <= 0.005 + 1e-12 for a, t in zip(seen, nearest, strict=True)
        )


UNDEFINED = [
    ("step-at-its-kink", sp.Heaviside(sp.Symbol("t"))),
    ("log-of-a-negative", sp.log(sp.Symbol("t") - 1)),
    ("division-by-zero", 1 / sp.Symbol("t")),
    ("overflow", sp.exp(1000 + sp.Symbol("t"))),
    ("no-case-applies", sp.Piecewise((1, sp.Symbol("t") > 1))),
    ("unknown-symbol", sp.Symbol("s")),
]


@pytest.mark.parametrize(
    "expression", [c[1] for c in UNDEFINED], ids=[c[0] for c in UNDEFINED]
)
def test_evaluation_fails_only_as_undefined(expression):
    with pytest.raises(Undefined):
        evaluate(expression, {sp.Symbol("t"): 0.0})
