"""Stage 2: the symbolic model of a network, in the derivation's notation.

a_j^(l) = sum_i w_ij^(l) z_i^(l-1) + b_j^(l) and z_j^(l) = f(a_j^(l)), with z^(0) = x; L is
the per-sample loss. Symbols are named ``w_<l>_<i>_<j>`` and so on (1-based) and created on
demand, so a network of 200k parameters costs only the symbols a derivation uses.
"""

from __future__ import annotations

import sympy as sp

from derive import rules
from derive.spec import Spec


def pair(i: int, j: int) -> str:
    """The subscript ij, with a comma once an index has two digits."""
    return f"{i}{j}" if i < 10 and j < 10 else f"{i},{j}"


class Network:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.sizes = spec.layer_sizes
        self.depth = spec.depth
        self.latex_names: dict[sp.Symbol, str] = {}
        self._symbols: dict[str, sp.Symbol] = {}
        self._pre_activations: dict[tuple[int, int], sp.Expr] = {}

    def symbol(self, name: str, latex: str) -> sp.Symbol:
        found = self._symbols.get(name)
        if found is None:
            found = sp.Symbol(name, real=True)
            self._symbols[name] = found
            self.latex_names[found] = latex
        return found

    # Symbols, 1-based, in the notation of the derivation.
    def x(self, i: int) -> sp.Symbol:
        return self.symbol(f"x_{i}", f"x_{{{i}}}")

    def y(self, k: int) -> sp.Symbol:
        return self.symbol(f"y_{k}", f"y_{{{k}}}")

    def w(self, l: int, i: int, j: int) -> sp.Symbol:
        return self.symbol(f"w_{l}_{i}_{j}", f"w_{{{pair(i, j)}}}^{{({l})}}")

    def b(self, l: int, j: int) -> sp.Symbol:
        return self.symbol(f"b_{l}_{j}", f"b_{{{j}}}^{{({l})}}")

    def a(self, l: int, j: int) -> sp.Symbol:
        return self.symbol(f"a_{l}_{j}", f"a_{{{j}}}^{{({l})}}")

    def z(self, l: int, j: int) -> sp.Symbol:
        if l == 0:
            return self.x(j)
        return self.symbol(f"z_{l}_{j}", f"z_{{{j}}}^{{({l})}}")

    def delta_a(self, l: int, j: int) -> sp.Symbol:
        return self.symbol(f"delta_a_{l}_{j}", rf"\Delta a_{{{j}}}^{{({l})}}")

    def delta_z(self, l: int, j: int) -> sp.Symbol:
        return self.symbol(f"delta_z_{l}_{j}", rf"\Delta z_{{{j}}}^{{({l})}}")

    def units(self, l: int) -> range:
        """The 1-based unit indices of layer l."""
        return range(1, self.sizes[l] + 1)

    # Definitions.
    def activation_name(self, l: int) -> str:
        return self.spec.layers[l - 1].activation

    def rule(self, l: int) -> rules.ActivationRule:
        layer = self.spec.layers[l - 1]
        return rules.activation_rule(layer.activation, layer.alpha)

    def pre_activation(self, l: int, j: int) -> sp.Expr:
        """a_j^(l) = sum_i w_ij^(l) z_i^(l-1) + b_j^(l)."""
        found = self._pre_activations.get((l, j))
        if found is None:
            terms = [self.w(l, i, j) * self.z(l - 1, i) for i in self.units(l - 1)]
            found = sp.Add(*terms, self.b(l, j))
            self._pre_activations[(l, j)] = found
        return found

    def activation(self, l: int, j: int) -> sp.Expr:
        """z_j^(l) in terms of the pre-activations of layer l."""
        if self.activation_name(l) == "softmax":
            total = sp.Add(*(sp.exp(self.a(l, k)) for k in self.units(l)))
            return sp.exp(self.a(l, j)) / total
        return self.rule(l).forward.subs(rules.a, self.a(l, j))

    def jacobian_entry(self, l: int, k: int, j: int) -> sp.Expr:
        """dz_k^(l)/da_j^(l), written with z and a of layer l as the kernels compute it."""
        if self.activation_name(l) == "softmax":
            kronecker = 1 if k == j else 0
            return self.z(l, k) * (kronecker - self.z(l, j))
        if k != j:
            return sp.Integer(0)
        derivative = self.rule(l).derivative
        return derivative.subs({rules.a: self.a(l, j), rules.z: self.z(l, j)})

    def loss_rule(self) -> rules.LossRule:
        return rules.LOSSES[self.spec.loss]

    def loss(self) -> sp.Expr:
        """The per-sample loss L in terms of the outputs z^(L) and labels y."""
        term = self.loss_rule().term
        outputs = self.depth
        return sp.Add(
            *(
                term.subs({rules.z: self.z(outputs, k), rules.y: self.y(k)})
                for k in self.units(outputs)
            )
        )

    def node_values(self) -> dict[sp.Symbol, sp.Expr]:
        """Every a and z of the network in terms of x, w and b (small networks only)."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for l in range(1, self.depth + 1):
            for j in self.units(l):
                values[self.a(l, j)] = self.pre_activation(l, j).subs(values)
            for j in self.units(l):
                values[self.z(l, j)] = self.activation(l, j).subs(values)
        return values
