"""Stage 4b: render NumPy forward/backward kernels for a spec from its derivation.

The template lays out one paragraph per layer; each activation, its derivative and the
output layer's loss and delta are SymPy expressions from ``rules``, printed as NumPy.
"""

from __future__ import annotations

import re

import sympy as sp

from derive import render, rules
from derive.derivation import Derivation
from derive.formatting import format_python
from derive.printing import to_numpy
from derive.spec import Spec

# Softmax rows up to this wide take their maximum column by column.
UNROLLED_MAX_WIDTH = 4


def kernels_source(derivation: Derivation, command: str) -> str:
    spec = derivation.spec
    numbers = equation_numbers(derivation)
    layers = [layer_context(spec, l, numbers) for l in range(1, spec.depth + 1)]
    context = {
        "spec": spec,
        "command": command,
        "layers": layers,
        "output": output_context(spec),
        "param_shapes": param_shapes(spec),
        "uses_softmax": any(layer.activation == "softmax" for layer in spec.layers),
    }
    return format_python(render.render("kernels.py.j2", context))


def param_shapes(spec: Spec) -> list[tuple[str, tuple[int, ...]]]:
    sizes = spec.layer_sizes
    shapes = []
    for l in range(1, len(sizes)):
        shapes.append((f"W{l}", (sizes[l - 1], sizes[l])))
        shapes.append((f"b{l}", (sizes[l],)))
    return shapes


def equation_numbers(derivation: Derivation) -> dict[str, str]:
    """For each label prefix (``da-2``), the range of equation numbers it covers."""
    spans: dict[str, list[int]] = {}
    for equation in derivation.equations:
        prefix = "-".join(
            equation.label.split("-")[: 3 if equation.label.startswith("def") else 2]
        )
        spans.setdefault(prefix, []).append(equation.number)
    return {
        prefix: f"({min(found)})"
        if min(found) == max(found)
        else f"({min(found)})-({max(found)})"
        for prefix, found in spans.items()
    }


def layer_context(spec: Spec, l: int, numbers: dict[str, str]) -> dict:
    layer = spec.layers[l - 1]
    previous = "x" if l == 1 else f"z{l - 1}"
    names = {rules.a: f"a{l}", rules.z: f"z{l}", rules.dz: f"delta_z{l}"}
    context = {
        "l": l,
        "activation": layer.activation,
        "previous": previous,
        "fan_in": spec.layer_sizes[l - 1],
        "init_gain": 2 if layer.activation in ("relu", "leaky_relu") else 1,
        "forward_numbers": f"{numbers[f'def-a-{l}']}, {numbers[f'def-z-{l}']}",
        "delta_z_numbers": numbers[f"dz-{l}"],
        "delta_a_numbers": numbers[f"da-{l}"],
        "gradient_numbers": f"{numbers[f'dw-{l}']}, {numbers[f'db-{l}']}",
    }
    context["softmax"] = layer.activation == "softmax"
    if context["softmax"]:
        context["row_max"] = row_max(f"a{l}", layer.units)
        context["backward"] = f"z{l} * (delta_z{l} - _row_sums(delta_z{l} * z{l}))"
    else:
        rule = rules.activation_rule(layer.activation, layer.alpha)
        context["forward"] = to_numpy(rule.stable, names)
        context["backward"] = to_numpy(rules.backward_form(rule), names)
    return context


def row_max(name: str, width: int) -> str:
    """Code for the row maxima of a (batch, width) array, as a (batch, 1) column."""
    if width > UNROLLED_MAX_WIDTH:
        return f"{name}.max(axis=1, keepdims=True)"
    # Column by column: for narrow rows, a.max(axis=1) costs a reduction per row.
    code = f"{name}[:, 0:1]"
    for k in range(1, width):
        code = f"np.maximum({code}, {name}[:, {k}:{k + 1}])"
    return code


def output_context(spec: Spec) -> dict:
    """The output layer's loss per sample and its delta_a, stable forms where they exist."""
    l = spec.depth
    layer = spec.output
    loss = rules.LOSSES[spec.loss]
    names = {
        rules.a: f"a{l}",
        rules.z: f"z{l}",
        rules.y: "y",
        rules.log_z: "log_z",
        rules.log_one_minus_z: "log_one_minus_z",
        rules.y_sum: "_row_sums(y)",
    }
    term = rules.stable_loss_term(layer.activation, loss)
    context = {
        "loss_term": to_numpy(term, names),
        "log_z": None,
        "log_one_minus_z": None,
        "delta_z": None,
        "delta_a": None,
    }
    if term.has(rules.log_z):
        context["log_z"] = (
            f"a{l} - lse{l}"
            if layer.activation == "softmax"
            else f"-np.logaddexp(0, -a{l})"
        )
    if term.has(rules.log_one_minus_z):
        context["log_one_minus_z"] = f"-np.logaddexp(0, a{l})"

    loss_code = " ".join(
        filter(None, (context[k] for k in ("loss_term", "log_z", "log_one_minus_z")))
    )
    context["uses_a"] = re.search(rf"\ba{l}\b", loss_code) is not None
    context["uses_z"] = re.search(rf"\bz{l}\b", loss_code) is not None
    context["softmax"] = layer.activation == "softmax"

    if layer.activation == "softmax" and spec.loss == "cross_entropy":
        context["delta_a"] = to_numpy(rules.z * rules.y_sum - rules.y, names)
    elif layer.activation == "softmax":
        context["delta_z"] = to_numpy(sp.diff(loss.term, rules.z), names)
    else:
        rule = rules.activation_rule(layer.activation, layer.alpha)
        context["delta_a"] = to_numpy(rules.output_delta(rule, loss), names)
    return context
