"""Stage 3: the backpropagation derivation of a network, every step proved by SymPy.

Input: a ``Spec``. Output: a ``Derivation``, sections of numbered equations in the order a
hand derivation takes (output layer first), each equation a chain of SymPy expressions.
Small networks get every per-parameter equation; a large one gets those of a narrow instance
with the same layers, on which its per-layer rules are proved.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import sympy as sp

from derive.model import Network
from derive.spec import Spec
from derive.verify import prove_step

logger = logging.getLogger(__name__)

DEFAULT_MAX_SCALAR = 100  # parameters up to which every scalar equation is written out
MAX_SCALAR_LIMIT = 2000  # beyond this, writing every equation out takes minutes
# Width of the narrow instance on which a large network's equations are proved.
INSTANCE_UNITS = 3
# Longest output-Delta substitution shown as a step of its own.
MAX_SUBSTITUTED_OPS = 40


@dataclass
class Assumption:
    condition: str  # LaTeX, e.g. \sum_k y_k = 1
    substitution: dict[sp.Symbol, sp.Expr]
    result: sp.Expr


@dataclass
class Equation:
    label: str
    kind: str  # "gradient" or "definition"
    target: sp.Symbol  # the node or parameter differentiated by, or defined
    node: tuple[str, tuple[int, ...]]  # ("w", (l, i, j)) and so on
    steps: list[sp.Expr]
    named: sp.Symbol | None = None  # the Delta symbol that names the result
    assumption: Assumption | None = None
    number: int = 0


@dataclass
class Section:
    title: str
    layer: int  # 0 for the forward pass
    equations: list[Equation] = field(default_factory=list)


@dataclass
class Derivation:
    spec: Spec
    network: Network
    sections: list[Section]
    complete: bool  # every scalar equation written out, or the narrow instance's only
    instance: Spec  # the network on which every scalar equation was proved

    @property
    def equations(self) -> list[Equation]:
        return [equation for section in self.sections for equation in section.equations]


def derive(spec: Spec, max_scalar: int = DEFAULT_MAX_SCALAR) -> Derivation:
    """Build and prove the derivation of ``spec``."""
    started = time.perf_counter()
    complete = spec.parameter_count <= max_scalar
    instance = spec if complete else small_instance(spec)

    network = Network(instance)
    sections = build_sections(network)
    prove_sections(network, sections)
    for number, equation in enumerate(
        (e for section in sections for e in section.equations), start=1
    ):
        equation.number = number
    logger.debug(
        "proved %s in %.2f s", instance.describe(), time.perf_counter() - started
    )
    return Derivation(spec, network, sections, complete, instance)


def small_instance(spec: Spec) -> Spec:
    """The same layers and loss with at most INSTANCE_UNITS units in each layer."""
    layers = tuple(
        replace(layer, units=min(layer.units, INSTANCE_UNITS)) for layer in spec.layers
    )
    return Spec(
        name=spec.name,
        inputs=min(spec.inputs, INSTANCE_UNITS),
        loss=spec.loss,
        layers=layers,
        reduction=spec.reduction,
        source=spec.source,
    )


def build_sections(network: Network) -> list[Section]:
    sections = [forward_section(network)]
    known: dict[sp.Symbol, sp.Expr] = {}
    for l in range(network.depth, 0, -1):
        sections.append(layer_section(network, l, known))
    return sections


def prove_sections(network: Network, sections: list[Section]) -> None:
    known: dict[sp.Symbol, sp.Expr] = {}
    for equation in (e for section in sections for e in section.equations):
        if equation.kind != "gradient":
            continue
        kind, indices = equation.node
        for number, step in enumerate(equation.steps, start=1):
            prove_step(network, equation.label, number, kind, indices, step, known)
        if equation.assumption is not None:
            prove_step(
                network,
                equation.label,
                len(equation.steps) + 1,
                kind,
                indices,
                equation.assumption.result,
                known,
                equation.assumption.substitution,
            )
        if equation.named is not None and indices[0] == network.depth:
            known[equation.named] = equation.steps[-1]


def forward_section(network: Network) -> Section:
    section = Section("Forward pass", 0)
    for l in range(1, network.depth + 1):
        section.equations += [
            definition("a", network.a(l, j), (l, j), network.pre_activation(l, j))
            for j in network.units(l)
        ]
        section.equations += [
            definition("z", network.z(l, j), (l, j), network.activation(l, j))
            for j in network.units(l)
        ]
    loss = sp.Symbol("L")
    section.equations.append(
        Equation("def-loss", "definition", loss, ("L", ()), [network.loss()])
    )
    return section


def definition(kind: str, node: sp.Symbol, indices: tuple[int, int], value) -> Equation:
    """The forward-pass equation defining one node: a_j^(l) or z_j^(l)."""
    l, j = indices
    return Equation(f"def-{kind}-{l}-{j}", "definition", node, (kind, indices), [value])


def layer_section(network: Network, l: int, known) -> Section:
    title = f"Layer {l}: {network.activation_name(l).replace('_', ' ')}"
    section = Section(title, l)
    section.equations += [
        delta_z_equation(network, l, i, known) for i in network.units(l)
    ]
    if l == network.depth:
        known.update({e.named: e.steps[-1] for e in section.equations})
    deltas_a = [delta_a_equation(network, l, j, known) for j in network.units(l)]
    if l == network.depth:
        known.update({e.named: e.steps[-1] for e in deltas_a})
    section.equations += deltas_a

    section.equations += [
        weight_equation(network, l, i, j)
        for j in network.units(l)
        for i in network.units(l - 1)
    ]
    section.equations += [bias_equation(network, l, j) for j in network.units(l)]
    return section


def delta_z_equation(network: Network, l: int, i: int, known) -> Equation:
    z = network.z(l, i)
    if l == network.depth:
        loss = network.loss()
        steps = [sp.Derivative(loss, z), sp.diff(loss, z)]
    else:
        above = network.units(l + 1)
        chain = [
            sp.Derivative(network.pre_activation(l + 1, j), z)
            * network.delta_a(l + 1, j)
            for j in above
        ]
        weighted = [network.w(l + 1, i, j) * network.delta_a(l + 1, j) for j in above]
        steps = [sp.Add(*chain), sp.Add(*weighted)]
        substituted = steps[-1].subs(known)
        # With the output layer's Deltas written out, where that stays short enough to read.
        if l + 1 == network.depth and sp.count_ops(substituted) <= MAX_SUBSTITUTED_OPS:
            steps.append(substituted)
    return Equation(
        f"dz-{l}-{i}", "gradient", z, ("z", (l, i)), steps, network.delta_z(l, i)
    )


def delta_a_equation(network: Network, l: int, j: int, known) -> Equation:
    a = network.a(l, j)
    sources = network.units(l) if network.activation_name(l) == "softmax" else [j]
    chain = [
        sp.Derivative(network.activation(l, k), a) * network.delta_z(l, k)
        for k in sources
    ]
    jacobian = [
        network.jacobian_entry(l, k, j) * network.delta_z(l, k) for k in sources
    ]
    steps = [sp.Add(*chain), sp.Add(*jacobian)]
    assumption = None
    if l == network.depth:
        substituted = tidy(steps[-1].subs(known), network.z(l, j))
        if substituted != steps[-1]:
            steps.append(substituted)
        assumption = labels_sum_to_one(network, substituted, network.z(l, j))
    return Equation(
        f"da-{l}-{j}",
        "gradient",
        a,
        ("a", (l, j)),
        steps,
        network.delta_a(l, j),
        assumption,
    )


def weight_equation(network: Network, l: int, i: int, j: int) -> Equation:
    w = network.w(l, i, j)
    delta = network.delta_a(l, j)
    steps = [
        delta * sp.Derivative(network.pre_activation(l, j), w),
        delta * network.z(l - 1, i),
    ]
    return Equation(f"dw-{l}-{i}-{j}", "gradient", w, ("w", (l, i, j)), steps)


def bias_equation(network: Network, l: int, j: int) -> Equation:
    b = network.b(l, j)
    delta = network.delta_a(l, j)
    steps = [delta * sp.Derivative(network.pre_activation(l, j), b), delta]
    return Equation(f"db-{l}-{j}", "gradient", b, ("b", (l, j)), steps)


def tidy(expression: sp.Expr, z: sp.Symbol) -> sp.Expr:
    """The shortest of a few equivalent forms, collected on the unit's own output z."""
    candidates = [
        sp.collect(sp.expand(expression), z),
        sp.cancel(expression),
        sp.factor(expression),
    ]
    return min(
        candidates, key=lambda form: (sp.count_ops(form), sp.default_sort_key(form))
    )


def labels_sum_to_one(network: Network, expression: sp.Expr, z: sp.Symbol):
    """The shorter form that holds when a sample's labels sum to one (cross-entropy only)."""
    if network.spec.loss != "cross_entropy" or network.spec.output.units < 2:
        return None
    outputs = list(network.units(network.depth))
    labels = sp.Add(*(network.y(k) for k in outputs))
    simpler = expression.subs(labels, 1)
    if sp.count_ops(simpler) >= sp.count_ops(expression):
        return None
    last = network.y(outputs[-1])
    substitution = {last: 1 - sp.Add(*(network.y(k) for k in outputs[:-1]))}
    condition = sp.latex(labels, symbol_names=network.latex_names)
    return Assumption(f"{condition} = 1", substitution, simpler)
