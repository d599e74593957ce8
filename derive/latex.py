"""Stage 4a: render a proved ``Derivation`` as a standalone LaTeX document and as JSON.

The template holds the layout; every formula comes from SymPy through ``printing``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sympy as sp

from derive import render, rules
from derive.derivation import Derivation, Equation
from derive.model import Network
from derive.printing import to_latex, wrap_tex
from derive.spec import Spec

LONG_SIDE = 110  # characters of LaTeX beyond which a sum is set one term per line
MAX_DRAWN_UNITS = 6
DRAWING_WIDTH_CM = 14.0  # the text is about 17 cm wide; columns are 9 mm circles  # wider layers are drawn as their first units, dots, and the last


@dataclass
class Line:
    latex: str
    label: str | None  # the equation's label on its last line, None on the others


def derivation_latex(derivation: Derivation, command: str) -> str:
    network = derivation.network
    context = {
        "spec": derivation.spec,
        "instance": derivation.instance,
        "complete": derivation.complete,
        "command": command,
        "sections": [
            {
                "title": section.title,
                "layer": section.layer,
                "groups": equation_groups(network, section.equations),
                "rules": layer_rules(network, section.layer) if section.layer else [],
            }
            for section in derivation.sections
        ],
        "drawing": network_drawing(derivation.spec),
        "column_spacing": column_spacing(derivation.spec),
        "notes": layer_notes(derivation),
        "loss_latex": loss_latex(network),
    }
    return wrap_tex(render.render("derivation.tex.j2", context, latex=True))


def equation_groups(network: Network, equations: list[Equation]) -> list[list[Line]]:
    """Equations in runs of the same kind, each run one align environment."""
    groups: list[list[Line]] = []
    previous = None
    for equation in equations:
        key = (equation.kind, equation.label.rsplit("-", 1)[0])
        if key != previous:
            groups.append([])
            previous = key
        groups[-1] += equation_lines(network, equation)
    return groups


def equation_lines(network: Network, equation: Equation) -> list[Line]:
    names = network.latex_names
    if equation.kind == "definition":
        left = "L" if equation.target.name == "L" else to_latex(equation.target, names)
    else:
        left = rf"\frac{{\partial L}}{{\partial {to_latex(equation.target, names)}}}"
    sides = [side_latex(shorten_loss(network, step), names) for step in equation.steps]
    if equation.assumption is not None:
        result = to_latex(equation.assumption.result, names)
        condition = equation.assumption.condition
        sides.append(rf"{result} \quad \text{{when }} {condition}")
    if equation.named is not None:
        sides[-1 if equation.assumption is None else -2] += (
            rf" \eqqcolon {to_latex(equation.named, names)}"
        )
    lines = [Line(rf"{left} &= {sides[0]}", None)]
    lines += [Line(rf"&= {side}", None) for side in sides[1:]]
    lines[-1].label = f"eq:{equation.label}"
    return lines


def shorten_loss(network: Network, step: sp.Expr) -> sp.Expr:
    """A derivative of a long loss is written as one of L, which the forward pass defines."""
    loss = network.loss()
    if (
        not step.has(sp.Derivative)
        or len(to_latex(loss, network.latex_names)) <= LONG_SIDE
    ):
        return step
    return step.replace(
        lambda node: isinstance(node, sp.Derivative) and node.expr == loss,
        lambda node: sp.Derivative(sp.Symbol("L"), *node.variables),
    )


def side_latex(step: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    """A long sum, one term per line so that the page holds it."""
    text = to_latex(step, names)
    if len(text) <= LONG_SIDE or not isinstance(step, sp.Add):
        return text
    terms = [to_latex(term, names) for term in step.as_ordered_terms()]
    joined = terms[0]
    for term in terms[1:]:
        sign, body = ("-", term[1:].lstrip()) if term.startswith("-") else ("+", term)
        joined += rf" \nonumber \\ &\qquad {sign} {body}"
    return joined


def loss_latex(network: Network) -> str:
    return side_latex(network.loss(), network.latex_names)


def column_spacing(spec: Spec) -> str:
    """Centimetres between the drawing's columns, so that deep networks fit the page."""
    return f"{min(3.2, DRAWING_WIDTH_CM / spec.depth):.2f}"


def layer_rules(network: Network, l: int) -> list[str]:
    """The index-form rules of layer l; they hold at every width."""
    f_prime = activation_derivative_latex(network, l)
    rules_latex = []
    if l == network.depth:
        term = network.loss_rule().term
        gradient = sp.diff(term, rules.z).subs(
            {rules.z: sp.Symbol("z_k^{(L)}"), rules.y: sp.Symbol("y_k")}
        )
        rules_latex.append(
            rf"\Delta z_k^{{({l})}} &= {sp.latex(gradient, ln_notation=True).replace('L', str(l))}"
        )
    if network.activation_name(l) == "softmax":
        rules_latex.append(
            rf"\Delta a_j^{{({l})}} &= \sum_k z_k^{{({l})}} (\delta_{{kj}} - z_j^{{({l})}})"
            rf" \Delta z_k^{{({l})}} = z_j^{{({l})}} \Big(\Delta z_j^{{({l})}}"
            rf" - \sum_k z_k^{{({l})}} \Delta z_k^{{({l})}}\Big)"
        )
    else:
        rules_latex.append(
            rf"\Delta a_j^{{({l})}} &= {f_prime} \, \Delta z_j^{{({l})}}"
        )
    previous = "x_i" if l == 1 else rf"z_i^{{({l - 1})}}"
    rules_latex.append(
        rf"\frac{{\partial L}}{{\partial w_{{ij}}^{{({l})}}}} &= \Delta a_j^{{({l})}} {previous}"
    )
    rules_latex.append(
        rf"\frac{{\partial L}}{{\partial b_j^{{({l})}}}} &= \Delta a_j^{{({l})}}"
    )
    if l > 1:
        rules_latex.append(
            rf"\Delta z_i^{{({l - 1})}} &= \sum_j w_{{ij}}^{{({l})}} \Delta a_j^{{({l})}}"
        )
    return rules_latex


def activation_derivative_latex(network: Network, l: int) -> str:
    if network.activation_name(l) == "softmax":
        return ""
    a_j = sp.Symbol(f"a_j^{{({l})}}")
    z_j = sp.Symbol(f"z_j^{{({l})}}")
    derivative = network.rule(l).derivative.subs({rules.a: a_j, rules.z: z_j})
    text = to_latex(derivative, {})
    # A sum multiplies Delta z as a whole: 1 - z^2 needs its brackets.
    return rf"\left({text}\right)" if isinstance(derivative, sp.Add) else text


def layer_notes(derivation: Derivation) -> dict[int, str]:
    """A remark per layer where a common hand derivation goes wrong."""
    network = derivation.network
    notes = {}
    for l in range(1, network.depth + 1):
        if network.activation_name(l) == "softmax" and network.sizes[l] > 1:
            notes[l] = "softmax"
    return notes


def network_drawing(spec: Spec) -> list[dict]:
    """Columns of nodes for the TikZ picture, wide layers shortened."""
    columns = []
    for l, size in enumerate(spec.layer_sizes):
        shown = list(range(1, size + 1))
        if size > MAX_DRAWN_UNITS:
            shown = [1, 2, 3, None, size]
        nodes = []
        for position, unit in enumerate(shown):
            if unit is None:
                label = r"\vdots"
            elif l == 0:
                label = f"x_{{{unit}}}"
            else:
                label = f"z_{{{unit}}}^{{({l})}}"
            nodes.append({"unit": unit, "label": label, "position": position})
        activation = (
            "input" if l == 0 else spec.layers[l - 1].activation.replace("_", " ")
        )
        columns.append(
            {
                "layer": l,
                "nodes": nodes,
                "count": len(shown),
                "size": size,
                "title": activation,
            }
        )
    return columns


def derivation_json(derivation: Derivation) -> str:
    network = derivation.network
    document = {
        "network": spec_json(derivation.spec),
        "complete": derivation.complete,
        "equations_network": spec_json(derivation.instance),
        "equations": [equation_json(network, e) for e in derivation.equations],
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def spec_json(spec: Spec) -> dict:
    layers = []
    for layer in spec.layers:
        entry = {"units": layer.units, "activation": layer.activation}
        if layer.activation == "leaky_relu":
            entry["alpha"] = layer.alpha
        layers.append(entry)
    return {
        "name": spec.name,
        "inputs": spec.inputs,
        "layers": layers,
        "loss": spec.loss,
        "reduction": spec.reduction,
        "layer_sizes": list(spec.layer_sizes),
        "parameters": spec.parameter_count,
    }


def equation_json(network: Network, equation: Equation) -> dict:
    lines = equation_lines(network, equation)
    entry = {
        "number": equation.number,
        "label": f"eq:{equation.label}",
        "kind": equation.kind,
        "target": equation.target.name,
        "latex": " ".join(line.latex for line in lines).replace("&", ""),
        "steps": [sp.sstr(step) for step in equation.steps],
        "named": equation.named.name if equation.named is not None else None,
        "assumption": None,
    }
    if equation.assumption is not None:
        entry["assumption"] = {
            "condition": equation.assumption.condition,
            "result": sp.sstr(equation.assumption.result),
        }
    return entry
