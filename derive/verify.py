"""Proof of each derivation step against the true derivative, by SymPy.

A step for dL/dv is compared with the local chain rule at v: the exact SymPy derivative of
v's consumers, with the downstream Delta symbols kept as symbols. Those symbols are proved in
their own equations, so the whole chain equals SymPy's direct derivative of L by induction.
"""

from __future__ import annotations

import itertools
import logging

import sympy as sp

from derive.errors import VerificationError
from derive.model import Network

logger = logging.getLogger(__name__)

# Kinks (relu at 0) are checked on each side; more than this many would be slow.
MAX_KINK_SYMBOLS = 8


def local_truth(network: Network, kind: str, indices: tuple[int, ...]) -> sp.Expr:
    """dL/dv for v = kind(indices), with the Delta symbols of v's consumers left symbolic."""
    last = network.depth
    if kind == "z":
        l, i = indices
        if l == last:
            return sp.diff(network.loss(), network.z(l, i))
        return sp.Add(
            *(
                sp.diff(network.pre_activation(l + 1, j), network.z(l, i))
                * network.delta_a(l + 1, j)
                for j in network.units(l + 1)
            )
        )
    if kind == "a":
        l, j = indices
        return sp.Add(
            *(
                sp.diff(network.activation(l, k), network.a(l, j))
                * network.delta_z(l, k)
                for k in network.units(l)
            )
        )
    if kind == "w":
        l, i, j = indices
        return network.delta_a(l, j) * sp.diff(
            network.pre_activation(l, j), network.w(l, i, j)
        )
    if kind == "b":
        l, j = indices
        return network.delta_a(l, j) * sp.diff(
            network.pre_activation(l, j), network.b(l, j)
        )
    raise ValueError(f"unknown node kind {kind!r}")


def resolve(
    network: Network, expression: sp.Expr, known: dict[sp.Symbol, sp.Expr]
) -> sp.Expr:
    """Evaluate Derivatives, put in the proved values of Deltas, and write every z through a."""
    expression = expression.doit().subs(known)
    nodes = {}
    for symbol in expression.free_symbols:
        if symbol.name.startswith("z_"):
            _, l, k = symbol.name.split("_")
            nodes[symbol] = network.activation(int(l), int(k))
    return expression.subs(nodes)


def is_zero(expression: sp.Expr) -> bool:
    """True when SymPy proves the expression identically zero, kinks checked on each side."""
    if expression == 0:
        return True
    kinks = sorted(
        {
            symbol
            for function in expression.atoms(sp.Heaviside, sp.Max, sp.Min, sp.Abs)
            for symbol in function.free_symbols
            if symbol.name.startswith("a_")
        },
        key=str,
    )
    if len(kinks) > MAX_KINK_SYMBOLS:
        raise VerificationError(f"too many kinks ({len(kinks)}) to prove case by case")
    if not kinks:
        return is_zero_smooth(expression)
    proved_sides = 0
    for signs in itertools.product((1, -1), repeat=len(kinks)):
        parts = {
            symbol: sign * sp.Symbol(f"{symbol.name}_side", positive=True)
            for symbol, sign in zip(kinks, signs, strict=True)
        }
        side = expression.subs(parts)
        if side.has(sp.zoo, sp.nan):
            continue  # L itself is undefined on this side (ln 0 of a ReLU output)
        if not is_zero_smooth(side):
            return False
        proved_sides += 1
    return proved_sides > 0


def is_zero_smooth(expression: sp.Expr) -> bool:
    rational = sp.expand(expression.rewrite(sp.exp), power_exp=True)
    if sp.cancel(rational) == 0:
        return True
    return sp.simplify(rational) == 0


def prove_step(
    network: Network,
    label: str,
    number: int,
    kind: str,
    indices: tuple[int, ...],
    step: sp.Expr,
    known: dict[sp.Symbol, sp.Expr],
    assumption: dict[sp.Symbol, sp.Expr] | None = None,
) -> None:
    """Raise VerificationError naming the step unless it equals dL/dv."""
    truth = resolve(network, local_truth(network, kind, indices), known)
    claim = resolve(network, step, known)
    difference = truth - claim
    if assumption:
        difference = difference.subs(assumption)
    if not is_zero(difference):
        raise VerificationError(
            f"step {number} of equation '{label}' is not the derivative it claims: {step}"
        )
    logger.debug("proved %s step %d: %s", label, number, step)
