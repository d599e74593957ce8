"""Reading stage 3, symbols: x_i, y_k, w_{ij}^{(l)}, b_j^{(l)}, a_j^{(l)}, z_j^{(l)}, L, J, N.

A superscript (l) or [l] on w, b, a or z is a layer; any other superscript is a power.
A symbol the network lacks becomes a placeholder, recorded in the notation as an Unknown.
"""

from __future__ import annotations

import lark
import sympy as sp

from derive.audit.lexer import ReadError
from derive.audit.notation import LAYERED_LETTERS, NODE_LETTERS, Unknown

MAX_NUMERIC_EXPONENT = 100


class SymbolRules:
    """The Builder's rules for symbols; it supplies notation, env and build."""

    def rule_letter(self, tree):
        return self.symbol(tree.children[0].value, None, None)

    def rule_indexed(self, tree):
        return self.symbol(letter_of(tree.children[0]), tree.children[1], None)

    def rule_raised(self, tree):
        base, sup = tree.children
        if isinstance(base, lark.Tree) and base.data == "letter":
            return self.symbol(base.children[0].value, None, sup)
        return power(self.build(base), self.build(superscript(sup)))

    def rule_indexed_raised(self, tree):
        return self.symbol(
            letter_of(tree.children[0]), tree.children[1], tree.children[2]
        )

    def rule_raised_indexed(self, tree):
        return self.symbol(
            letter_of(tree.children[0]), tree.children[2], tree.children[1]
        )

    def symbol(self, letter: str, sub, sup) -> sp.Expr:
        """A network symbol, with the superscript read as its layer or as a power."""
        layer_tree = layer_of(sup) if letter in NODE_LETTERS else None
        if letter in LAYERED_LETTERS and layer_tree is None and bracketed(sup):
            raise ReadError(
                f"the layer of {letter} must be a number or one letter, as in "
                f"{letter}_1^{{(2)}}; arithmetic such as (l-1) is not read"
            )
        exponent = None if sup is None or layer_tree else self.build(superscript(sup))
        if letter in NODE_LETTERS:
            found = self.node(letter, sub, layer_tree)
        elif sub is not None:
            found = self.stranger(letter, sub)
        else:
            found = self.constant(letter)
        if exponent is None:
            return found
        return sp.exp(exponent) if found is sp.E else power(found, exponent)

    def constant(self, letter: str) -> sp.Expr:
        notation = self.notation
        named = {"L": notation.loss, "J": notation.batch_loss, "N": notation.batch_size}
        if letter in named:
            return named[letter]
        if letter == "e":
            return sp.E
        if letter in self.env:
            return sp.Integer(self.env[letter])
        if letter in NODE_LETTERS:
            raise ReadError(f"{letter} needs a unit index, as in {letter}_1")
        suggestion = notation.loss if letter == "E" else None
        reason = f"{letter} is not a symbol of this network"
        return notation.unknown(Unknown(letter, reason, suggestion, frozenset()))

    def stranger(self, letter: str, sub) -> sp.Expr:
        if (
            letter == "\\delta"
        ):  # Kronecker's: 1 where the two indices are equal, else 0
            (i, j), _ = self.indices(sub, 2, "\\delta")
            return sp.Integer(int(i == j))
        text = f"{letter}_{{{sub_text(sub)}}}"
        reason = f"{letter} is not a symbol of this network"
        return self.notation.unknown(Unknown(text, reason, None, frozenset()))

    def node(self, letter: str, sub, layer_tree) -> sp.Expr:
        if sub is None:
            raise ReadError(f"{letter} needs a unit index, as in {letter}_1")
        count = 2 if letter == "w" else 1
        indices, letters = self.indices(sub, count, letter)
        layer = self.layer(letter, layer_tree, letters)
        notation = self.notation
        found = notation.node(letter, layer, indices)
        if found is not None:
            return found
        text = written(letter, indices, layer_tree, layer)
        reason = notation.missing(letter, layer, indices)
        suggestion = notation.suggest(letter, layer, indices)
        return notation.unknown(Unknown(text, reason, suggestion, frozenset(letters)))

    def layer(self, letter: str, layer_tree, letters: set[str]) -> int:
        notation = self.notation
        if letter in ("x", "y"):
            if layer_tree is not None and not (
                letter == "x" and layer_tree.value == "0"
            ):
                raise ReadError(
                    f"{letter} has no layers, so {letter}_k^{{({layer_tree.value})}} is "
                    f"not read; a power is written ({letter}_k)^2"
                )
            return 0 if letter == "x" else notation.depth
        if layer_tree is None:
            if notation.depth == 1:
                return 1
            raise ReadError(
                f"{letter} needs a layer superscript, as in {letter}_1^{{(1)}}, "
                f"in a network of {notation.depth} layers"
            )
        if layer_tree.type == "LETTER":
            letters.add(layer_tree.value)
        return self.value(layer_tree)

    def indices(self, sub, count: int, letter: str) -> tuple[tuple[int, ...], set[str]]:
        tokens = [
            child.children[0] for child in sub.children if isinstance(child, lark.Tree)
        ]
        items = [token for token in tokens if token.type != "COMMA"]
        if len(items) == 1 and count == 2 and len(items[0].value) == 2:
            if not any(token.type == "COMMA" for token in tokens):
                digits = items[0].value
                items = [
                    lark.Token("NUMBER", digits[0]),
                    lark.Token("NUMBER", digits[1]),
                ]
        if len(items) != count:
            wanted = "two indices" if count == 2 else "one index"
            raise ReadError(f"{letter}_{{{sub_text(sub)}}} should have {wanted}")
        letters = {token.value for token in items if token.type == "LETTER"}
        return tuple(self.value(token) for token in items), letters

    def value(self, token) -> int:
        if token.type == "NUMBER":
            if not token.value.isdigit():
                raise ReadError(f"the index {token.value} is not a whole number")
            return int(token.value)
        if token.value not in self.env:
            raise ReadError(f"the index letter {token.value} has no value here")
        return self.env[token.value]


def power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """base**exponent, refusing numbers too large to compute."""
    if base.is_Number and exponent.is_Number and abs(exponent) > MAX_NUMERIC_EXPONENT:
        raise ReadError(f"the power {base}^{exponent} is too large to compute")
    return sp.Pow(base, exponent)


def superscript(sup):
    return (
        sup.children[2] if len(sup.children) == 4 else number_or_letter(sup.children[1])
    )


def number_or_letter(token):
    return lark.Tree("number" if token.type == "NUMBER" else "letter", [token])


def layer_of(sup):
    """The token of a layer superscript ^{(l)} or ^{[l]}, or None for a power."""
    if not bracketed(sup):
        return None
    content = sup.children[2].children[1]
    if isinstance(content, lark.Tree) and content.data in ("number", "letter"):
        return content.children[0]
    return None


def bracketed(sup) -> bool:
    """Whether a superscript is a bracket, ^{(...)} or ^{[...]}, the form of a layer."""
    if sup is None or len(sup.children) != 4:
        return False
    inner = sup.children[2]
    return (
        isinstance(inner, lark.Tree)
        and inner.data == "group"
        and inner.children[0].type in ("LPAR", "LSQB")
    )


def letter_of(tree) -> str:
    if isinstance(tree, lark.Tree) and tree.data == "letter":
        return tree.children[0].value
    raise ReadError("only a letter can carry an index")


def sub_text(sub) -> str:
    tokens = [
        child.children[0] for child in sub.children if isinstance(child, lark.Tree)
    ]
    return "".join(token.value for token in tokens)


def written(letter: str, indices: tuple[int, ...], layer_tree, layer: int) -> str:
    """The symbol as LaTeX, with index letters replaced by their values."""
    subscript = (
        ",".join(map(str, indices)) if max(indices) > 9 else "".join(map(str, indices))
    )
    if layer_tree is None:
        return f"{letter}_{{{subscript}}}"
    return f"{letter}_{{{subscript}}}^{{({layer})}}"


def index_letters(tree, layers: bool = False) -> set[str]:
    """Letters used as unit indices (or, with layers=True, as layer indices)."""
    letters = set()
    for node in tree.iter_subtrees():
        if node.data == "sub" and not layers:
            letters |= {
                child.children[0].value
                for child in node.children
                if isinstance(child, lark.Tree) and child.children[0].type == "LETTER"
            }
        elif node.data == "sup" and layers and (token := layer_of(node)) is not None:
            if token.type == "LETTER":
                letters.add(token.value)
    return letters


def free_letters(tree) -> tuple[set[str], set[str]]:
    """The unit and layer index letters no sum binds, for a general rule's instances."""
    bound = {
        token.value
        for node in tree.iter_subtrees()
        if node.data == "limits"
        for token in node.children
        if isinstance(token, lark.Token) and token.type == "LETTER"
    }
    return index_letters(tree) - bound, index_letters(tree, layers=True) - bound
