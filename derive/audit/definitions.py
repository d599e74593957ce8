"""Warnings for a bracket written out as a node's definition that differs from it.

A sum of one bias b_j^(l) and terms w^(l) times a node reads as a_j^(l); when it is not
sum_i w_ij^(l) z_i^(l-1) + b_j^(l), the document has an index slip there.
"""

from __future__ import annotations

import sympy as sp

from derive.audit.notation import Notation


def definition_warnings(notation: Notation, chain, instances) -> list[tuple[int, str]]:
    """(line, message) for each bracket that misstates a pre-activation."""
    if not instances:
        return []
    warnings = []
    for side, expression in zip(chain.sides, instances[0].sides, strict=True):
        if expression is None:
            continue
        for part in sp.preorder_traversal(expression):
            if isinstance(part, sp.Add):
                message = misstated(notation, part)
                if message is not None:
                    warnings.append((side.line, message))
    return warnings


def misstated(notation: Notation, bracket: sp.Add) -> str | None:
    target = written_as(notation, bracket)
    if target is None:
        return None
    layer, j = target
    definition = notation.network.pre_activation(layer, j)
    if sp.expand(bracket - definition) == 0:
        return None
    node = notation.latex(notation.network.a(layer, j))
    extra = [term for term in bracket.args if term not in definition.args]
    missing = [term for term in definition.args if term not in bracket.args]
    message = (
        f"the bracket {notation.latex(bracket)} stands for {node} (it adds "
        f"{notation.latex(notation.network.b(layer, j))}), but {node} = "
        f"{notation.latex(definition)}"
    )
    if extra and missing:
        message += (
            f": it has {', '.join(notation.latex(term) for term in extra)} where {node} "
            f"has {', '.join(notation.latex(term) for term in missing)}"
        )
    return message


def written_as(notation: Notation, bracket: sp.Add) -> tuple[int, int] | None:
    """(l, j) when the sum reads as a_j^(l): one bias and weight-times-node terms."""
    if bracket.free_symbols & notation.unknowns.keys():
        return None
    nodes = notation.nodes
    biases = [
        term for term in bracket.args if nodes.get(term) and nodes[term].kind == "b"
    ]
    if len(biases) != 1:
        return None
    bias = nodes[biases[0]]
    products = [term for term in bracket.args if term is not biases[0]]
    if not products:
        return None
    for term in products:
        weights = [
            factor
            for factor in sp.Mul.make_args(term)
            if nodes.get(factor) and nodes[factor].kind == "w"
        ]
        if len(weights) != 1 or nodes[weights[0]].layer != bias.layer:
            return None
        if len(sp.Mul.make_args(term)) != 2:
            return None
    return bias.layer, bias.indices[0]
