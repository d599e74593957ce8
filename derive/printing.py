"""Printers shared by the LaTeX and kernel stages: SymPy expressions to LaTeX and to NumPy."""

from __future__ import annotations

import re
import textwrap

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import NumPyPrinter

MAX_SHOWN_TERMS = (
    8  # longer sums are shown as their first two terms, dots, and the last
)
TEX_LINE_WIDTH = 100


class DerivationLatexPrinter(LatexPrinter):
    """LaTeX in the derivation's notation: Iverson brackets for kinks, long sums elided."""

    def _print_Heaviside(self, expr, exp=None):
        return rf"\left[{self._print(expr.args[0])} > 0\right]"

    def _print_Add(self, expr, order=None):
        terms = list(expr.as_ordered_terms())
        if len(terms) <= MAX_SHOWN_TERMS:
            return super()._print_Add(expr, order)
        head = super()._print_Add(sp.Add(*terms[:2], evaluate=False), order)
        tail = self._print(terms[-1])
        sign = "-" if tail.startswith("-") else "+"
        return rf"{head} + \dots {sign} {tail.lstrip('-')}"


def to_latex(expression: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    printer = DerivationLatexPrinter({"symbol_names": names, "ln_notation": True})
    return printer.doprint(expression)


def wrap_tex(text: str, width: int = TEX_LINE_WIDTH) -> str:
    """Break lines of TeX source longer than ``width`` at spaces (a space in math mode)."""
    lines = []
    for line in text.splitlines():
        if len(line) <= width or line.lstrip().startswith("%"):
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines += textwrap.wrap(
            line,
            width,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(lines) + "\n"


class KernelPrinter(NumPyPrinter):
    """NumPy code as a person would write it: ``np.`` prefix, kinks as comparisons."""

    def _module_format(self, fqn, register=True):
        name = super()._module_format(fqn, register)
        return name.replace("numpy.", "np.")

    def _print_Max(self, expr):
        if len(expr.args) != 2:
            return super()._print_Max(expr)
        # A number last: NumPy's loop for an array and a scalar in that order is faster.
        arrays_first = sorted(expr.args, key=lambda arg: arg.is_Number)
        first, second = (self._print(arg) for arg in arrays_first)
        return f"np.maximum({first}, {second})"

    def _print_Piecewise(self, expr):
        if len(expr.args) != 2 or expr.args[1].cond != sp.true:
            return super()._print_Piecewise(expr)
        (chosen, condition), (otherwise, _) = expr.args
        return f"np.where({self._print(condition)}, {self._print(chosen)}, {self._print(otherwise)})"

    def _print_Relational(self, expr):
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_Heaviside(self, expr):
        # The derivation's convention at the kink: the step is 0 at exactly 0.
        return f"({self._print(expr.args[0])} > 0)"

    def _print_sech(self, expr):
        return f"(1 / np.cosh({self._print(expr.args[0])}))"

    def _print_log(self, expr):
        # ln(1 + u) as log1p(u): exact where u is far below 1.
        if sp.S.One in expr.args[0].args:
            return f"np.log1p({self._print(expr.args[0] - 1)})"
        return super()._print_log(expr)


def to_numpy(expression: sp.Expr, names: dict[sp.Symbol, str] | None = None) -> str:
    if names:
        expression = expression.subs({s: sp.Symbol(n) for s, n in names.items()})
    code = KernelPrinter({"fully_qualified_modules": True}).doprint(expression)
    # Spaces around * and / as a formatter would set them (the printer sets none).
    return re.sub(r"(?<![*\s])([*/])(?![*\s])", r" \1 ", code)
