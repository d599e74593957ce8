"""Reading stage 3: a parse tree into a SymPy expression in the network's symbols.

Index letters (the i and j of w_{ij}^{(l)}) take their values from ``env``; sums over
units are written out, and a sum over the batch becomes a SampleSum.
"""

from __future__ import annotations

import lark
import sympy as sp

from derive.audit.lexer import ReadError
from derive.audit.notation import Diff, Notation, SampleSum, Unknown
from derive.audit.symbols import SymbolRules, index_letters

MAX_SUM_TERMS = 1000  # terms written out for all the sums of one side together
MAX_DERIVATIVE_NESTING = 2  # higher derivatives grow without bound
APPLICATIONS = ("apply", "apply_prime", "apply_operator")
# Each function by its token type, and its derivative for the primed form f'(u).
FUNCTIONS = {
    "LN": sp.log,
    "EXP": sp.exp,
    "TANH": sp.tanh,
    "SIGMA": lambda u: 1 / (1 + sp.exp(-u)),
    "RELU": lambda u: sp.Max(0, u),
}
DERIVATIVES = {
    "LN": lambda u: 1 / u,
    "EXP": sp.exp,
    "TANH": lambda u: 1 - sp.tanh(u) ** 2,
    "SIGMA": lambda u: sp.exp(-u) / (1 + sp.exp(-u)) ** 2,
    "RELU": lambda u: sp.Heaviside(u),
}
RELATIONS = {"<": sp.StrictLessThan, "<=": sp.LessThan, ">": sp.StrictGreaterThan}
RELATIONS.update({">=": sp.GreaterThan, "=": sp.Eq})


def build_side(notation: Notation, tree, env: dict[str, int]) -> sp.Expr:
    """The side's expression; every failure, SymPy's own included, as a ReadError."""
    try:
        return Builder(notation, env).build(tree)
    except ReadError:
        raise
    except RecursionError:
        raise ReadError(
            "it nests too deeply for SymPy to build (a long run of signs or brackets)"
        ) from None
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ReadError(f"SymPy cannot build it ({type(error).__name__})") from None


class Builder(SymbolRules):
    def __init__(self, notation: Notation, env: dict[str, int], budget=None):
        self.notation = notation
        self.env = dict(env)
        self.budget = budget if budget is not None else [MAX_SUM_TERMS]

    def build(self, tree) -> sp.Expr:
        if isinstance(tree, lark.Token):
            raise ReadError(f"cannot read '{tree.value}' here")
        method = getattr(self, f"rule_{tree.data}", None)
        if method is None:
            raise ReadError(f"the form '{tree.data}' is not supported")
        return method(tree)

    # Sums, products and their operands.
    def rule_start(self, tree):
        return self.build(tree.children[0])

    def rule_group(self, tree):
        return self.build(tree.children[1])

    def rule_neg(self, tree):
        return -self.build(tree.children[1])

    def rule_pos(self, tree):
        return self.build(tree.children[1])

    def rule_add(self, tree):
        terms = []
        while tree.data in ("add", "subtract"):  # walk the left spine, not recursion
            sign = 1 if tree.data == "add" else -1
            terms.append(sign * self.build(tree.children[2]))
            tree = tree.children[0]
        terms.append(self.build(tree))
        return sp.Add(*terms)

    rule_subtract = rule_add

    def rule_mul(self, tree):
        factors, divisors = [], []
        while isinstance(tree, lark.Tree) and tree.data in ("mul", "div"):
            right = tree.children[-1]
            check_closed(tree.children[0])
            (divisors if tree.data == "div" else factors).append(right)
            tree = tree.children[0]
        factors.append(tree)
        product = sp.Mul(*(self.build(factor) for factor in factors))
        return product / sp.Mul(*(self.build(divisor) for divisor in divisors))

    rule_div = rule_mul

    def rule_number(self, tree):
        return sp.Rational(tree.children[0].value)

    def rule_fraction(self, tree):
        return self.build(tree.children[2]) / self.build(tree.children[5])

    def rule_square_root(self, tree):
        return sp.sqrt(self.build(tree.children[2]))

    def rule_maximum(self, tree):
        return sp.Max(self.build(tree.children[2]), self.build(tree.children[4]))

    # Functions and derivatives.
    def rule_apply(self, tree):
        kind = tree.children[0].children[0].type
        return FUNCTIONS[kind](self.build(tree.children[-1]))

    def rule_apply_prime(self, tree):
        kind = tree.children[0].children[0].type
        return DERIVATIVES[kind](self.build(tree.children[-1]))

    def rule_apply_operator(self, tree):
        variable = self.variable(tree.children[0].children[-2])
        return self.derivative(self.build(tree.children[1]), variable)

    def rule_derivative(self, tree):
        trees = [child for child in tree.children if isinstance(child, lark.Tree)]
        body, variable = trees[0], trees[-1]
        return self.derivative(self.build(body), self.variable(variable))

    def derivative(self, body: sp.Expr, variable: sp.Symbol) -> Diff:
        depth = 1 + max((nesting(inner) for inner in body.atoms(Diff)), default=0)
        if depth > MAX_DERIVATIVE_NESTING:
            raise ReadError(
                f"derivatives are nested {depth} deep; the audit reads at most "
                f"{MAX_DERIVATIVE_NESTING}"
            )
        return Diff(body, variable)

    def variable(self, tree) -> sp.Symbol:
        symbol = self.build(tree)
        if symbol in self.notation.unknowns or symbol in self.notation.nodes:
            return symbol
        shown = self.notation.latex(symbol)
        raise ReadError(f"a derivative with respect to {shown} is not supported")

    def rule_label(self, tree):
        symbol = self.build(tree.children[1])
        notation = self.notation
        if symbol in notation.nodes and notation.nodes[symbol].kind != "y":
            return notation.delta(symbol)
        entry = notation.unknowns.get(symbol)
        if entry is None:
            raise ReadError(
                rf"\Delta {notation.latex(symbol)} is not a label of a node"
            )
        suggestion = entry.suggestion and notation.delta(entry.suggestion)
        return notation.unknown(
            Unknown(rf"\Delta {entry.text}", entry.reason, suggestion, entry.letters)
        )

    # Piecewise forms.
    def rule_piecewise_otherwise(self, tree):
        pieces = [self.piece(child) for child in tree.children[:-3:2]]
        return sp.Piecewise(*pieces, (self.build(tree.children[-2]), True))

    def rule_piecewise_all(self, tree):
        return sp.Piecewise(*(self.piece(child) for child in tree.children[::2]))

    def rule_indicator(self, tree):
        """[condition]: 1 where it holds, 0 elsewhere."""
        return sp.Piecewise((1, self.condition(tree.children[1])), (0, True))

    def piece(self, tree) -> tuple[sp.Expr, sp.Basic]:
        return self.build(tree.children[0]), self.condition(tree.children[-1])

    def condition(self, tree) -> sp.Basic:
        left, relation, right = tree.children
        return RELATIONS[relation.value](self.build(left), self.build(right))

    def rule_cases(self, tree):
        rows = [child for child in tree.children if isinstance(child, lark.Tree)]
        pieces = []
        for row in rows:
            value = self.build(row.children[0])
            if row.data == "case_otherwise":
                pieces.append((value, True))
            else:
                pieces.append((value, self.condition(row.children[-1])))
        return sp.Piecewise(*pieces)

    # Sums over units or over the samples of a batch.
    def rule_sum(self, tree):
        """A sum over units (its letter indexes a symbol) or over the batch's samples."""
        limits, body = tree.children[-2], tree.children[-1]
        letter, lower, upper = self.limits(limits)
        uses = index_letters(body) | index_letters(body, layers=True)
        if upper == "N" or (upper is None and letter not in uses):
            if lower not in (None, 1):
                raise ReadError("a sum over the batch must run from 1 to N")
            total = SampleSum(self.build(body))
        else:
            total = self.unit_sum(letter, lower or 1, upper, body)
        if len(tree.children) == 4:  # the factors written before the sum
            return self.build(tree.children[0]) * total
        return total

    rule_product_sum = rule_sum

    def limits(self, tree) -> tuple[str, int | None, int | str | None]:
        tokens = [child for child in tree.children if isinstance(child, lark.Token)]
        letter = next(token.value for token in tokens if token.type == "LETTER")
        lower = None
        expressions = [child for child in tree.children if isinstance(child, lark.Tree)]
        if expressions and expressions[0].data != "upper":
            lower = self.integer(expressions[0], "the lower limit of the sum")
        upper = None
        if expressions and expressions[-1].data == "upper":
            bound = expressions[-1].children[
                -2 if len(expressions[-1].children) > 2 else -1
            ]
            if is_letter(bound, "N"):
                upper = "N"
            else:
                upper = self.integer(bound, "the upper limit of the sum")
        return letter, lower, upper

    def integer(self, tree, what: str) -> int:
        value = (
            self.build(tree) if isinstance(tree, lark.Tree) else sp.sympify(tree.value)
        )
        if not (value.is_Integer and 0 <= value <= MAX_SUM_TERMS):
            raise ReadError(f"{what} must be a whole number, not {value}")
        return int(value)

    def unit_sum(self, letter: str, lower: int, upper: int | None, body) -> sp.Expr:
        """Sum the body over letter = lower..upper; with no upper, over the units it names."""
        explicit = upper is not None
        last = upper if explicit else max(self.notation.sizes)
        terms, skipped = [], []
        for value in range(lower, last + 1):
            self.budget[0] -= 1
            if self.budget[0] < 0:
                raise ReadError(f"the sums have more than {MAX_SUM_TERMS} terms")
            inner = Builder(self.notation, {**self.env, letter: value}, self.budget)
            term = inner.build(body)
            if not explicit and letter_out_of_range(self.notation, term, letter):
                skipped.append(term)
            else:
                terms.append(term)
        if terms:
            return sp.Add(*terms)
        # No value of the letter fits: an outer index letter may be out of range.
        outer = {
            other
            for term in skipped
            for symbol in term.free_symbols
            if symbol in self.notation.unknowns
            for other in self.notation.unknowns[symbol].letters - {letter}
        }
        if not outer:
            raise ReadError(f"the sum over {letter} has no terms in this network")
        reason = "the sum has no terms for these index values"
        return self.notation.unknown(Unknown("\\sum", reason, None, frozenset(outer)))


def nesting(derivative: Diff) -> int:
    inner = derivative.args[0].atoms(Diff)
    return 1 + max((nesting(each) for each in inner), default=0)


def check_closed(left) -> None:
    """In 'ln u v', does ln take u or uv? Only brackets make it certain."""
    last = left
    while isinstance(last, lark.Tree) and last.data in ("mul", "div"):
        last = last.children[-1]
    if isinstance(last, lark.Tree) and last.data in APPLICATIONS:
        argument = last.children[-1]
        if not (isinstance(argument, lark.Tree) and argument.data == "group"):
            raise ReadError(
                "a function or d/dv is followed by more than one factor; put its "
                "argument in brackets to say where it ends"
            )


def is_letter(tree, value: str) -> bool:
    if isinstance(tree, lark.Token):
        return tree.value == value
    return tree.data == "letter" and tree.children[0].value == value


def letter_out_of_range(notation: Notation, term: sp.Expr, letter: str) -> bool:
    return any(
        letter in notation.unknowns[symbol].letters
        for symbol in term.free_symbols
        if symbol in notation.unknowns
    )
