"""Stage 4c: render fused Numba kernels for a small network from its derivation.

Every unit's equation is unrolled into scalar Python inside one compiled loop over samples:
pre-activations, hidden deltas and gradients are the derivation's own proved steps, the
activations, their derivatives and the loss the stable forms of ``rules``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.codegen.cfunctions import log1p
from sympy.printing.pycode import PythonCodePrinter

from derive import render, rules
from derive.derivation import DEFAULT_MAX_SCALAR, Derivation, Equation
from derive.errors import NotSupportedError
from derive.formatting import format_python
from derive.kernels import equation_numbers, layer_context, param_shapes
from derive.model import Network

# Every parameter gets its own lines of code; Numba compiles 100 parameters' worth in
# seconds but takes minutes (growing faster than linearly) for a few hundred.
MAX_UNROLLED_PARAMETERS = DEFAULT_MAX_SCALAR

Statement = tuple[str, str, str]  # (target, "=" or "+=", expression) as Python source


class ScalarPrinter(PythonCodePrinter):
    """Scalar Python for Numba: ``math`` functions, kinks as comparisons."""

    def _print_Piecewise(self, expr):
        if len(expr.args) != 2 or expr.args[1].cond != sp.true:
            return super()._print_Piecewise(expr)
        (chosen, condition), (otherwise, _) = expr.args
        chosen, condition, otherwise = map(self._print, (chosen, condition, otherwise))
        return f"({chosen} if {condition} else {otherwise})"

    def _print_Heaviside(self, expr):
        # The derivation's convention at the kink: the step is 0 at exactly 0.
        return f"({self._print(expr.args[0])} > 0)"

    def _print_sech(self, expr):
        return f"(1 / math.cosh({self._print(expr.args[0])}))"

    def _print_Max(self, expr):
        # Numbers last: max(nan, 0.0) is nan but max(0.0, nan) is 0.0, hiding a NaN.
        arguments = sorted(expr.args, key=lambda argument: argument.is_Number)
        return f"max({', '.join(self._print(argument) for argument in arguments)})"


def to_scalar(expression: sp.Expr, names: dict[sp.Symbol, sp.Symbol]) -> str:
    """``expression`` as scalar Python, log(1 + u) as log1p(u), in the kernel's names."""
    expression = expression.replace(
        lambda node: isinstance(node, sp.log) and sp.S.One in node.args[0].args,
        lambda node: log1p(node.args[0] - 1),
    )
    return ScalarPrinter({"fully_qualified_modules": True}).doprint(
        expression.xreplace(names)
    )


def numba_kernels_source(derivation: Derivation, command: str) -> str:
    """The fused kernels module for ``derivation``'s network, formatted by ruff."""
    check_supported(derivation)
    network = derivation.network
    numbers = equation_numbers(derivation)
    names = kernel_names(network)
    equations = {equation.label: equation for equation in derivation.equations}
    output_units = [f"z{network.depth}_{k}" for k in network.units(network.depth)]
    layers = [
        forward_paragraph(network, l, equations, numbers, names)
        for l in range(1, network.depth + 1)
    ]
    loss = loss_paragraph(network, numbers, names)
    backward = [
        backward_paragraph(network, l, equations, numbers, names)
        for l in range(network.depth, 0, -1)
    ]
    context = {
        "spec": derivation.spec,
        "command": command,
        "param_shapes": param_shapes(derivation.spec),
        "init": [
            layer_context(derivation.spec, l, numbers)
            for l in range(1, network.depth + 1)
        ],
        "layers": layers,
        "fused_layers": fused_layers(
            layers,
            output_units,
            [loss, *(group for groups in backward for group in groups)],
        ),
        "output_units": output_units,
        "loss": loss,
        "backward": backward,
    }
    return format_python(render.render("kernels_numba.py.j2", context))


def fused_layers(
    layers: list[dict], outputs: list[str], later: list[dict]
) -> list[dict]:
    """The forward paragraphs as the fused pass runs them: an output z that neither the
    loss nor the backward pass reads (a sigmoid's, both taking it from a) is left out."""
    read = " ".join(value for group in later for _, _, value in group["statements"])
    unread = {name for name in outputs if not re.search(rf"\b{name}\b", read)}
    last = layers[-1]
    kept = [statement for statement in last["statements"] if statement[0] not in unread]
    if len(kept) == len(last["statements"]):
        return layers
    return [*layers[:-1], {"comment": last["comment_without_z"], "statements": kept}]


def check_supported(derivation: Derivation) -> None:
    spec = derivation.spec
    if spec.parameter_count > MAX_UNROLLED_PARAMETERS:
        raise NotSupportedError(
            f"{spec.source}: the numba backend unrolls every unit and supports at most "
            f"{MAX_UNROLLED_PARAMETERS} parameters, but '{spec.name}' has "
            f"{spec.parameter_count}; use --backend numpy"
        )
    if not derivation.complete:
        raise NotSupportedError(
            f"{spec.source}: the numba backend needs every scalar equation of "
            f"'{spec.name}', which has {spec.parameter_count} parameters; "
            f"use --max-scalar {spec.parameter_count} or more"
        )


def kernel_names(network: Network) -> dict[sp.Symbol, sp.Symbol]:
    """Each symbol of the notation as the kernel reads or names it (``W2[0, 1]``)."""
    names = {network.x(i): f"x[s, {i - 1}]" for i in network.units(0)}
    names |= {network.y(k): f"y[s, {k - 1}]" for k in network.units(network.depth)}
    for l in range(1, network.depth + 1):
        for j in network.units(l):
            names[network.b(l, j)] = f"b{l}[{j - 1}]"
            names[network.a(l, j)] = f"a{l}_{j}"
            names[network.z(l, j)] = f"z{l}_{j}"
            names[network.delta_a(l, j)] = f"delta_a{l}_{j}"
            names[network.delta_z(l, j)] = f"delta_z{l}_{j}"
            for i in network.units(l - 1):
                names[network.w(l, i, j)] = f"W{l}[{i - 1}, {j - 1}]"
    return {symbol: sp.Symbol(name) for symbol, name in names.items()}


def proved_step(equation: Equation, allowed: set[sp.Symbol]) -> sp.Expr:
    """The last step of ``equation`` written only in ``allowed`` symbols."""
    for step in reversed(equation.steps):
        if not step.has(sp.Derivative) and step.free_symbols <= allowed:
            return step
    raise NotSupportedError(
        f"equation {equation.label} has no step in the kernel's variables; "
        "allowed: steps without derivatives in computed quantities"
    )


def forward_paragraph(network, l, equations, numbers, names) -> dict:
    """a^(l) from the derivation's definitions, then z^(l) in its stable form."""
    units = network.units(l)
    inputs = {network.z(l - 1, i) for i in network.units(l - 1)}
    statements = []
    for j in units:
        parameters = {network.w(l, i, j) for i in network.units(l - 1)}
        allowed = inputs | parameters | {network.b(l, j)}
        step = proved_step(equations[f"def-a-{l}-{j}"], allowed)
        statements.append(assign(network.a(l, j), step, names))
    if network.activation_name(l) == "softmax":
        statements += softmax_statements(network, l, names)
    else:
        stable = network.rule(l).stable
        for j in units:
            value = stable.subs(rules.a, network.a(l, j))
            statements.append(assign(network.z(l, j), value, names))
    layer = f"Layer {l} ({network.activation_name(l)})"
    a_numbers, z_numbers = numbers[f"def-a-{l}"], numbers[f"def-z-{l}"]
    return {
        "comment": f"{layer}, equations {a_numbers}, {z_numbers}.",
        "comment_without_z": (
            f"{layer}, equations {a_numbers}; z, equations {z_numbers}, is left "
            "out: the loss and the gradients take it from a."
        ),
        "statements": statements,
    }


def softmax_statements(network: Network, l: int, names) -> list[Statement]:
    # Shifting by the largest pre-activation leaves softmax unchanged and exp finite.
    units = network.units(l)
    shift, total = sp.Symbol(f"shift{l}"), sp.Symbol(f"exp_sum{l}")
    exps = {j: sp.Symbol(f"exp{l}_{j}") for j in units}
    statements = [assign(shift, sp.Max(*(network.a(l, j) for j in units)), names)]
    statements += [
        assign(exps[j], sp.exp(network.a(l, j) - shift), names) for j in units
    ]
    statements.append(assign(total, sp.Add(*exps.values()), names))
    statements += [assign(network.z(l, j), exps[j] / total, names) for j in units]
    return statements


def assign(target: sp.Symbol, value: sp.Expr, names, operator: str = "=") -> Statement:
    return (to_scalar(target, names), operator, to_scalar(value, names))


def loss_paragraph(network: Network, numbers: dict[str, str], names) -> dict:
    """The per-sample loss, through ln z computed without forming z where that helps."""
    l, units = network.depth, network.units(network.depth)
    activation = network.activation_name(l)
    term = rules.stable_loss_term(activation, network.loss_rule())
    statements = []
    if term.has(rules.log_z) and activation == "softmax":
        # ln z_k = a_k - ln sum_j e^(a_j), the log-sum-exp written with the shift.
        log_sum_exp = sp.Symbol(f"log_sum_exp{l}")
        shifted = sp.Symbol(f"shift{l}") + sp.log(sp.Symbol(f"exp_sum{l}"))
        statements.append(assign(log_sum_exp, shifted, names))
        logs = {k: network.a(l, k) - log_sum_exp for k in units}
    elif term.has(rules.log_z):
        # ln z = -softplus(-a) and ln(1 - z) = -softplus(a) for the sigmoid.
        softplus = rules.activation_rule("softplus").stable
        logs = {k: -softplus.subs(rules.a, -network.a(l, k)) for k in units}
    complements = {}
    if term.has(rules.log_one_minus_z):
        softplus = rules.activation_rule("softplus").stable
        complements = {k: -softplus.subs(rules.a, network.a(l, k)) for k in units}

    per_sample = []
    for k in units:
        values = {
            rules.a: network.a(l, k),
            rules.z: network.z(l, k),
            rules.y: network.y(k),
        }
        if term.has(rules.log_z):
            values[rules.log_z] = sp.Symbol(f"log_z{l}_{k}")
            statements.append(assign(values[rules.log_z], logs[k], names))
        if k in complements:
            values[rules.log_one_minus_z] = sp.Symbol(f"log_one_minus_z{l}_{k}")
            statements.append(
                assign(values[rules.log_one_minus_z], complements[k], names)
            )
        per_sample.append(term.xreplace(values))
    statements.append(assign(sp.Symbol("loss_sum"), sp.Add(*per_sample), names, "+="))
    comment = f"The per-sample loss L, equation {numbers['def-loss']}."
    return {"comment": comment, "statements": statements}


def backward_paragraph(network, l, equations, numbers, names) -> list[dict]:
    """delta^(l) (fused with the loss on the output layer), then layer l's gradients."""
    activation = network.activation_name(l)
    if l == network.depth:
        statements = output_delta_statements(network, names)
        comment = f"Layer {l} ({activation}): equations {numbers[f'dz-{l}']} and "
        comment += f"{numbers[f'da-{l}']} at once."
    else:
        statements = []
        for i in network.units(l):
            above = network.units(l + 1)
            allowed = {network.w(l + 1, i, j) for j in above}
            allowed |= {network.delta_a(l + 1, j) for j in above}
            step = proved_step(equations[f"dz-{l}-{i}"], allowed)
            statements.append(assign(network.delta_z(l, i), step, names))
        statements += hidden_delta_statements(network, l, names)
        comment = f"Layer {l} ({activation}): equations {numbers[f'dz-{l}']}, then "
        comment += f"{numbers[f'da-{l}']}."
    gradients = [
        gradient_statement(network, equations, names, l, i, j)
        for j in network.units(l)
        for i in network.units(l - 1)
    ]
    for j in network.units(l):
        step = proved_step(equations[f"db-{l}-{j}"], {network.delta_a(l, j)})
        gradients.append((f"db{l}[{j - 1}]", "+=", to_scalar(step, names)))
    gradient_comment = f"Equations {numbers[f'dw-{l}']}, {numbers[f'db-{l}']}."
    return [
        {"comment": comment, "statements": statements},
        {"comment": gradient_comment, "statements": gradients},
    ]


def gradient_statement(network, equations, names, l: int, i: int, j: int) -> Statement:
    allowed = {network.delta_a(l, j), network.z(l - 1, i)}
    step = proved_step(equations[f"dw-{l}-{i}-{j}"], allowed)
    return (f"dW{l}[{i - 1}, {j - 1}]", "+=", to_scalar(step, names))


def output_delta_statements(network: Network, names) -> list[Statement]:
    """delta_a of the output layer, scaled by 1/batch for a mean; stable fused forms."""
    l, units = network.depth, network.units(network.depth)
    scale = sp.Symbol("scale") if network.spec.reduction == "mean" else sp.Integer(1)
    activation = network.activation_name(l)
    statements = []
    if activation == "softmax" and network.spec.loss == "cross_entropy":
        y_sum = sp.Symbol("y_sum")
        statements.append(assign(y_sum, sp.Add(*(network.y(k) for k in units)), names))
        fused = rules.z * rules.y_sum - rules.y
        for k in units:
            values = {
                rules.z: network.z(l, k),
                rules.y: network.y(k),
                rules.y_sum: y_sum,
            }
            delta = scale * fused.xreplace(values)
            statements.append(assign(network.delta_a(l, k), delta, names))
        return statements
    if activation == "softmax":
        gradient = sp.diff(network.loss_rule().term, rules.z)
        for k in units:
            values = {rules.z: network.z(l, k), rules.y: network.y(k)}
            statements.append(
                assign(network.delta_z(l, k), gradient.xreplace(values), names)
            )
        return statements + softmax_delta_statements(network, l, names, scale)
    delta = rules.output_delta(network.rule(l), network.loss_rule())
    for k in units:
        values = {rules.a: network.a(l, k), rules.z: network.z(l, k)}
        values[rules.y] = network.y(k)
        value = scale * delta.xreplace(values)
        statements.append(assign(network.delta_a(l, k), value, names))
    return statements


def hidden_delta_statements(network: Network, l: int, names) -> list[Statement]:
    if network.activation_name(l) == "softmax":
        return softmax_delta_statements(network, l, names, sp.Integer(1))
    backward = rules.backward_form(network.rule(l))
    statements = []
    for j in network.units(l):
        values = {rules.a: network.a(l, j), rules.z: network.z(l, j)}
        values[rules.dz] = network.delta_z(l, j)
        statements.append(
            assign(network.delta_a(l, j), backward.xreplace(values), names)
        )
    return statements


def softmax_delta_statements(network, l: int, names, scale) -> list[Statement]:
    # delta_a_j = z_j (delta_z_j - sum_k z_k delta_z_k), the softmax Jacobian applied.
    units = network.units(l)
    mean = sp.Symbol(f"mean_delta_z{l}")
    weighted = sp.Add(*(network.z(l, k) * network.delta_z(l, k) for k in units))
    statements = [assign(mean, weighted, names)]
    for j in units:
        value = scale * network.z(l, j) * (network.delta_z(l, j) - mean)
        statements.append(assign(network.delta_a(l, j), value, names))
    return statements
