"""The audit's vocabulary: the network's symbols, as a hand derivation names them.

Input: a ``Network``. Output: symbols for x, y, w, b, a, z, their Delta labels, L, the
batch loss J and batch size N, each with its kind, layer and place in the forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.errors import NotSupportedError
from derive.model import Network
from derive.spec import Spec

# The audit differentiates the network symbolically; past this size that is too slow.
MAX_AUDIT_PARAMETERS = 2000

NODE_LETTERS = ("x", "y", "w", "b", "a", "z")
LAYERED_LETTERS = ("w", "b", "a", "z")


class AuditLatexPrinter(LatexPrinter):
    """LaTeX as a hand derivation writes it: a kink's 0-or-1 factor as an Iverson
    bracket, where SymPy would print a cases environment."""

    def _print_Heaviside(self, expr, exp=None):
        return rf"[{self._print(expr.args[0])} > 0]"

    def _print_Piecewise(self, expr):
        if len(expr.args) == 2 and expr.args[1].cond == sp.true:
            (value, condition), (otherwise, _) = expr.args
            if value == 1 and otherwise == 0:
                return f"[{self._print(condition)}]"
            if otherwise == 0:
                return rf"{self.parenthesize(value, 50)} [{self._print(condition)}]"
        return super()._print_Piecewise(expr)

    def _needs_mul_brackets(self, expr, first=False, last=False) -> bool:
        if expr.is_Piecewise and self._print_Piecewise(expr).startswith("["):
            return False
        return super()._needs_mul_brackets(expr, first, last)


class Diff(sp.Function):
    """d body / d var in the backprop meaning: var's layer-mates held fixed."""

    nargs = 2


class SampleSum(sp.Function):
    """The sum of a per-sample expression over the samples of the batch."""

    nargs = 1


class Held(sp.Function):
    """A value held fixed: equal to its argument, with derivative 0 by anything."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.S.Zero


@dataclass(frozen=True)
class Node:
    kind: str  # one of NODE_LETTERS
    layer: int  # 0 for x and y
    indices: tuple[int, ...]  # unit indices, 1-based: (i,) or (i, j) for w


@dataclass(frozen=True)
class Unknown:
    """A symbol the document names that the network does not have."""

    text: str  # LaTeX as the document wrote it
    reason: str
    suggestion: sp.Symbol | None
    letters: frozenset[str]  # index letters whose values put it out of range


class Notation:
    def __init__(self, spec: Spec):
        if spec.parameter_count > MAX_AUDIT_PARAMETERS:
            raise NotSupportedError(
                f"{spec.source}: the network has {spec.parameter_count} parameters; "
                f"the audit checks networks of at most {MAX_AUDIT_PARAMETERS}"
            )
        self.spec = spec
        self.network = Network(spec)
        self.sizes = spec.layer_sizes
        self.depth = spec.depth
        self.loss = sp.Symbol("L", real=True)
        self.batch_loss = sp.Symbol("J", real=True)
        self.batch_size = sp.Symbol("N", positive=True)
        self.nodes: dict[sp.Symbol, Node] = {}
        self.deltas: dict[sp.Symbol, sp.Symbol] = {}  # Delta v -> v
        self.unknowns: dict[sp.Symbol, Unknown] = {}
        for layer in range(1, self.depth + 1):  # the model's own Delta a and Delta z
            for j in range(1, self.sizes[layer] + 1):
                self.delta(self.node("a", layer, (j,)))
                self.delta(self.node("z", layer, (j,)))

    # Symbols.
    def node(self, kind: str, layer: int, indices: tuple[int, ...]) -> sp.Symbol | None:
        """The network's symbol, or None when the network has no such node."""
        if not self.exists(kind, layer, indices):
            return None
        network = self.network
        if kind == "x" or (kind == "z" and layer == 0):
            symbol, kind, layer = network.x(indices[0]), "x", 0
        elif kind == "y":
            symbol = network.y(indices[0])
        elif kind == "w":
            symbol = network.w(layer, *indices)
        else:
            symbol = getattr(network, kind)(layer, indices[0])
        self.nodes.setdefault(symbol, Node(kind, layer, indices))
        return symbol

    def exists(self, kind: str, layer: int, indices: tuple[int, ...]) -> bool:
        sizes = self.sizes
        if kind in ("x", "y"):
            layer = 0 if kind == "x" else self.depth
            return len(indices) == 1 and 1 <= indices[0] <= sizes[layer]
        lowest = 0 if kind == "z" else 1
        if not lowest <= layer <= self.depth:
            return False
        if kind == "w":
            return (
                len(indices) == 2
                and 1 <= indices[0] <= sizes[layer - 1]
                and 1 <= indices[1] <= sizes[layer]
            )
        return len(indices) == 1 and 1 <= indices[0] <= sizes[layer]

    def missing(self, kind: str, layer: int, indices: tuple[int, ...]) -> str:
        """Why the network has no such symbol, in one phrase."""
        sizes = self.sizes
        if kind == "x":
            return f"the network has {sizes[0]} inputs"
        if kind == "y":
            return f"the network has {sizes[-1]} outputs"
        if not (0 if kind == "z" else 1) <= layer <= self.depth:
            return f"the network has no layer {layer}"
        if kind == "w":
            return (
                f"w^{{({layer})}} connects {sizes[layer - 1]} units of layer "
                f"{layer - 1} to {sizes[layer]} units of layer {layer}"
            )
        return f"layer {layer} has {sizes[layer]} units"

    def suggest(
        self, kind: str, layer: int, indices: tuple[int, ...]
    ) -> sp.Symbol | None:
        """The likely intended symbol: indices swapped, or the nearest layer that fits."""
        if kind == "w" and self.exists(kind, layer, indices[::-1]):
            return self.node(kind, layer, indices[::-1])
        if kind in ("x", "y"):
            return None
        others = sorted(
            range(self.depth + 1), key=lambda other: (abs(other - layer), other)
        )
        for other in others:
            if other != layer and self.exists(kind, other, indices):
                return self.node(kind, other, indices)
        return None

    def delta(self, symbol: sp.Symbol) -> sp.Symbol:
        """The label Delta v, which stands for dL/dv."""
        latex = self.network.latex_names[symbol]
        name = f"delta_{symbol.name}"
        label = self.network.symbol(name, rf"\Delta {latex}")
        self.deltas[label] = symbol
        return label

    def unknown(self, entry: Unknown) -> sp.Symbol:
        placeholder = sp.Symbol(f"unknown_{len(self.unknowns) + 1}", real=True)
        self.unknowns[placeholder] = entry
        return placeholder

    def latex(self, expression: sp.Expr) -> str:
        names = dict(self.network.latex_names)
        names.update({u: entry.text for u, entry in self.unknowns.items()})
        return AuditLatexPrinter({"symbol_names": names, "order": "old"}).doprint(
            expression
        )

    # The forward pass.
    def position(self, symbol: sp.Symbol) -> float:
        """Where a symbol enters the forward pass; larger is nearer the loss."""
        if symbol in (self.loss, self.batch_loss):
            return 2 * self.depth + 1
        node = self.nodes[symbol]
        if node.kind == "y":
            return 2 * self.depth + 0.5
        if node.kind in ("w", "b"):
            return 2 * node.layer - 1.5
        if node.kind == "a":
            return 2 * node.layer - 1
        return 2 * node.layer  # z, and x as z^(0)

    def definition(self, symbol: sp.Symbol) -> sp.Expr:
        """a in terms of the previous layer's z, or z in terms of its layer's a."""
        node = self.nodes[symbol]
        if node.kind == "a":
            expression = self.network.pre_activation(node.layer, node.indices[0])
        else:
            expression = self.network.activation(node.layer, node.indices[0])
        for inner in expression.free_symbols:
            self.register(inner)
        return expression

    def register(self, symbol: sp.Symbol) -> None:
        """Record the kind of a symbol the model created (``w_2_1_1`` and so on)."""
        if symbol in self.nodes:
            return
        kind, *numbers = symbol.name.split("_")
        numbers = [int(number) for number in numbers]
        if kind in ("x", "y"):
            self.node(kind, 0, tuple(numbers))
        else:
            self.node(kind, numbers[0], tuple(numbers[1:]))

    def may_depend(self, node: sp.Symbol, variable: sp.Symbol) -> bool:
        """False when the node surely does not change with the variable: a quick test
        that spares differentiating through every unit of a wide layer."""
        found, by = self.nodes[node], self.nodes.get(variable)
        if by is None or by.layer != found.layer or by.kind in ("x", "y", "z"):
            return True
        if found.kind == "z" and self.network.activation_name(found.layer) == "softmax":
            return True
        return by.indices[-1] == found.indices[0]  # a_j and z_j hang on unit j only

    def is_forward_node(self, symbol: sp.Symbol) -> bool:
        node = self.nodes.get(symbol)
        return node is not None and node.kind in ("a", "z") and node.layer > 0
