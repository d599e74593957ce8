"""Document stage, macros: the document's own definitions, and which hold where.

A derivation may write \\dz for \\Delta z, or \\pd{L}{a} for \\frac{\\partial L}{\\partial a},
after defining them with \\newcommand, \\renewcommand, \\providecommand, \\def, \\let or
\\DeclareMathOperator; each chain gets the macros that hold where it starts.

In LaTeX a definition holds from where it stands to the end of the innermost group,
environment (but the document), display or inline formula around it (\\gdef and \\global
to the end); \\newcommand of a name already defined is an error there, so the first
definition is kept, and \\providecommand does nothing for a name already defined. In
Markdown, as MathJax and Pandoc read it, a definition holds from where it stands to the
end, a later one replacing an earlier one.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from derive.audit.expansion import Macro, matching_braces
from derive.audit.lexer import (
    COMMANDS,
    GREEK,
    RELATIONS,
)
from derive.audit.source import blank_spans

# The head of a definition, up to its body's opening brace (or, for \let, its target).
DEFINITION = re.compile(
    r"\\(?P<command>renewcommand|providecommand|newcommand)\*?\s*"
    r"(?:\{\s*\\(?P<braced>[A-Za-z]+)\s*\}|\\(?P<bare>[A-Za-z]+))"
    r"\s*(?:\[\s*(?P<count>[1-9])\s*\])?\s*(?P<optional>\[[^\]]*\])?\s*"
    r"|(?P<global>\\global\s*)?\\(?P<def>[egx]?def)\s*\\(?P<plain>[A-Za-z]+)"
    r"(?P<parameters>[^{}\n]{0,40}?)(?=\{)"
    r"|\\(?P<operator>DeclareMathOperator)\*?\s*\{\s*\\(?P<operator_name>[A-Za-z]+)\s*\}\s*"
    r"|\\let\s*\\(?P<let>[A-Za-z]+)\s*=?\s*\\(?P<target>[A-Za-z]+)"
)
# An inline formula: $...$ (not $$) or \(...\), within one paragraph.
INLINE_MATH = re.compile(
    r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?(?<!\\)\$"
    r"|\\\((?:\\[^)]|[^\\\n]|\n(?![ \t]*\n))*?\\\)"
)
# Commands LaTeX itself defines that a derivation may use: \providecommand leaves them
# be, and \newcommand of one is an error.
LATEX_COMMANDS = frozenset(
    (COMMANDS.keys() - {"relu"}) | (RELATIONS.keys() - {"lt", "gt"}) | set(GREEK)
) | frozenset(
    "left right big Big bigg Bigg text textrm mbox mathrm mathit mathbf mathbb mathcal "
    "operatorname sum prod int lim min max sup inf sin cos tan sqrt hat bar tilde vec "
    "dot ddot nabla infty in to neq approx equiv quad qquad begin end label tag "
    "nonumber notag cdots ldots dots vdots ddots implies iff Rightarrow Leftrightarrow "
    "Longrightarrow mid top prime odot otimes oplus boldsymbol displaystyle".split()
)


@dataclass(frozen=True)
class Definition:
    start: int  # the span of the whole definition in the text
    end: int
    command: (
        str  # newcommand, renewcommand, providecommand, def, let, DeclareMathOperator
    )
    name: str
    macro: Macro | None  # None for \let, whose meaning is its target's when it stands
    target: str = ""  # the command a \let copies
    always_global: bool = False  # \gdef, \xdef, \global\def: global even in a group


def find_definitions(text: str) -> list[Definition]:
    """Every definition in the text, in order; one whose body never closes is left out."""
    definitions = []
    closing = None  # each brace's partner, found on the first definition
    for match in DEFINITION.finditer(text):
        if match.group("let"):
            definitions.append(
                Definition(
                    match.start(),
                    match.end(),
                    "let",
                    match.group("let"),
                    None,
                    match.group("target"),
                )
            )
            continue
        start = match.end()
        closing = closing if closing is not None else matching_braces(text)
        if start not in closing:
            continue
        body, end = text[start + 1 : closing[start]], closing[start] + 1
        if match.group("operator"):
            name, command = match.group("operator_name"), "DeclareMathOperator"
            macro = Macro(0, rf"\operatorname{{{body}}}")
        elif match.group("def"):
            name, command = match.group("plain"), "def"
            parameters = re.sub(r"\s", "", match.group("parameters"))
            if re.fullmatch(r"(?:#[1-9])*", parameters):
                macro = Macro(len(parameters) // 2, body)
            else:
                macro = Macro(0, None, "delimited parameters")
            if match.group("global") or match.group("def") in ("gdef", "xdef"):
                definitions.append(
                    Definition(match.start(), end, command, name, macro, "", True)
                )
                continue
        else:
            name, command = (
                match.group("braced") or match.group("bare"),
                match["command"],
            )
            count = int(match.group("count") or 0)
            if match.group("optional"):
                macro = Macro(count, None, "an optional argument")
            else:
                macro = Macro(count, body)
        definitions.append(Definition(match.start(), end, command, name, macro))
    return definitions


# What opens or closes a group in LaTeX, for where a definition's scope ends.
GROUP_MARK = re.compile(
    r"\\(?P<open>begingroup|bgroup)(?![A-Za-z])|\\(?P<close>endgroup|egroup)(?![A-Za-z])"
    r"|\\(?P<side>begin|end)\s*\{(?P<name>[^{}]*)\}|\\.|(?P<brace>[{}])",
    re.DOTALL,
)


def scope_ends(
    text: str, definitions: list[Definition], regions: list[tuple[int, int]]
) -> list[int]:
    """Where each LaTeX definition stops holding: the end of the innermost group,
    environment (but the document) or region (a display, inline math) around it, or
    the end of the text for one outside them all or made global."""
    opens = {}  # the start of each group, mapped to where it closes
    stack = []
    for mark in GROUP_MARK.finditer(text):
        step = group_step(mark)
        if step > 0:
            stack.append(mark.start())
        elif step < 0 and stack:
            opens[stack.pop()] = mark.start()
    ends, stack, pending = [], [], iter(definitions)
    definition = next(pending, None)
    starts = [start for start, _ in regions]
    for mark in [*GROUP_MARK.finditer(text), None]:
        at = len(text) if mark is None else mark.start()
        while definition is not None and definition.start < at:
            end = len(text)
            if not definition.always_global:
                if stack:
                    end = opens.get(stack[-1], len(text))
                index = bisect.bisect_right(starts, definition.start) - 1
                if index >= 0 and definition.start < regions[index][1]:
                    end = min(end, regions[index][1])
            ends.append(end)
            definition = next(pending, None)
        if mark is not None:
            step = group_step(mark)
            if step > 0:
                stack.append(mark.start())
            elif step < 0 and stack:
                stack.pop()
    return ends


def group_step(mark: re.Match) -> int:
    """+1 for a mark that opens a group, -1 for one that closes it, 0 otherwise."""
    if mark.group("open") or mark.group("brace") == "{":
        return 1
    if mark.group("close") or mark.group("brace") == "}":
        return -1
    if mark.group("side") and mark.group("name").strip() != "document":
        return 1 if mark.group("side") == "begin" else -1
    return 0


class Scope:
    """The macros that hold at a point of the document, as its definitions are met."""

    def __init__(self, latex: bool):
        self.latex = latex
        self.macros: dict[str, Macro] = {}
        self.warnings: list[tuple[int, str]] = []  # (offset, message)

    def define(self, definition: Definition) -> None:
        name = definition.name
        exists = name in self.macros or name in LATEX_COMMANDS
        if definition.command == "providecommand" and exists:
            return
        if definition.command == "newcommand" and exists and self.latex:
            message = (
                f"\\newcommand redefines \\{name}, which LaTeX refuses; the audit "
                "keeps its earlier meaning"
            )
            self.warnings.append((definition.start, message))
            return
        macro = definition.macro
        if definition.command == "let":
            target = definition.target
            macro = self.macros.get(target, Macro(0, "\\" + target))
        self.macros = {**self.macros, name: macro}  # a new dict: earlier ones are kept

    def copy(self) -> Scope:
        scope = Scope(self.latex)
        scope.macros, scope.warnings = self.macros, self.warnings
        return scope


class MacrosInScope:
    """The document's macros that hold at each point, asked for in document order: the
    global definitions met so far, with the local ones whose group is still open."""

    def __init__(self, definitions, ends: list[int], length: int, latex: bool):
        # A definition that ends before it starts (-1) holds nowhere.
        self.pending = [
            (item, end) for item, end in zip(definitions, ends, strict=True)
        ]
        self.pending = [(item, end) for item, end in self.pending if end > item.start]
        self.pending.reverse()  # popped from the end, in document order
        self.length = length
        self.scope = Scope(latex)
        self.active: list[tuple] = []  # local definitions, with where they end
        self.warnings = self.scope.warnings

    def at(self, position: int) -> dict[str, Macro]:
        while self.pending and self.pending[-1][0].start < position:
            item, end = self.pending.pop()
            if end >= self.length:
                self.scope.define(item)
            else:
                self.active.append((item, end))
        self.active = [(item, end) for item, end in self.active if end > position]
        if not self.active:
            return self.scope.macros
        overlay = self.scope.copy()
        for item, _ in self.active:
            overlay.define(item)
        return overlay.macros


def inline_math(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each inline formula ($...$ or \\(...\\)) outside the displays,
    each within one paragraph."""
    outside = blank_spans(text, spans)
    return [(match.start(), match.end()) for match in INLINE_MATH.finditer(outside)]
