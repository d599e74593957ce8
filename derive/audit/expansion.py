"""Reading stage 1: a side's uses of the document's macros, replaced by their bodies.

Input: one side's LaTeX and the macros that hold there. Output: the side as TeX would
expand it (#1, #2... replaced by the arguments given), or a ReadError saying why not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.audit.lexer import MAX_SIDE_CHARACTERS, ReadError

COMMAND = re.compile(r"\\([A-Za-z]+)")
PARAMETER = re.compile(r"##|#([1-9])")
BRACE = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character is no brace
# Past this many rounds of expansion the macros are taken to call themselves forever.
MAX_ROUNDS = 100


@dataclass(frozen=True)
class Macro:
    arguments: int
    body: str | None  # None for a form the audit does not expand
    why: str = ""  # for body None: what form it is


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
    close = matching_braces(text).get(start)
    return None if close is None else (text[start + 1 : close], close + 1)


def matching_braces(text: str) -> dict[int, int]:
    """The offset of each opening brace that closes, mapped to its closing brace's."""
    closing, open_braces = {}, []
    for brace in BRACE.finditer(text):
        if brace.group() == "{":
            open_braces.append(brace.start())
        elif brace.group() == "}" and open_braces:
            closing[open_braces.pop()] = brace.start()
    return closing


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
