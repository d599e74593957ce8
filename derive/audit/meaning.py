"""Judging stage 1: what a read expression means, as SymPy in the network's symbols.

Diff(u, v) becomes the derivative of u with v's layer-mates held fixed (the backprop
meaning); L becomes the per-sample loss and J the batch loss; a Delta label becomes its
true dL/dv, or, when asked, the value the author gave it.
"""

from __future__ import annotations

import sympy as sp

from derive.audit.notation import Diff, Held, Notation, SampleSum


class Meaning:
    def __init__(self, notation: Notation):
        self.notation = notation
        self._derivatives: dict[tuple[sp.Expr, sp.Symbol], sp.Expr] = {}
        self._resolved: dict[sp.Expr, sp.Expr] = {}
        for symbol in notation.network.loss().free_symbols:
            notation.register(symbol)

    def resolve(self, expression: sp.Expr, labels: dict | None = None) -> sp.Expr:
        """The expression with every derivative taken; labels maps a Delta to the
        author's value for it (itself unresolved), and a label not in it means dL/dv."""
        if not labels:
            found = self._resolved.get(expression)
            if found is None:
                found = self._resolve(expression, {}, frozenset())
                self._resolved[expression] = found
            return found
        return self._resolve(expression, labels, frozenset())

    def _resolve(self, expression, labels, seen) -> sp.Expr:
        notation = self.notation
        if expression.is_Atom:
            if expression == notation.loss:
                return notation.network.loss()
            if expression == notation.batch_loss:
                return self.batch_loss()
            if expression in notation.deltas:
                if expression in labels and expression not in seen:
                    inner = labels[expression]
                    return self._resolve(inner, labels, seen | {expression})
                return self.truth(expression)
            return expression
        if isinstance(expression, Diff):
            body = self._resolve(expression.args[0], labels, seen)
            return self.differentiate(body, expression.args[1])
        arguments = [
            self._resolve(argument, labels, seen) for argument in expression.args
        ]
        return expression.func(*arguments)

    def batch_loss(self) -> sp.Expr:
        """J = (1/N) sum_n L_n for a mean reduction, sum_n L_n for a sum."""
        total = SampleSum(self.notation.network.loss())
        if self.notation.spec.reduction == "mean":
            return total / self.notation.batch_size
        return total

    def truth(self, label: sp.Symbol) -> sp.Expr:
        """dL/dv for the label Delta v."""
        variable = self.notation.deltas[label]
        return self.differentiate(self.notation.network.loss(), variable)

    def differentiate(self, body: sp.Expr, variable: sp.Symbol) -> sp.Expr:
        """d body / d variable by the chain rule through the forward pass: every a and z
        later than the variable contributes d body/d node times d node/d variable."""
        key = (body, variable)
        found = self._derivatives.get(key)
        if found is None:
            found = self._differentiate(body, variable)
            self._derivatives[key] = found
        return found

    def definition(self, node: sp.Symbol) -> sp.Expr:
        """The forward node in terms of the nodes before it, as differentiation sees it."""
        return self.notation.definition(node)

    def _differentiate(self, body: sp.Expr, variable: sp.Symbol) -> sp.Expr:
        notation = self.notation
        limit = notation.position(variable)
        # A sum over the batch is differentiated inside: each sample has its own nodes.
        sums = {total: sp.Dummy() for total in body.atoms(SampleSum)}
        plain = body.xreplace(sums)
        terms = [sp.diff(plain, variable)]
        later = [
            node
            for node in plain.free_symbols
            if notation.is_forward_node(node) and notation.position(node) > limit
        ]
        for node in later:
            if notation.may_depend(node, variable):
                inner = self.differentiate(self.definition(node), variable)
                terms.append(sp.diff(plain, node) * inner)
        for total, dummy in sums.items():
            inner = SampleSum(self.differentiate(total.args[0], variable))
            terms.append(sp.diff(plain, dummy) * inner)
        return sp.Add(*terms).xreplace({dummy: total for total, dummy in sums.items()})


class OwnPreActivationOnly(Meaning):
    """The meaning under a common slip: each softmax output z_k taken to change with its
    own a_k alone. dz_k/da_k keeps its true value z_k (1 - z_k), but dz_k/da_j is 0 for
    j != k, where in truth it is -z_k z_j (the softmax Jacobian's cross terms)."""

    def definition(self, node: sp.Symbol) -> sp.Expr:
        expression = super().definition(node)
        found = self.notation.nodes[node]
        network = self.notation.network
        if found.kind != "z" or network.activation_name(found.layer) != "softmax":
            return expression
        # e^a_k / (e^a_k + the other units' sum held fixed): the true z_k, whose
        # derivative by a_k is z_k (1 - z_k) and by any other a_j is 0.
        own = sp.exp(network.a(found.layer, found.indices[0]))
        others = [
            sp.exp(network.a(found.layer, i))
            for i in network.units(found.layer)
            if i != found.indices[0]
        ]
        return own / (own + Held(sp.Add(*others)))
