"""Every step of derivation.json against derivatives taken numerically, independently of derive."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.derivation import build_sections, derive, prove_sections
from derive.errors import VerificationError
from derive.latex import derivation_json
from derive.model import Network
from derive.spec import load_spec, seed_spec

EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.toml"))
STEP = 1e-6


def activate(name: str, a: np.ndarray, alpha: float) -> np.ndarray:
    if name == "softmax":
        e = np.exp(a - a.max())
        return e / e.sum()
    return {
        "relu": lambda: np.maximum(a, 0),
        "leaky_relu": lambda: np.where(a > 0, a, alpha * a),
        "sigmoid": lambda: 1 / (1 + np.exp(-a)),
        "tanh": lambda: np.tanh(a),
        "softplus": lambda: np.log1p(np.exp(a)),
        "identity": lambda: a,
    }[name]()


def sample_loss(name: str, z: np.ndarray, y: np.ndarray) -> float:
    if name == "cross_entropy":
        return float(-(y * np.log(z)).sum())
    if name == "binary_cross_entropy":
        return float(-(y * np.log(z) + (1 - y) * np.log(1 - z)).sum())
    return float(((z - y) ** 2).sum() / 2)


class Point:
    """Random inputs, labels and parameters, with a forward pass that can nudge one value."""

    def __init__(self, network: dict, rng: np.random.Generator):
        self.network = network
        sizes = network["layer_sizes"]
        self.values = {f"x_{i + 1}": v for i, v in enumerate(rng.normal(size=sizes[0]))}
        for k, v in enumerate(rng.uniform(0.1, 0.9, size=sizes[-1])):
            self.values[f"y_{k + 1}"] = v
        for l in range(1, len(sizes)):
            for i in range(1, sizes[l - 1] + 1):
                for j in range(1, sizes[l] + 1):
                    self.values[f"w_{l}_{i}_{j}"] = rng.normal()
            for j in range(1, sizes[l] + 1):
                self.values[f"b_{l}_{j}"] = rng.normal() + (
                    1.5 if l == len(sizes) - 1 else 0
                )
        self.loss(record=True)

    def loss(self, nudge: str | None = None, record: bool = False) -> float:
        sizes = self.network["layer_sizes"]
        values = dict(self.values)
        if nudge in values:
            values[nudge] += STEP if not record else 0.0
        z = np.array([values[f"x_{i}"] for i in range(1, sizes[0] + 1)])
        for l, layer in enumerate(self.network["layers"], start=1):
            a = np.array(
                [
                    sum(
                        values[f"w_{l}_{i}_{j}"] * z[i - 1]
                        for i in range(1, sizes[l - 1] + 1)
                    )
                    + values[f"b_{l}_{j}"]
                    for j in range(1, sizes[l] + 1)
                ]
            )
            a = self.nudged(a, f"a_{l}_", nudge, record)
            z = activate(layer["activation"], a, layer.get("alpha", 0.01))
            z = self.nudged(z, f"z_{l}_", nudge, record)
        y = np.array([values[f"y_{k}"] for k in range(1, sizes[-1] + 1)])
        return sample_loss(self.network["loss"], z, y)

    def nudged(self, vector, prefix, nudge, record):
        vector = vector.copy()
        for j in range(len(vector)):
            if record:
                self.values[f"{prefix}{j + 1}"] = vector[j]
            elif nudge == f"{prefix}{j + 1}":
                vector[j] += STEP
        return vector

    def derivative(self, name: str) -> float:
        """dL/d(name) by central differences, the other nodes of its layer held fixed."""
        saved = self.values.get(name)
        above = self.loss(nudge=name)
        global STEP
        STEP = -STEP
        below = self.loss(nudge=name)
        STEP = -STEP
        if saved is not None:
            self.values[name] = saved
        return (above - below) / (2 * STEP)


def evaluate(step: str, point: Point, deltas: dict[str, float]) -> float:
    expression = sp.sympify(step).doit()
    values = {**point.values, **deltas}
    missing = {s.name for s in expression.free_symbols} - values.keys()
    assert not missing, f"step uses unknown symbols {missing}"
    return float(expression.subs({s: values[s.name] for s in expression.free_symbols}))


def check_document(document: dict, seed: int) -> int:
    network = document["equations_network"]
    point = Point(network, np.random.default_rng(seed))
    kinks = [v for n, v in point.values.items() if n.startswith("a_")]
    if any(abs(v) < 1e-3 for v in kinks):
        return 0
    deltas = {}
    for name in list(point.values):
        if name[0] in "az":
            deltas[f"delta_{name}"] = point.derivative(name)
    checked = 0
    for equation in document["equations"]:
        if equation["kind"] != "gradient":
            continue
        truth = point.derivative(equation["target"])
        for step in equation["steps"]:
            value = evaluate(step, point, deltas)
            assert value == pytest.approx(truth, rel=1e-5, abs=1e-7), (
                f"{equation['label']}: {step}"
            )
            checked += 1
    return checked


@pytest.mark.parametrize(
    "path", [None, *EXAMPLES], ids=lambda p: p.stem if p else "embedded"
)
def test_every_json_step_is_the_true_derivative(path):
    document = json.loads(derivation_json(derive(load_spec(path))))
    checked = sum(check_document(document, seed) for seed in range(3))
    assert checked > 0


@pytest.mark.parametrize(
    "path", [None, *EXAMPLES], ids=lambda p: p.stem if p else "embedded"
)
def test_every_node_and_parameter_has_an_equation(path):
    document = json.loads(derivation_json(derive(load_spec(path))))
    sizes = document["equations_network"]["layer_sizes"]
    expected = set()
    for l in range(1, len(sizes)):
        for j in range(1, sizes[l] + 1):
            expected |= {f"a_{l}_{j}", f"z_{l}_{j}", f"b_{l}_{j}"}
            expected |= {f"w_{l}_{i}_{j}" for i in range(1, sizes[l - 1] + 1)}
    gradient_targets = {
        e["target"] for e in document["equations"] if e["kind"] == "gradient"
    }
    assert expected <= gradient_targets


def test_document_mistake_is_corrected_for_one_hot_labels():
    """For y = (1, 0) the shortcut gives dL/da_2^(2) = 0; the derivation gives z_2^(2)."""
    document = json.loads(derivation_json(derive(seed_spec())))
    equation = next(e for e in document["equations"] if e["label"] == "eq:da-2-2")
    value = sp.sympify(equation["steps"][-1]).subs({"y_1": 1, "y_2": 0})
    assert sp.simplify(value - sp.Symbol("z_2_2")) == 0
    assumed = sp.sympify(equation["assumption"]["result"])
    assert sp.simplify(assumed - (sp.Symbol("z_2_2") - sp.Symbol("y_2"))) == 0


def test_a_wrong_step_stops_generation_and_is_named():
    network = Network(seed_spec())
    sections = build_sections(network)
    equation = next(e for s in sections for e in s.equations if e.label == "da-2-1")
    # The one-path shortcut: only z_1 depends on a_1.
    equation.steps[1] = network.delta_z(2, 1) * network.z(2, 1) * (1 - network.z(2, 1))
    with pytest.raises(VerificationError, match="step 2 of equation 'da-2-1'"):
        prove_sections(network, sections)


def test_large_network_is_derived_on_a_narrow_instance():
    derivation = derive(load_spec(Path("examples/mnist-mlp.toml")))
    assert not derivation.complete
    assert derivation.instance.layer_sizes == (3, 3, 3, 3)
