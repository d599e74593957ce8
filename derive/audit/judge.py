"""Judging stage 4: every link of every chain, in document order, to a verdict.

A link is verified when its sides agree at random points with each Delta label at its
true value; it depends on a wrong equation when they agree only with the author's earlier
(wrong) value of a label; otherwise it is wrong, with a counterexample.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.audit.build import build_side
from derive.audit.definitions import definition_warnings
from derive.audit.document import Chain
from derive.audit.expansion import expand
from derive.audit.grammar import parse
from derive.audit.lexer import ReadError
from derive.audit.meaning import Meaning
from derive.audit.notation import Notation
from derive.audit.numeric import draw_points
from derive.audit.symbols import free_letters
from derive.audit.verdicts import Outcome, Verdicts, shorten

logger = logging.getLogger(__name__)

POINTS = 6
MAX_INSTANCES = 48
SEED = 20240229


@dataclass
class Link:
    line: int
    equation: int
    index: int  # 1-based, within the chain
    lhs: str
    rhs: str
    verdict: str = "unparsed"
    message: str = ""
    counterexample: dict | None = None


@dataclass
class Instance:
    env: dict[str, int]  # the values of a general rule's index letters
    sides: list[sp.Expr | None]


class Judge:
    def __init__(self, notation: Notation):
        self.notation = notation
        self.meaning = Meaning(notation)
        points = draw_points(notation, POINTS, assumed=True, seed=SEED)
        free = None
        if notation.spec.loss == "cross_entropy":
            free = draw_points(notation, POINTS, assumed=False, seed=SEED + 1)
        self.verdicts = Verdicts(notation, self.meaning, points, free)
        self.warnings: dict[tuple[int, str], None] = {}

    def chain(self, chain: Chain) -> list[Link]:
        links = [
            Link(
                line, chain.number, k + 1, chain.sides[k].text, chain.sides[k + 1].text
            )
            for k, line in enumerate(chain.link_lines)
        ]
        if chain.problem:
            for link in links:
                link.message = f"the display cannot be split: {chain.problem}"
            return links
        trees, errors = read_sides(chain)
        instances = self.instances(trees, errors)
        for k, link in enumerate(links):
            try:
                self.link(chain, k, link, instances, errors, links)
            # A last guard: one odd link must not stop the audit.
            except Exception as error:
                logger.debug(
                    "link %d of equation %d failed", k + 1, chain.number, exc_info=True
                )
                link.verdict, link.counterexample = "unparsed", None
                link.message = f"could not be judged ({type(error).__name__})"
        self.verdicts.record(chain, instances, links)
        for line, message in definition_warnings(self.notation, chain, instances):
            self.warnings.setdefault((line, message))
        return links

    def instances(self, trees, errors: list[str | None]) -> list[Instance]:
        """The chain's sides built once per value of its free index letters."""
        units, layers = set(), set()
        for tree in trees:
            if tree is not None:
                found = free_letters(tree)
                units |= found[0]
                layers |= found[1]
        letters = sorted(units | layers)
        instances = []
        for env in self.combinations(letters, units, layers):
            sides = []
            for index, tree in enumerate(trees):
                sides.append(self.build(tree, env, errors, index))
            if not letters or not out_of_range(self.notation, sides, set(letters)):
                instances.append(Instance(env, sides))
        return instances

    def build(self, tree, env, errors, index) -> sp.Expr | None:
        if tree is None or errors[index]:
            return None
        try:
            return build_side(self.notation, tree, env)
        except ReadError as error:
            errors[index] = str(error)
            return None

    def combinations(self, letters, units, layers) -> list[dict[str, int]]:
        if not letters:
            return [{}]
        unit_values = range(1, max(self.notation.sizes) + 1)
        layer_values = range(0, self.notation.depth + 1)
        ranges = []
        for letter in letters:
            values = set(unit_values if letter in units else ())
            values |= set(layer_values if letter in layers else ())
            ranges.append(sorted(values))
        if math.prod(len(values) for values in ranges) <= MAX_INSTANCES:
            combinations = list(itertools.product(*ranges))
        else:  # the smallest indices, which every layer has, and a random few
            smallest = itertools.product(*(values[:3] for values in ranges))
            rng = np.random.default_rng(SEED)
            drawn = (
                tuple(values[rng.integers(len(values))] for values in ranges)
                for _ in range(MAX_INSTANCES // 2)
            )
            chosen = [*itertools.islice(smallest, MAX_INSTANCES // 2), *drawn]
            combinations = list(dict.fromkeys(chosen))
        return [dict(zip(letters, values, strict=True)) for values in combinations]

    def link(self, chain, k, link, instances, errors, links) -> None:
        for index, side in ((k, "left"), (k + 1, "right")):
            if errors[index]:
                text = shorten(chain.sides[index].text)
                link.message = (
                    f"the {side} side '{text}' cannot be read: {errors[index]}"
                )
                return
        if not instances:
            link.verdict = "unknown_symbol"
            link.message = "no value of its index letters names symbols of this network"
            return
        outcome = self.verdicts.judge(chain, k, instances, links)
        link.verdict, link.message = outcome.verdict, outcome.message
        link.counterexample = outcome.counterexample


def read_sides(chain: Chain) -> tuple[list, list[str | None]]:
    trees, errors = [], []
    for side in chain.sides:
        try:
            expanded = expand(side.text, chain.macros)
            if "=" in expanded and "=" not in side.text:
                raise ReadError(
                    "a macro in it stands for an '=', and the audit splits links only "
                    "at an '=' written out"
                )
            trees.append(parse(expanded))
            errors.append(None)
        except ReadError as error:
            trees.append(None)
            errors.append(str(error))
    return trees, errors


def out_of_range(notation: Notation, sides, letters: set[str]) -> bool:
    """Whether these index values name a symbol the network lacks."""
    return any(
        notation.unknowns[symbol].letters & letters
        for side in sides
        if side is not None
        for symbol in side.free_symbols
        if symbol in notation.unknowns
    )


__all__ = ["Judge", "Link", "Outcome"]
