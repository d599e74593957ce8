"""The right expression for dL/dv, written the way a derivation writes it, for reports.

Input: a node or parameter v. Output: dL/dv in the next layer's Delta labels, with the
output layer's labels written out in z and y, simplified under the loss's assumption.
"""

from __future__ import annotations

import sympy as sp

from derive.audit.notation import Notation


def right_expression(notation: Notation, variable: sp.Symbol) -> tuple[sp.Expr, bool]:
    """dL/dv as a derivation writes it, and whether it used the labels' assumption."""
    labels, assumed = output_labels(notation)
    local = local_form(notation, variable)
    used = local.free_symbols & labels.keys()
    expression = local.xreplace(labels).replace(
        sp.Heaviside, lambda argument, *rest: sp.Piecewise((1, argument > 0), (0, True))
    )
    return expression, bool(used & assumed)


def local_form(notation: Notation, variable: sp.Symbol) -> sp.Expr:
    """dL/dv through v's consumers, in the Delta labels of the next layer."""
    node = notation.nodes[variable]
    network = notation.network
    layer, last = node.layer, notation.depth
    if node.kind == "y":
        return sp.diff(network.loss(), variable)
    if node.kind == "z" and layer == last:
        return network.delta_z(last, node.indices[0])
    if node.kind in ("z", "x"):
        i = node.indices[0]
        return sp.Add(
            *(
                network.w(layer + 1, i, j) * network.delta_a(layer + 1, j)
                for j in network.units(layer + 1)
            )
        )
    if node.kind == "a":
        if layer == last:
            return network.delta_a(last, node.indices[0])
        return delta_a(notation, layer, node.indices[0])
    if node.kind == "w":
        i, j = node.indices
        return network.delta_a(layer, j) * network.z(layer - 1, i)
    return network.delta_a(layer, node.indices[0])


def delta_a(notation: Notation, layer: int, j: int) -> sp.Expr:
    """sum_k dz_k/da_j Delta z_k, a single term unless the layer is a softmax."""
    network = notation.network
    sources = (
        network.units(layer) if network.activation_name(layer) == "softmax" else [j]
    )
    return sp.Add(
        *(
            network.jacobian_entry(layer, k, j) * network.delta_z(layer, k)
            for k in sources
        )
    )


def output_labels(
    notation: Notation,
) -> tuple[dict[sp.Symbol, sp.Expr], set[sp.Symbol]]:
    """The output layer's Delta z and Delta a in z and y, each in its shortest form, and
    the labels whose form needs the loss's assumption."""
    network = notation.network
    last = notation.depth
    values = {
        network.delta_z(last, k): sp.diff(network.loss(), network.z(last, k))
        for k in network.units(last)
    }
    assumed = set()
    for j in network.units(last):
        label = network.delta_a(last, j)
        values[label], needs = simplest(
            notation, delta_a(notation, last, j).subs(values)
        )
        if needs:
            assumed.add(label)
    return values, assumed


def simplest(notation: Notation, expression: sp.Expr) -> tuple[sp.Expr, bool]:
    """The shortest of a few equal forms; for cross-entropy, also those that hold when
    the labels sum to one. Returns the form and whether it needs that assumption."""
    plain = min(equal_forms(expression), key=size)
    labels = [notation.network.y(k) for k in notation.network.units(notation.depth)]
    if notation.spec.loss != "cross_entropy" or len(labels) < 2:
        return plain, False
    assumed = []
    for label in labels:
        others = sp.Add(*(other for other in labels if other != label))
        assumed += equal_forms(sp.expand(expression.subs(label, 1 - others)))
    shortest = min(assumed, key=size)
    if size(shortest) < size(plain):
        return shortest, True
    return plain, False


def equal_forms(expression: sp.Expr) -> list[sp.Expr]:
    return [expression, sp.factor(expression), sp.expand(expression)]


def size(expression: sp.Expr) -> int:
    """Operations in the expression; on a tie, min() keeps the form listed first."""
    return sp.count_ops(expression)
