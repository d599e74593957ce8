"""Elementwise SymPy expressions as NumPy statements that fill one new array in place.

``t = 1 - z**2`` makes two arrays, and on a large temporary NumPy may spend longer
deciding whether it can reuse it than on the arithmetic. ``statements`` instead writes
``t = np.square(z)`` then ``np.subtract(1, t, out=t)``: one array, each step in place.
"""

from __future__ import annotations

import re

import sympy as sp

from derive.printing import to_numpy

# SymPy functions of one argument with a NumPy ufunc of the same meaning.
UFUNCS = {sp.exp: "np.exp", sp.log: "np.log", sp.tanh: "np.tanh", sp.Abs: "np.absolute"}


def statements(
    target: str, expression: sp.Expr, names: dict, new: bool = False
) -> list[str]:
    """Lines leaving ``expression`` in an array named ``target``: a new one, unless the
    expression is a bare name and ``new`` is False (then target is that array).

    Operands that are names or numbers combine in place; a compound operand that is
    not the first is printed whole, as one expression, into its own temporary.
    """
    lines: list[str] = []
    if new or _compound(expression):
        _fill_or_assign(target, expression, names, lines)
    else:
        lines.append(f"{target} = {_code(expression, names)}")
    return lines


def statements_over(
    target: str, expression: sp.Expr, names: dict, source: str
) -> list[str] | None:
    """Like ``statements``, but the first step writes over the array ``source`` instead
    of a new one; None where that step does not read ``source`` itself."""
    lines = statements(target, expression, names)
    first = lines[0].removeprefix(f"{target} = ")
    # np.f(source), np.f(operand, source) or np.f(source, number), as np.maximum(a, 0).
    unary_pattern = rf"(np\.\w+)\(((?:[\w.]+, )?){source}((?:, [0-9.]+)?)\)"
    unary = re.fullmatch(unary_pattern, first)
    binary = re.fullmatch(r"(\(.+?\)|\S+) ([*/]) (\(.+?\)|\S+)", first)
    if any(re.search(rf"\b{source}\b", line) for line in lines[1:]):
        return None  # a later step still reads source's values
    if unary:
        lines[0] = f"{target} = {unary[1]}({unary[2]}{source}{unary[3]}, out={source})"
    elif binary and source in (binary[1], binary[3]):
        ufunc = "np.multiply" if binary[2] == "*" else "np.divide"
        left, right = (
            operand.removeprefix("(").removesuffix(")")
            for operand in (binary[1], binary[3])
        )
        lines[0] = f"{target} = {ufunc}({left}, {right}, out={source})"
    else:
        return None
    return lines


def is_simple(expression: sp.Expr) -> bool:
    """A name, a number, a comparison or a select: nothing to fill in place."""
    return not _compound(expression)


def _fill(target: str, expression: sp.Expr, names: dict, lines: list[str]) -> bool:
    """Append lines that fill ``target``; False where the expression has no steps."""
    if isinstance(expression, sp.Add):
        return _fill_sum(target, expression, names, lines)
    if isinstance(expression, sp.Mul):
        return _fill_product(target, expression, names, lines)
    if isinstance(expression, sp.Pow) and expression.exp == 2:
        return _fill_unary(target, expression.base, "np.square", names, lines)
    if isinstance(expression, sp.Max) and len(expression.args) == 2:
        number, other = sorted(expression.args, key=lambda arg: not arg.is_Number)
        if number.is_Number and _fill(target, other, names, lines):
            lines.append(f"np.maximum({target}, {_code(number, names)}, out={target})")
            return True
        return False
    if isinstance(expression, sp.sech):
        # sech as 1/cosh: NumPy has no ufunc of its own for it.
        _fill_unary(target, expression.args[0], "np.cosh", names, lines)
        lines.append(f"np.reciprocal({target}, out={target})")
        return True
    if isinstance(expression, sp.log) and sp.S.One in expression.args[0].args:
        # ln(1 + u) as log1p(u): exact where u is far below 1.
        return _fill_unary(target, expression.args[0] - 1, "np.log1p", names, lines)
    for function, ufunc in UFUNCS.items():
        if isinstance(expression, function):
            return _fill_unary(target, expression.args[0], ufunc, names, lines)
    return False


def _fill_unary(
    target: str, argument: sp.Expr, ufunc: str, names: dict, lines: list[str]
) -> bool:
    if _fill(target, argument, names, lines):
        lines.append(f"{ufunc}({target}, out={target})")
    else:
        lines.append(f"{target} = {ufunc}({_code(argument, names)})")
    return True


def _fill_sum(target: str, expression: sp.Add, names: dict, lines: list[str]) -> bool:
    terms = list(expression.args)
    compound = [term for term in terms if _compound(term)]
    if not compound:
        return False
    # Start from a term that is not negated; failing that, fill the negation of one
    # and subtract it from the next term (1 - z**2 as z**2, then 1 minus it).
    compound.sort(
        key=lambda term: (term.could_extract_minus_sign(), -sp.count_ops(term))
    )
    opening = compound[0]
    rest = [term for term in terms if term is not opening]
    if opening.could_extract_minus_sign():
        _fill_or_assign(target, -opening, names, lines)
        if rest and not rest[0].could_extract_minus_sign():
            first = rest.pop(0)
            lines.append(f"np.subtract({_code(first, names)}, {target}, out={target})")
        else:
            lines.append(f"np.negative({target}, out={target})")
    else:
        _fill_or_assign(target, opening, names, lines)
    for term in rest:
        if term.could_extract_minus_sign():
            lines.append(f"{target} -= {_code(-term, names)}")
        else:
            lines.append(f"{target} += {_code(term, names)}")
    return True


def _fill_product(
    target: str, expression: sp.Mul, names: dict, lines: list[str]
) -> bool:
    coefficient, factors = expression.as_coeff_mul()
    divisors = [f.base for f in factors if isinstance(f, sp.Pow) and f.exp == -1]
    multipliers = [f for f in factors if not (isinstance(f, sp.Pow) and f.exp == -1)]
    multipliers.sort(key=lambda factor: (not _compound(factor), -sp.count_ops(factor)))
    if not multipliers:
        return False
    first, rest = multipliers[0], multipliers[1:]
    if _compound(first):
        _fill_or_assign(target, first, names, lines)
    elif rest:
        second = rest.pop(0)
        lines.append(
            f"{target} = {_code(first, names, True)} * {_code(second, names, True)}"
        )
    elif divisors:
        divisor = divisors.pop(0)
        lines.append(
            f"{target} = {_code(first, names, True)} / {_code(divisor, names, True)}"
        )
    elif coefficient not in (1, -1):
        lines.append(
            f"{target} = {_code(coefficient, names, True)} * {_code(first, names, True)}"
        )
        coefficient = sp.Integer(1)
    else:
        return False
    for factor in rest:
        lines.append(f"{target} *= {_code(factor, names)}")
    for divisor in divisors:
        lines.append(f"{target} /= {_code(divisor, names)}")
    if coefficient == -1:
        lines.append(f"np.negative({target}, out={target})")
    elif coefficient != 1:
        lines.append(f"{target} *= {_code(coefficient, names)}")
    return True


def _fill_or_assign(target: str, expression: sp.Expr, names: dict, lines: list) -> None:
    if _fill(target, expression, names, lines):
        return
    # A bare name would make target an alias, and the steps after it would overwrite it.
    copy = ".copy()" if expression.is_Symbol else ""
    lines.append(f"{target} = {_code(expression, names)}{copy}")


def _compound(expression: sp.Expr) -> bool:
    """An arithmetic node this module fills in place; names, numbers and their
    negations are not."""
    if isinstance(expression, sp.Mul) and expression.could_extract_minus_sign():
        return _compound(-expression)
    if isinstance(expression, (sp.Add, sp.Mul, sp.Pow, sp.Max, sp.sech)):
        return True
    return any(isinstance(expression, function) for function in UFUNCS)


def _code(expression: sp.Expr, names: dict, operand: bool = False) -> str:
    """The expression as code; as an ``operand`` of * or /, bracketed where needed."""
    code = to_numpy(expression, names)
    if operand and (isinstance(expression, (sp.Add, sp.Mul)) or expression.is_Rational):
        return f"({code})"
    return code
