"""Reading stage 1: one side of an equation, as LaTeX text, into a list of tokens.

Layout commands (\\left, \\, and the like) are dropped, synonyms are made one spelling
(\\dfrac is \\frac, \\partial is d), and anything the audit cannot read raises ReadError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.errors import NotSupportedError

MAX_SIDE_CHARACTERS = 3000
MAX_NESTING = 40
MAX_NUMBER_DIGITS = 30


class ReadError(NotSupportedError):
    """A piece of an equation the audit cannot read with certainty."""


@dataclass(frozen=True)
class Token:
    type: str
    value: str


COMMANDS = {
    "frac": "FRAC",
    "dfrac": "FRAC",
    "tfrac": "FRAC",
    "partial": "D",
    "ln": "LN",
    "log": "LN",
    "exp": "EXP",
    "tanh": "TANH",
    "sigma": "SIGMA",
    "relu": "RELU",
    "max": "MAX",
    "sqrt": "SQRT",
    "Delta": "DELTA",
    "sum": "SUM",
    "cdot": "STAR",
    "times": "STAR",
    "ast": "STAR",
}
# Words and environments rewritten by ``normalize`` into one command each: its token,
# and the text a message shows for it.
MARKERS = {
    "BEGINCASES": ("BEGIN_CASES", r"\begin{cases}"),
    "ENDCASES": ("END_CASES", r"\end{cases}"),
}
RELATIONS = {
    "leq": "<=",
    "le": "<=",
    "leqslant": "<=",
    "geq": ">=",
    "ge": ">=",
    "geqslant": ">=",
    "lt": "<",
    "gt": ">",
}
# Letters a reader may use as unknown constants; they become unknown symbols, not errors.
GREEK = (
    "alpha beta gamma epsilon varepsilon zeta eta theta lambda mu nu xi pi rho tau phi "
    "varphi chi psi omega delta Gamma Theta Lambda Phi Psi Omega"
).split()
PUNCTUATION = {
    "{": "LBRACE",
    "}": "RBRACE",
    "(": "LPAR",
    ")": "RPAR",
    "[": "LSQB",
    "]": "RSQB",
    "^": "CARET",
    "_": "UNDERSCORE",
    "+": "PLUS",
    "-": "MINUS",
    "*": "STAR",
    "/": "SLASH",
    ",": "COMMA",
    "&": "AMP",
    "'": "PRIME",
    "=": "EQ",
}
OPENERS = "({["
CLOSERS = ")}]"

# (pattern, replacement) applied in order; each keeps the meaning and drops the layout.
REWRITES = [
    (re.compile(r"\\(?:left|right|[bB]igg?[lrm]?)(?![A-Za-z])\s*\.?"), " "),
    (re.compile(r"(\\\\)|\\[,;:! ]|~"), lambda match: match.group(1) or " "),
    (
        re.compile(r"\\(?:q?quad|displaystyle|textstyle|nonumber|notag)(?![A-Za-z])"),
        " ",
    ),
    (re.compile(r"\\(?:label|tag)\{[^{}]*\}"), " "),
    # \ensuremath{...} is its argument in math; \xspace, a space after a macro, nothing.
    (re.compile(r"\\(?:ensuremath|xspace)(?![A-Za-z])"), " "),
    (re.compile(r"\\(?:mathrm|operatorname|text|mathit)\{\s*d\s*\}"), "d"),
    (re.compile(r"\\(?:mathrm|operatorname|text)\{\s*e\s*\}"), "e"),
    (re.compile(r"\\(?:mathrm|operatorname|text)\{\s*(?:relu|ReLU)\s*\}"), r"\\relu "),
    (re.compile(r"\\(?:mathcal\{L\}|ell)(?![A-Za-z])"), "L"),
    (re.compile(r"\\mathcal\{J\}"), "J"),
    (re.compile(r"\\begin\{cases\}"), r"\\BEGINCASES "),
    (re.compile(r"\\end\{cases\}"), r"\\ENDCASES "),
    (re.compile(r"\^\{?\\prime\}?"), "'"),
    # The shorthand a_1(2) for a_1^{(2)}.
    (re.compile(r"(?<![A-Za-z\\])([az])_(\{\d+\}|\d)\((\d+)\)"), r"\1_\2^{(\3)}"),
    (re.compile("\u2212"), "-"),
    (re.compile("[\u00b7\u00d7]"), "*"),
]
TEXT = re.compile(r"\\(?:text|textrm|mbox|mathrm)\{([^{}]*)\}")
TEXT_WORDS = {
    "if": "IF",
    "for": "IF",
    "when": "IF",
    "otherwise": "OTHERWISE",
    "else": "OTHERWISE",
}
MARKERS.update(
    {
        f"WORD{word.upper()}": (kind, rf"\text{{{word}}}")
        for word, kind in TEXT_WORDS.items()
    }
)
COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
DIGITS = "0123456789"
NUMBER = re.compile(r"\d+(?:\.\d+)?", re.ASCII)  # not ² or Arabic-Indic digits


def normalize(text: str) -> str:
    """The side with layout removed and synonyms spelled one way."""
    for pattern, replacement in REWRITES:
        text = pattern.sub(replacement, text)
    text = TEXT.sub(text_word, text)
    return text.strip().rstrip(".,;").strip()


def text_word(match: re.Match) -> str:
    words = match.group(1).strip().rstrip(",.").split()
    if words and all(word.lower() in TEXT_WORDS for word in words):
        return " ".join(rf" \WORD{word.upper()} " for word in words)
    return match.group(0)


def tokenize(side: str) -> list[Token]:
    """The tokens of one side; raises ReadError for anything outside the notation."""
    if len(side) > MAX_SIDE_CHARACTERS:
        raise ReadError(
            f"the side has {len(side)} characters; the audit reads at most "
            f"{MAX_SIDE_CHARACTERS}"
        )
    text = normalize(side)
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        character = text[position]
        if character.isspace():
            position += 1
            continue
        single = bool(tokens) and tokens[-1].type in ("CARET", "UNDERSCORE")
        token, position = next_token(text, position, single)
        tokens.append(token)
    check_nesting(tokens)
    return mark_derivative_slashes(tokens)


def next_token(text: str, position: int, single: bool) -> tuple[Token, int]:
    """The token at ``position`` and where the next one starts."""
    character = text[position]
    if character == "\\":
        return command_token(text, position)
    if character in DIGITS:
        if single:  # x_12 is x_1 times 2, as LaTeX sets it
            return Token("NUMBER", character), position + 1
        match = NUMBER.match(text, position)
        if len(match.group(0)) > MAX_NUMBER_DIGITS:
            raise ReadError(f"the number {match.group(0)[:20]}... is too long to read")
        return Token("NUMBER", match.group(0)), match.end()
    if character.isascii() and character.isalpha():
        kind = "D" if character == "d" else "LETTER"
        return Token(kind, character), position + 1
    if character in "<>":
        if text.startswith("=", position + 1):
            return Token("REL", character + "="), position + 2
        return Token("REL", character), position + 1
    if character in PUNCTUATION:
        return Token(PUNCTUATION[character], character), position + 1
    raise ReadError(f"the character {character!r} is not part of the notation")


def command_token(text: str, position: int) -> tuple[Token, int]:
    match = COMMAND.match(text, position)
    if match is None:
        raise ReadError("it ends in a lone backslash")
    name = match.group(1)
    end = match.end()
    if name == "\\":
        return Token("ROWBREAK", r"\\"), end
    if name in COMMANDS:
        return Token(COMMANDS[name], "\\" + name), end
    if name in MARKERS:
        return Token(*MARKERS[name]), end
    if name in RELATIONS:
        return Token("REL", RELATIONS[name]), end
    if name in GREEK:
        return Token("LETTER", "\\" + name), end
    if name in ("text", "textrm", "mbox", "mathrm"):
        words = re.match(r"\{([^{}]*)\}", text[end:])
        shown = words.group(1).strip() if words else ""
        raise ReadError(f"the text '{shown}' is words, not notation the audit reads")
    raise ReadError(f"the command \\{name} is not part of the notation")


def mark_derivative_slashes(tokens: list[Token]) -> list[Token]:
    """A slash before d is the one in dL/dv; d is never a variable."""
    marked = list(tokens)
    for index, token in enumerate(tokens[:-1]):
        if token.type == "SLASH" and tokens[index + 1].type == "D":
            marked[index] = Token("DSLASH", "/")
    return marked


def check_nesting(tokens: list[Token]) -> None:
    depth = 0
    for token in tokens:
        if token.value in OPENERS or token.type == "BEGIN_CASES":
            depth += 1
            if depth > MAX_NESTING:
                raise ReadError(f"brackets are nested more than {MAX_NESTING} deep")
        elif token.value in CLOSERS or token.type == "END_CASES":
            depth -= 1
