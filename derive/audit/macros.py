"""Reading stage 0: the document's own macros, expanded in each side before it is read.

A derivation may write \\dz for \\Delta z, or \\pd{L}{a} for \\frac{\\partial L}{\\partial a},
after defining them with \\newcommand, \\renewcommand, \\providecommand, \\def, \\let or
\\DeclareMathOperator. Each use is replaced by the definition's body, its #1, #2... by the
arguments given, as TeX would, until no use is left.

Which definitions hold where follows the document's kind. In LaTeX a definition holds
from where it stands, if it stands outside every group, environment and display (one
inside is local to it); \\newcommand of a name already defined is an error there, so the
first definition is kept, and \\providecommand does nothing for a name already defined.
In Markdown, read by MathJax, every definition outside code holds from where it stands,
a later one replacing an earlier one.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from derive.audit.lexer import (
    COMMANDS,
    GREEK,
    MAX_SIDE_CHARACTERS,
    RELATIONS,
    ReadError,
)

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
COMMAND = re.compile(r"\\([A-Za-z]+)")
PARAMETER = re.compile(r"##|#([1-9])")
BRACE = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character is no brace
# Past this many rounds of expansion the macros are taken to call themselves forever.
MAX_ROUNDS = 100
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
class Macro:
    arguments: int
    body: str | None  # None for a form the audit does not expand
    why: str = ""  # for body None: what form it is


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


def matching_braces(text: str) -> dict[int, int]:
    """The offset of each opening brace that closes, mapped to its closing brace's."""
    closing, open_braces = {}, []
    for brace in BRACE.finditer(text):
        if brace.group() == "{":
            open_braces.append(brace.start())
        elif brace.group() == "}" and open_braces:
            closing[open_braces.pop()] = brace.start()
    return closing


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


def expand(side: str, macros: dict[str, Macro]) -> str:
    """The side with every use of the macros replaced by what it stands for."""
    if not macros:
        return side
    for _ in range(MAX_ROUNDS):
        expanded, uses = expand_once(side, macros)
        if not uses:
            return side
        if expanded == side:
            raise ReadError("a macro of the document expands to itself without end")
        if len(expanded) > MAX_SIDE_CHARACTERS:
            raise too_long()
        side = expanded
    raise ReadError(
        f"the document's macros expand without end, or nest more than {MAX_ROUNDS} deep"
    )


def expand_once(side: str, macros: dict[str, Macro]) -> tuple[str, int]:
    """The side with each use of a macro expanded once, and how many uses there were."""
    pieces, position, length, uses = [], 0, 0, 0
    while (use := COMMAND.search(side, position)) is not None:
        name = use.group(1)
        macro = macros.get(name)
        if macro is None:
            pieces.append(side[position : use.end()])
            length += use.end() - position
            position = use.end()
            continue
        if macro.body is None:
            raise ReadError(
                f"the document defines \\{name} with {macro.why}, which the audit "
                "does not expand"
            )
        arguments, after = [], use.end()
        for number in range(1, macro.arguments + 1):
            found = argument_at(side, after)
            if found is None:
                raise ReadError(
                    f"the macro \\{name} takes {macro.arguments} arguments; "
                    f"argument {number} is missing"
                )
            argument, after = found
            arguments.append(argument)
        # Checked before each piece is made, so that a hostile body cannot fill memory.
        length += use.start() - position + substituted_length(macro.body, arguments)
        if length > MAX_SIDE_CHARACTERS:
            raise too_long()
        body = substitute(macro.body, arguments)
        # A control word's end must not run into a letter that follows it.
        if re.search(r"\\[A-Za-z]+$", body) and side[after : after + 1].isalpha():
            body += " "
        pieces += [side[position : use.start()], body]
        position = after
        uses += 1
    pieces.append(side[position:])
    return "".join(pieces), uses


def substituted_length(body: str, arguments: list[str]) -> int:
    """How long the body is once its parameters are replaced, at most."""
    longest = max((len(argument) for argument in arguments), default=0)
    return len(body) + len(PARAMETER.findall(body)) * longest


def too_long() -> ReadError:
    return ReadError(
        "the side is longer than the audit reads "
        f"({MAX_SIDE_CHARACTERS} characters) once its macros are expanded"
    )


def argument_at(side: str, start: int) -> tuple[str, int] | None:
    """One argument of a macro: a brace group's content, a command, or one character,
    after any spaces."""
    while start < len(side) and side[start].isspace():
        start += 1
    if start >= len(side) or side[start] == "}":
        return None
    if side[start] == "{":
        return group_at(side, start)
    command = COMMAND.match(side, start)
    if command is not None:
        return command.group(0), command.end()
    return side[start], start + 1


def group_at(text: str, start: int) -> tuple[str, int] | None:
    """The content of the brace group that opens at ``start``, and the offset after
    its closing brace; None if it never closes."""
    depth, position = 0, start
    while position < len(text):
        character = text[position]
        if character == "\\":
            position += 2
            continue
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : position], position + 1
        position += 1
    return None


def substitute(body: str, arguments: list[str]) -> str:
    """The body with #n replaced by argument n and ## by #."""

    def parameter(match: re.Match) -> str:
        if match.group(1) is None:
            return "#"
        number = int(match.group(1))
        if number > len(arguments):
            raise ReadError(
                f"a macro's body uses #{number} but it takes {len(arguments)} arguments"
            )
        return arguments[number - 1]

    return PARAMETER.sub(parameter, body)
