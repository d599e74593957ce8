"""Stage 4b: render NumPy forward/backward kernels for a spec from its derivation.

The template lays out one paragraph per layer; each activation, its derivative and the
output layer's loss and delta are SymPy expressions from ``rules``, printed as NumPy.
"""

from __future__ import annotations

import textwrap

import sympy as sp

from derive import inplace, render, rules
from derive.derivation import Derivation
from derive.formatting import format_python
from derive.printing import to_numpy
from derive.spec import Spec

# Comments in generated code fit 88 columns after an indent of up to 8 and "#   ".
COMMENT_WIDTH = 76
# Softmax rows up to this wide take their maximum column by column.
UNROLLED_MAX_WIDTH = 4
# Layers with this many weights take their products with @ (matmul), not ndarray.dot:
# measured with OpenBLAS on 784-256-256-10, the weight gradients 10-13 % faster at batch
# 32 and the whole pass 2 % at 8192. For small layers @ costs more per call, and for one
# sample the weight gradient (an outer product) is 3x slower with it.
MATMUL_MIN_WEIGHTS = 16384


def kernels_source(derivation: Derivation, command: str) -> str:
    spec = derivation.spec
    numbers = equation_numbers(derivation)
    layers = [layer_context(spec, l, numbers) for l in range(1, spec.depth + 1)]
    output = output_context(spec)
    context = {
        "spec": spec,
        "command": command,
        "layers": layers,
        "output": output,
        "param_shapes": param_shapes(spec),
        "cache_length": 1 + sum(2 if layer["keeps_a"] else 1 for layer in layers),
        "cache_widths": cache_widths(spec, layers, output),
        "uses_softmax": any(layer.activation == "softmax" for layer in spec.layers),
    }
    return format_python(render.render("kernels.py.j2", context))


def cache_widths(spec: Spec, layers: list[dict], output: dict) -> tuple[int, ...]:
    """Columns of each array forward caches: x, each layer's a (if kept) and z, and
    ln sum_k e^a_k of a softmax output whose loss reads ln z."""
    widths = [spec.inputs]
    for layer, units in zip(layers, spec.layer_sizes[1:], strict=True):
        widths += [units, units] if layer["keeps_a"] else [units]
    if output["log_total"]:
        widths.append(1)
    return tuple(widths)


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
        "matmul": spec.layer_sizes[l - 1] * spec.layer_sizes[l] >= MATMUL_MIN_WEIGHTS,
        "init_gain": 2 if layer.activation in ("relu", "leaky_relu") else 1,
        "forward_numbers": f"{numbers[f'def-a-{l}']}, {numbers[f'def-z-{l}']}",
        "delta_z_numbers": numbers[f"dz-{l}"],
        "delta_a_numbers": numbers[f"da-{l}"],
        "gradient_numbers": f"{numbers[f'dw-{l}']}, {numbers[f'db-{l}']}",
    }
    context["softmax"] = layer.activation == "softmax"
    context["keeps_a"] = True
    if context["softmax"]:
        context["row_max"] = row_max(f"a{l}", layer.units)
        context["backward_lines"] = [
            f"delta_a{l} = z{l} * (delta_z{l} - _row_sums(delta_z{l} * z{l}))"
        ]
    else:
        rule = rules.activation_rule(layer.activation, layer.alpha)
        context["forward_lines"] = explained(
            inplace.statements(f"z{l}", rule.stable, names), f"z{l}", rule.stable, names
        )
        context["backward_lines"] = backward_lines(rule, l, names)
        # A hidden layer whose backward step reads only z computes z over a's array.
        if l < spec.depth and not backward_in_z(rule).has(rules.a):
            over = inplace.statements_over(f"z{l}", rule.stable, names, f"a{l}")
            if over is not None:
                context["keeps_a"] = False
                context["forward_lines"] = explained(over, f"z{l}", rule.stable, names)
    return context


def backward_in_z(rule: rules.ActivationRule) -> sp.Expr:
    """The backward form with a written as z where that is the same function of a:
    then a's array is not needed after the forward pass (ReLU: z > 0 exactly when
    a > 0). Checked for a negative, zero and positive a; otherwise the form as it is."""
    form = rules.backward_form(rule)
    in_z = form.subs(rules.a, rules.z)
    if in_z == form:
        return form
    for a in (
        sp.Symbol("a", negative=True),
        sp.Integer(0),
        sp.Symbol("a", positive=True),
    ):
        original = form.subs(rules.a, a)
        rewritten = in_z.subs(rules.z, rule.stable.subs(rules.a, a))
        if sp.simplify(original - rewritten) != 0:
            return form
    return in_z


def backward_lines(rule: rules.ActivationRule, l: int, names: dict) -> list[str]:
    """delta_a = delta_z * dz/da, multiplied into delta_z's array where the form allows:
    delta_z is a fresh product that nothing else reads."""
    form = backward_in_z(rule)
    if form == rules.dz:
        return [f"delta_a{l} = delta_z{l}"]
    derivative, factor_dz = form.as_independent(rules.dz, as_Add=False)
    if factor_dz != rules.dz:
        return [f"delta_a{l} = {to_numpy(form, names)}"]
    if inplace.is_simple(derivative):
        factor, lines = to_numpy(derivative, names), []
    else:
        factor = f"dz_da{l}"
        steps = inplace.statements(factor, derivative, names)
        lines = overflow_allowed(
            explained(steps, factor, derivative, names), derivative
        )
    lines += [f"delta_a{l} = delta_z{l}", f"delta_a{l} *= {factor}"]
    return [
        *lines,
        f"del delta_z{l}" + (f", {factor}" if factor == f"dz_da{l}" else ""),
    ]


def explained(
    lines: list[str], target: str, expression: sp.Expr, names: dict
) -> list[str]:
    """In-place statements of three or more steps, headed by the formula they compute."""
    if len(lines) < 3:
        return lines
    formula = f"In place, step by step: {target} = {to_numpy(expression, names)}"
    wrapped = textwrap.wrap(formula, width=COMMENT_WIDTH)
    return [f"# {wrapped[0]}", *(f"#   {line}" for line in wrapped[1:]), *lines]


def overflow_allowed(lines: list[str], expression: sp.Expr) -> list[str]:
    """The lines, under np.errstate where they take a cosh: it overflows to inf only where
    sech = 1/cosh rounds to 0 anyway, and that is no cause for a warning."""
    if not expression.has(sp.sech):
        return lines
    return [
        'with np.errstate(over="ignore"):',
        *(f"    {line}" for line in lines),
    ]


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
    # A softmax output keeps a less its row maximum, and ln sum_k e^(that) if needed.
    context["log_total"] = layer.activation == "softmax" and term.has(rules.log_z)
    if term.has(rules.log_z):
        context["log_z"] = (
            f"a{l} - log_total{l}"
            if layer.activation == "softmax"
            else f"-np.logaddexp(0, -a{l})"
        )
    if term.has(rules.log_one_minus_z):
        context["log_one_minus_z"] = f"-np.logaddexp(0, a{l})"

    context["softmax"] = layer.activation == "softmax"

    context["total"] = None
    if layer.activation == "softmax" and spec.loss == "cross_entropy":
        delta_a = rules.z * rules.y_sum - rules.y
        context["total"] = f"-np.vdot(y, a{l} - log_total{l})"
        context["total_comment"] = (
            "sum_k -y_k ln z_k with ln z_k = a_k - ln sum_j e^a_j, a less its row max."
        )
    elif layer.activation == "softmax":
        delta_z = sp.diff(loss.term, rules.z)
        context["delta_z"] = to_numpy(delta_z, names)
        if delta_z.is_Symbol:
            context["delta_z"] += ".copy()"  # scaled in place below
        return context
    else:
        rule = rules.activation_rule(layer.activation, layer.alpha)
        delta_a = rules.output_delta(rule, loss)
    context["delta_a"] = to_numpy(delta_a, names)
    steps = inplace.statements(f"delta_a{l}", delta_a, names, new=True)
    context["delta_a_lines"] = overflow_allowed(
        explained(steps, f"delta_a{l}", delta_a, names), delta_a
    )
    return context
