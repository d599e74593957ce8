"""The verdict of one link, and the author's values of Delta labels that later links use.

The value recorded for Delta v is u in 'u =: \\Delta v' or '\\Delta v := u'; else the
side before '= \\Delta v' at the end of a chain for dL/dv (or the side after a leading
'\\Delta v ='), as the document gives it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.audit.answers import right_expression
from derive.audit.evidence import (
    compare,
    compare_resolved,
    counterexample,
    distinct,
    sharpest,
    uses_batch,
)
from derive.audit.meaning import Meaning, OwnPreActivationOnly
from derive.audit.notation import Diff, Notation
from derive.audit.numeric import Undefined, value_at

ASSUMPTION_NOTE = (
    "holds only when each sample's labels sum to one ({condition}), as one-hot labels "
    "do; cross-entropy claims are judged under that assumption"
)


# A true value longer than this, as LaTeX, is not offered as the correction.
MAX_ANSWER_CHARACTERS = 240


@dataclass(frozen=True)
class Outcome:
    verdict: str
    message: str = ""
    counterexample: dict | None = None
    failure: tuple | None = None  # (instance, left, right, Comparison) of a wrong link


@dataclass(frozen=True)
class Record:
    value: sp.Expr
    line: int
    equation: int
    origin: object | None  # the wrong link whose value this record carries, if any


class Verdicts:
    def __init__(self, notation: Notation, meaning: Meaning, points, free_points):
        self.notation = notation
        self.meaning = meaning
        self.points = points
        self.free_points = free_points  # labels free of the assumption, or None
        self.records: dict[sp.Symbol, Record] = {}
        network = notation.network
        self.softmax_layers = [
            l
            for l in range(1, network.depth + 1)
            if network.activation_name(l) == "softmax"
        ]
        self.without_cross_terms = (
            OwnPreActivationOnly(notation) if self.softmax_layers else None
        )

    def judge(self, chain, k: int, instances, links) -> Outcome:
        notation = self.notation
        pairs = [(item, item.sides[k], item.sides[k + 1]) for item in instances]
        unknown = [
            symbol
            for symbol in pairs[0][1].free_symbols | pairs[0][2].free_symbols
            if symbol in notation.unknowns
        ]
        if unknown:
            return self.unknown(pairs, unknown)
        outcome = self.decide(pairs)
        if outcome.verdict != "wrong":
            return outcome
        origin = first_mistake(links[:k])
        record = record_label(notation, pairs[0][0].sides, chain.operators)
        if origin is not None and record is not None and record[0] == k:
            message = (
                f"records as {notation.latex(record[1])} the value of this chain, whose "
                f"link {origin.index} (line {origin.line}) is {origin.verdict}"
            )
            return Outcome("depends", message)
        return self.wrong(chain, k, links, outcome)

    def decide(self, pairs) -> Outcome:
        """verified, depends or wrong (with the failing comparison kept for later)."""
        failure, defined, undefined = None, False, set()
        for item, left, right in pairs:
            result = compare(self.meaning, left, right, self.points)
            defined = defined or result.holds is not None
            undefined.add(result.undefined)
            if result.holds is False:
                failure = (item, left, right, result)
                break
        if failure is None:
            if not defined:
                (which,) = undefined if len(undefined) == 1 else {""}
                return Outcome("unparsed", undefined_message(pairs, which))
            note, failure = self.assumption_note(pairs)
            if failure is None:
                return Outcome("verified", note)
        culprit = self.culprit(pairs)
        if culprit is not None:
            return Outcome("depends", culprit)
        return Outcome("wrong", "", None, failure)

    def assumption_note(self, pairs) -> tuple[str, tuple | None]:
        """For a link that held at every point: the note that it needs labels summing
        to one, if it fails with free labels; or, if it fails even with one-hot labels
        at such a point, that failure, for the link is wrong."""
        if self.free_points is None:
            return "", None
        note = ""
        for item, left, right in pairs:
            found = compare(self.meaning, left, right, self.free_points)
            if found.holds is not False:
                continue
            one_hot = sharpest(self.meaning, left, right, found)
            if one_hot is not found:
                return "", (item, left, right, one_hot)
            labels = [
                self.notation.network.latex_names[self.notation.network.y(k)]
                for k in self.notation.network.units(self.notation.depth)
            ]
            note = ASSUMPTION_NOTE.format(condition=" + ".join(labels) + " = 1")
        return note, None

    def culprit(self, pairs) -> str | None:
        """Why the link holds only with an author's wrong value of a label, or None."""
        used = set()
        for _, left, right in pairs:
            used |= (left.free_symbols | right.free_symbols) & self.records.keys()
        if not used:
            return None
        labels = {symbol: record.value for symbol, record in self.records.items()}
        for _, left, right in pairs:
            if (
                compare(self.meaning, left, right, self.points, labels).holds
                is not True
            ):
                return None
        for label in sorted(used, key=str):
            if self.label_is_wrong(label, labels):
                record = self.records[label]
                variable = self.notation.latex(self.notation.deltas[label])
                return (
                    f"holds only with the value of {self.notation.latex(label)} given at "
                    f"line {record.line}, which is not dL/d{variable}"
                    f"{self.origin_of(label, labels, set())}"
                )
        return None

    def label_is_wrong(self, label: sp.Symbol, labels) -> bool:
        given = self.meaning.resolve(label, labels)
        return (
            compare_resolved(given, self.meaning.resolve(label), self.points).holds
            is False
        )

    def origin_of(self, label, labels, seen) -> str:
        """Where a wrong value of a label comes from, followed through other labels."""
        record = self.records[label]
        if record.origin is not None:
            origin = record.origin
            return f"; that value comes from the {origin.verdict} link at line {origin.line}"
        for inner in sorted(record.value.free_symbols & self.records.keys(), key=str):
            if inner not in seen and self.label_is_wrong(inner, labels):
                inner_record = self.records[inner]
                return (
                    f"; it rests on {self.notation.latex(inner)} from line "
                    f"{inner_record.line}{self.origin_of(inner, labels, seen | {label})}"
                )
        return ""

    def wrong(self, chain, k: int, links, outcome: Outcome) -> Outcome:
        item, left, right, found = outcome.failure
        found = sharpest(self.meaning, left, right, found)
        answer = None
        if all(link.verdict == "verified" for link in links[:k]):
            answer = self.right_answer(item.sides[0], found.point)
        batch = uses_batch(self.meaning, left, right)
        example = counterexample(self.notation, found, batch, item.env, answer)
        left_value, right_value = distinct(found.left, found.right)
        message = (
            f"the sides differ: the left is {left_value} and the right {right_value} "
            "at the counterexample"
        )
        if self.drops_cross_terms(left, right):
            message += "; " + self.cross_terms_note("the link holds")
        elif k > 0 and self.drops_cross_terms(item.sides[0], right):
            start = shorten(chain.sides[0].text)
            message += "; " + self.cross_terms_note(f"the right side is {start}")
        if answer is not None:
            at = ", ".join(f"{letter} = {value}" for letter, value in item.env.items())
            at = f" (at {at})" if at else ""  # a general rule: the instance that failed
            message += f"; in truth{at} {chain.sides[0].text} = {answer[0]}"
        return Outcome("wrong", message, example)

    def jacobian_entry(self, body: sp.Symbol, variable: sp.Symbol) -> sp.Expr:
        """d body / d variable for two nodes: an activation's slope by its own layer's
        pre-activations in z, as a hand derivation writes it; else as resolved."""
        notation = self.notation
        node, by = notation.nodes[body], notation.nodes.get(variable)
        if (
            by is not None
            and (node.kind, by.kind) == ("z", "a")
            and node.layer == by.layer
        ):
            name = notation.network.activation_name(node.layer)
            k, j = node.indices[0], by.indices[0]
            if name == "softmax":
                z_j = notation.node("z", node.layer, (j,))
                return body * (1 - body) if k == j else -body * z_j
            if name == "sigmoid":
                return body * (1 - body) if k == j else sp.Integer(0)
            if name == "tanh":
                return 1 - body**2 if k == j else sp.Integer(0)
        return self.meaning.resolve(Diff(body, variable))

    def drops_cross_terms(self, left: sp.Expr, right: sp.Expr) -> bool:
        """Whether the link would hold if each softmax output changed with its own
        pre-activation alone: the slip of dropping the Jacobian's cross terms. Also
        asked of a chain's first side and a later one, for a chain whose sum over k
        is written out before its terms k != j are dropped."""
        if self.without_cross_terms is None:
            return False
        comparison = compare(self.without_cross_terms, left, right, self.points)
        return comparison.holds is True

    def cross_terms_note(self, claim: str) -> str:
        if len(self.softmax_layers) == 1:
            layer = f"^{{({self.softmax_layers[0]})}}"
        else:
            layer = ""  # several softmax layers: the note speaks of each alike
        z_k, z_j, a_j = f"z_k{layer}", f"z_j{layer}", f"a_j{layer}"
        return (
            f"the cross terms of the softmax Jacobian are missing: {claim} only "
            f"if each {z_k} changed with its own a_k{layer} alone, but "
            f"d{z_k}/d{a_j} = -{z_k} {z_j} for k != j"
        )

    def right_answer(self, subject: sp.Expr, point) -> tuple[str, float] | None:
        """What the chain's first side truly is, as LaTeX, and its value at the point."""
        notation = self.notation
        latex = None
        if subject in notation.deltas:
            subject = Diff(notation.loss, notation.deltas[subject])
        losses = (notation.loss, notation.batch_loss)
        if isinstance(subject, Diff) and subject.args[0] in losses:
            body, variable = subject.args
            if variable not in notation.nodes:
                return None
            expression, assumed = right_expression(notation, variable)
            latex = notation.latex(expression)
            if body == notation.batch_loss:
                share = r"\frac{1}{N} " if notation.spec.reduction == "mean" else ""
                latex = rf"{share}\sum_{{n=1}}^{{N}} \left({latex}\right)"
            if assumed:
                latex += " (with labels summing to one)"
        elif isinstance(subject, Diff) and set(subject.args) <= notation.nodes.keys():
            latex = notation.latex(self.jacobian_entry(*subject.args))
            if len(latex) > MAX_ANSWER_CHARACTERS:
                return None  # a derivative across layers, in exponentials: no help
        elif notation.is_forward_node(subject):
            latex = notation.latex(notation.definition(subject))
        if latex is None:
            return None
        try:
            return latex, value_at(self.meaning.resolve(subject), point)
        except Undefined:
            return None

    def unknown(self, pairs, unknown) -> Outcome:
        """Name each symbol the network lacks and the likely one; judge with those."""
        entries = {}
        for symbol in sorted(unknown, key=str):
            entry = self.notation.unknowns[symbol]
            text = f"{entry.text} is not in this network ({entry.reason})"
            if entry.suggestion is not None:
                text += f"; likely {self.notation.latex(entry.suggestion)}"
            entries.setdefault(text)
        message = "; ".join(entries)
        replaced = []
        for item, left, right in pairs:
            mapping = {
                symbol: self.notation.unknowns[symbol].suggestion
                for symbol in left.free_symbols | right.free_symbols
                if symbol in self.notation.unknowns
            }
            if any(suggestion is None for suggestion in mapping.values()):
                return Outcome("unknown_symbol", message)
            replaced.append((item, left.xreplace(mapping), right.xreplace(mapping)))
        outcome = self.decide(replaced)
        return Outcome(
            "unknown_symbol",
            f"{message}. Read so, the link {READ_SO[outcome.verdict]}"
            + (f" ({outcome.message})" if outcome.verdict == "depends" else ""),
        )

    def record(self, chain, instances, links) -> None:
        """Keep the author's value of the label this chain defines, for later chains;
        links after the definition in this chain were judged with the true dL/dv."""
        for item in instances:
            target = record_label(self.notation, item.sides, chain.operators)
            if target is None:
                continue
            k, label, value = target
            if value is None or value.free_symbols & self.notation.unknowns.keys():
                continue
            link = links[k]
            origin = (
                None if link.verdict == "verified" else first_mistake(links[: k + 1])
            )
            self.records[label] = Record(value, link.line, chain.number, origin)


# What a link's message says when no test point gives both its sides a value.
UNDEFINED = {
    "both": "neither side has a value at any test point",
    "left": "the left side is undefined at every test point (the right has a value)",
    "right": "the right side is undefined at every test point (the left has a value)",
    "": "no test point gives both sides a value",
}


def undefined_message(pairs, which: str) -> str:
    """Why no test point values both sides; a side under a condition that no point
    meets is named as such."""
    sides = {"left": 1, "right": 2}
    if which in sides and isinstance(pairs[0][sides[which]], sp.Piecewise):
        return f"no test point meets the condition of the {which} side"
    return UNDEFINED[which]


READ_SO = {
    "verified": "holds",
    "wrong": "is still false",
    "depends": "depends on a wrong equation",
    "unparsed": "still cannot be judged",
}


def first_mistake(links):
    return next((link for link in links if link.verdict in ("wrong", "depends")), None)


def record_label(
    notation: Notation, sides, operators=()
) -> tuple[int, sp.Symbol, sp.Expr] | None:
    """(index of the recording link, the label, the value given) for 'u =: Delta v' or
    'Delta v := u' anywhere in a chain, a chain for dL/dv that ends with '= Delta v',
    or a chain that starts with 'Delta v ='; else None."""
    for k, sign in enumerate(operators):
        label, value = (
            (sides[k + 1], sides[k]) if sign == "=:" else (sides[k], sides[k + 1])
        )
        if sign != "=" and label in notation.deltas and value is not None:
            return k, label, value
    if len(sides) < 2 or any(side is None for side in (sides[0], sides[-1])):
        return None
    first, last = sides[0], sides[-1]
    if last in notation.deltas and isinstance(first, Diff):
        if first.args == (notation.loss, notation.deltas[last]):
            return len(sides) - 2, last, sides[-2]
    if first in notation.deltas:
        return 0, first, sides[1]
    return None


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
