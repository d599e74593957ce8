"""Reading stage 0: the document's own macros, expanded in each side before it is read.

A derivation may write \\dz for \\Delta z, or \\pd{L}{a} for \\frac{\\partial L}{\\partial a},
after defining them with \\newcommand, \\renewcommand, \\providecommand or \\def. Each
use is replaced by the definition's body, its #1, #2... by the arguments given, as TeX
would, until no use is left. A definition with an optional argument is not read, so its
uses stay unknown commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.audit.lexer import MAX_SIDE_CHARACTERS, ReadError

# \newcommand{\name}[2]{body}, \newcommand\name{body}, \def\name#1#2{body}: up to the
# body's opening brace.
DEFINITION = re.compile(
    r"\\(?:renew|provide|new)command\*?\s*(?:\{\s*\\(?P<braced>[A-Za-z]+)\s*\}"
    r"|\\(?P<bare>[A-Za-z]+))\s*(?:\[\s*(?P<count>[1-9])\s*\])?\s*(?P<optional>\[)?"
    r"|\\def\s*\\(?P<plain>[A-Za-z]+)(?P<parameters>(?:#[1-9])*)\s*(?=\{)"
)
COMMAND = re.compile(r"\\([A-Za-z]+)")
PARAMETER = re.compile(r"##|#([1-9])")
BRACE = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character is no brace
# Past this many rounds of expansion a macro is taken to call itself without end.
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Macro:
    arguments: int
    body: str


def find_macros(text: str) -> dict[str, Macro]:
    """Every macro the text defines with a body in balanced braces; a later definition
    of a name replaces an earlier one."""
    macros = {}
    closing = None  # each brace's partner, found on the first definition
    for match in DEFINITION.finditer(text):
        if match.group("optional"):
            continue
        start = match.end()
        while start < len(text) and text[start].isspace():
            start += 1
        closing = closing if closing is not None else matching_braces(text)
        if start not in closing:
            continue
        body = text[start + 1 : closing[start]]
        name = match.group("braced") or match.group("bare") or match.group("plain")
        if match.group("plain") is not None:
            count = len(match.group("parameters")) // 2
        else:
            count = int(match.group("count") or 0)
        macros[name] = Macro(count, body)
    return macros


def matching_braces(text: str) -> dict[int, int]:
    """The offset of each opening brace that closes, mapped to its closing brace's."""
    closing, open_braces = {}, []
    for brace in BRACE.finditer(text):
        if brace.group() == "{":
            open_braces.append(brace.start())
        elif brace.group() == "}" and open_braces:
            closing[open_braces.pop()] = brace.start()
    return closing


def group_at(text: str, start: int) -> tuple[str, int] | None:
    """The content of the brace group that opens at ``start``, and the offset after
    its closing brace; None if no group opens there or it never closes."""
    if start >= len(text) or text[start] != "{":
        return None
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


def expand(side: str, macros: dict[str, Macro]) -> str:
    """The side with every use of the macros replaced by what it stands for."""
    if not macros:
        return side
    for _ in range(MAX_ROUNDS):
        expanded = expand_once(side, macros)
        if expanded == side:
            return side
        if len(expanded) > MAX_SIDE_CHARACTERS:
            raise too_long()
        side = expanded
    raise ReadError("the document's macros expand without end")


def expand_once(side: str, macros: dict[str, Macro]) -> str:
    pieces, position, length = [], 0, 0
    while (use := COMMAND.search(side, position)) is not None:
        macro = macros.get(use.group(1))
        if macro is None:
            pieces.append(side[position : use.end()])
            length += use.end() - position
            position = use.end()
            continue
        arguments, after = [], use.end()
        for number in range(1, macro.arguments + 1):
            found = argument_at(side, after)
            if found is None:
                raise ReadError(
                    f"the macro \\{use.group(1)} takes {macro.arguments} arguments; "
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
    pieces.append(side[position:])
    return "".join(pieces)


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
