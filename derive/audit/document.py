"""Document stage: Markdown or LaTeX text into chains of equal sides, with line numbers.

Display math ($$...$$, \\[...\\], equation, align and their starred forms) is split at
top-level '=' signs (and \\eqqcolon, \\coloneqq, '=:', ':=') into chains; \\implies,
\\quad, commas and '\\\\' rows separate chains, except that a row continuing a chain
('= \\\\ &= ...', '\\\\ &\\qquad - ...') joins it, and an '=' after \\text{when} or
\\text{if} belongs to a condition on the side before it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from derive.audit.expansion import Macro, expand
from derive.audit.lexer import ReadError
from derive.audit.macros import (
    MacrosInScope,
    find_definitions,
    inline_math,
    scope_ends,
)
from derive.audit.source import (
    ENVIRONMENTS,
    blank_comments,
    blank_non_math,
    blank_spans,
)

MAX_LINKS = 600

OPENER = re.compile(
    r"(?<!\\)(?P<dollars>\$\$)"
    r"|(?<!\\)(?P<bracket>\\\[)"
    rf"|\\begin\{{(?P<environment>(?:{ENVIRONMENTS})\*?)\}}",
    re.MULTILINE,
)
WRAPPERS = re.compile(
    r"\\(?:begin|end)\{(?:aligned|alignedat|split|gathered|multlined)\}(?:\{\d+\})?"
    r"|\\(?:label|tag\*?)\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])"
)
TRAILING_PUNCTUATION = re.compile(r"\s*(?<!\\)[,;.]\s*$")
CONDITION = re.compile(r"\\text\{\s*(?:when|if)\s*\}")
PIECES = re.compile(
    r"(?P<row>\\\\(?:\s*\[[^\]\n]*\])?)"
    r"|(?P<hard>\\(?:implies|Rightarrow|Longrightarrow|iff|Leftrightarrow)(?![A-Za-z]))"
    r"|(?P<soft>\\q?quad(?![A-Za-z])|[,;])"
    r"|(?P<open>\\left(?![A-Za-z])\s*(?:\\[A-Za-z]+|\\.|.)|\\begin\{[^{}]*\}|\\\{|[{(\[])"
    r"|(?P<close>\\right(?![A-Za-z])\s*(?:\\[A-Za-z]+|\\.|.)|\\end\{[^{}]*\}|\\\}|[})\]])"
    r"|(?P<eq>\\(?:eqqcolon|coloneqq)(?![A-Za-z])|=:|:=|\u2254|\u2255|(?<![<>!])=(?!=))"
    r"|(?P<amp>&)"
    r"|\\[A-Za-z]+|\\.",
    re.DOTALL,
)


@dataclass(frozen=True)
class Side:
    text: str  # the LaTeX of the side, as written
    line: int  # 1-based line where the side starts


@dataclass
class Chain:
    number: int  # the equation's number in the document, from 1
    sides: list[Side]
    link_lines: list[int]  # the line of the '=' of each link
    problem: str | None = None  # why the display cannot be split with certainty
    # Each link's sign: '=', or '=:' and ':=', which define the side by the colon.
    operators: list[str] = field(default_factory=list)
    macros: dict[str, Macro] = field(default_factory=dict)  # the document's, here
    start: int = 0  # offset of the chain's first side in the document


@dataclass
class Document:
    chains: list[Chain] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    displays: int = 0  # how many displays the text has, with or without equations


@dataclass(frozen=True)
class Piece:
    kind: str  # text, eq, row, hard, soft
    start: int  # offsets into the document
    end: int


def read_document(text: str, latex: bool = False) -> Document:
    """Every chain of every display in the text, in order, within the link budget. In
    LaTeX source, % comments and verbatim text are blanked first, so a commented-out
    display is not read; in Markdown, % is text outside math, and inline code spans,
    indented code blocks and HTML comments are blanked."""
    document = Document()
    text = blank_non_math(text, latex, document.warnings)
    definitions = find_definitions(text)
    text = blank_spans(text, [(item.start, item.end) for item in definitions])
    lines = LineIndex(text)
    spans = list(displays(text, document, lines))
    regions = sorted(spans + inline_math(text, spans))
    if latex:
        ends = scope_ends(text, definitions, regions)
    else:  # MathJax and Pandoc: every definition holds from where it stands
        ends = [len(text)] * len(definitions)
    macros = MacrosInScope(definitions, ends, len(text), latex)
    links = 0
    for start, end in spans:
        document.displays += 1
        chains = split_display(text, start, end, lines)
        for chain in chains:
            chain.macros = macros.at(chain.start)
        if not chains:
            warning = no_chain_warning(
                text[start:end], macros.at(end), definitions, start
            )
            if warning:
                document.warnings.append((lines.line(start), warning))
        total = sum(len(chain.link_lines) for chain in chains)
        if total and links == MAX_LINKS:
            message = f"the audit stops here, after {links} links"
            document.warnings.append((chains[0].link_lines[0], message))
            return document
        if links + total > MAX_LINKS:
            chains = within_budget(chains, MAX_LINKS - links)
            message = (
                f"the display has {total} links and the audit checks at most "
                f"{MAX_LINKS} in all, so only its first {MAX_LINKS - links} are checked"
            )
            document.warnings.append((lines.line(start), message))
        for chain in chains:
            chain.number = len(document.chains) + 1
            links += len(chain.link_lines)
            document.chains.append(chain)
    document.warnings += [(lines.line(at), message) for at, message in macros.warnings]
    return document


def no_chain_warning(content: str, macros, definitions, start: int) -> str | None:
    """Why a display gave no chain, or None for one that held only definitions."""
    # An '=' inside a bracket that never closes is not a top-level one.
    _, balanced = scan(blank_out(content))
    if not content.strip():
        end = start + len(content)
        if any(start <= item.start < end for item in definitions):
            return None
    if balanced:
        try:
            expanded = expand(content, macros)
        except ReadError:
            expanded = content
        if "=" in expanded and "=" not in content:
            return (
                "the display's '=' comes from a macro, and the audit splits links only "
                "at an '=' written out, so nothing in it is checked"
            )
    reason = "has no '='" if balanced else "has brackets that do not balance"
    return f"the display {reason}, so nothing in it is checked"


def within_budget(chains: list[Chain], budget: int) -> list[Chain]:
    """The first ``budget`` links of the chains, a chain cut short where it ends."""
    kept = []
    for chain in chains:
        if budget <= 0:
            break
        count = min(budget, len(chain.link_lines))
        chain.sides = chain.sides[: count + 1]
        chain.link_lines = chain.link_lines[:count]
        chain.operators = chain.operators[:count]
        kept.append(chain)
        budget -= count
    return kept


class LineIndex:
    def __init__(self, text: str):
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


NEVER_CLOSED = "is never closed; the text up to the next display is not checked"


def displays(text: str, document: Document, lines: LineIndex):
    """(start, end) offsets of the content of each display."""
    position = 0
    never_closed = set()  # closers not found after some point, so not after any later
    while (opener := OPENER.search(text, position)) is not None:
        kind = opener.lastgroup
        key = (kind, opener.group(kind))
        found = None
        if key not in never_closed:
            found = CLOSERS[kind](opener).search(text, opener.end())
        if found is None:
            if key not in never_closed:  # the first such opener stands for the rest
                where = lines.line(opener.start())
                opened = opener.group(0).strip()  # \begin{align} rather than align
                document.warnings.append((where, f"{opened} {NEVER_CLOSED}"))
            never_closed.add(key)
            position = opener.end()  # displays after it are still read
            continue
        yield opener.end(), found.start("closer")
        position = found.end()


# A closing $$ or \] may follow a \\ row end: after an even run of backslashes.
CLOSERS = {
    "dollars": lambda opener: re.compile(r"(?<!\\)(?:\\\\)*(?P<closer>\$\$)"),
    "bracket": lambda opener: re.compile(r"(?<!\\)(?:\\\\)*(?P<closer>\\\])"),
    "environment": lambda opener: re.compile(
        "(?P<closer>" + re.escape(rf"\end{{{opener.group('environment')}}}") + ")"
    ),
}


def split_display(text: str, start: int, end: int, lines: LineIndex) -> list[Chain]:
    """The chains of one display whose content is text[start:end]."""
    content = blank_out(text[start:end])
    items, balanced = scan(content)
    problem = None
    if not balanced:
        problem = "its brackets do not balance, so where each side ends is uncertain"
    stream = conditions_as_text(join_rows(items, content), content)
    chains = []
    for chunk in split_at(stream, "hard"):
        for part in merge_soft(chunk):
            chain = make_chain(part, content, start, lines)
            if chain is not None:
                chain.problem = problem
                chains.append(chain)
    return chains


def blank_out(content: str) -> str:
    """The content with comments and alignment wrappers replaced by spaces."""
    content = blank_comments(content)
    return WRAPPERS.sub(lambda match: " " * len(match.group(0)), content)


def scan(content: str) -> tuple[list[Piece], bool]:
    """Text and the top-level separators between it; and whether brackets balance."""
    items: list[Piece] = []
    depth, balanced, cursor = 0, True, 0
    for match in PIECES.finditer(content):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth < 0:
                balanced, depth = False, 0
        if kind in (None, "open", "close") or depth > 0:
            continue
        items.append(Piece("text", cursor, match.start()))
        if kind != "amp":
            items.append(Piece(kind, match.start(), match.end()))
        cursor = match.end()
    items.append(Piece("text", cursor, len(content)))
    return items, balanced and depth == 0


def join_rows(items: list[Piece], content: str) -> list[Piece]:
    """One stream of pieces, a 'hard' break where a row starts a new chain."""
    rows: list[list[Piece]] = [[]]
    for piece in items:
        if piece.kind == "row":
            rows.append([])
        else:
            rows[-1].append(piece)
    stream: list[Piece] = []
    for row in rows:
        row = spacing_as_text(row, content)
        significant = [piece for piece in row if not blank(piece, content)]
        if not significant:
            continue
        if stream:
            last = [piece for piece in stream if not blank(piece, content)][-1]
            lead = significant[0]
            if lead.kind == "eq" and last.kind == "eq":
                row = [piece for piece in row if piece is not lead]  # '= \\ &=' is one
            elif not continues(last, lead, content):
                stream.append(Piece("hard", lead.start, lead.start))
        stream.extend(row)
    return stream


def spacing_as_text(row: list[Piece], content: str) -> list[Piece]:
    """A row's leading \\quad or \\qquad is indentation, not a separator: dropped."""
    for index, piece in enumerate(row):
        if piece.kind == "soft" and content[piece.start] == "\\":
            row = [*row[:index], Piece("text", piece.end, piece.end), *row[index + 1 :]]
        elif not blank(piece, content):
            break
    return row


def continues(last: Piece, lead: Piece, content: str) -> bool:
    """Whether a row carries on the chain above it rather than starting one."""
    if last.kind == "eq" or lead.kind == "eq":
        return True
    return content[lead.start : lead.end].lstrip()[:1] in ("+", "-")


def blank(piece: Piece, content: str) -> bool:
    return piece.kind == "text" and not content[piece.start : piece.end].strip()


def conditions_as_text(stream: list[Piece], content: str) -> list[Piece]:
    """In '\\quad \\text{when} y_1 + y_2 = 1' the '=' is the condition's, not a link."""
    result: list[Piece] = []
    pending = False
    for piece in stream:
        if piece.kind == "eq" and pending:
            piece, pending = Piece("text", piece.start, piece.end), False
        elif piece.kind in ("eq", "hard"):
            pending = False
        elif piece.kind == "text" and top_level_condition(piece, content):
            pending = True
        result.append(piece)
    return result


def top_level_condition(piece: Piece, content: str) -> bool:
    """Whether the text holds \\text{when} or \\text{if} outside any bracket."""
    for found in CONDITION.finditer(content, piece.start, piece.end):
        before = PIECES.finditer(content, piece.start, found.start())
        kinds = [match.lastgroup for match in before]
        if kinds.count("open") == kinds.count("close"):
            return True
    return False


def split_at(stream: list[Piece], kind: str) -> list[list[Piece]]:
    parts: list[list[Piece]] = [[]]
    for piece in stream:
        if piece.kind == kind:
            parts.append([])
        else:
            parts[-1].append(piece)
    return parts


def merge_soft(chunk: list[Piece]) -> list[list[Piece]]:
    """Split at commas and \\quad only where both parts hold an '='; else keep them."""
    parts = split_at(chunk, "soft")
    separators = [piece for piece in chunk if piece.kind == "soft"]
    merged = [parts[0]]
    for separator, part in zip(separators, parts[1:], strict=True):
        if has_equals(part) and has_equals(merged[-1]):
            merged.append(part)
        else:
            kept = Piece("text", separator.start, separator.end)
            merged[-1] = [*merged[-1], kept, *part]
    return merged


def has_equals(pieces: list[Piece]) -> bool:
    return any(piece.kind == "eq" for piece in pieces)


def make_chain(part: list[Piece], content: str, base: int, lines: LineIndex):
    """The chain of one part, or None when it has no '=' (it is not an equation)."""
    equals = [piece for piece in part if piece.kind == "eq"]
    if not equals:
        return None
    groups = split_at(part, "eq")
    sides, offsets = [], []
    for index, group in enumerate(groups):
        words = " ".join(content[piece.start : piece.end] for piece in group)
        filled = [piece for piece in group if not blank(piece, content)]
        if filled:
            offset = (
                filled[0].start
                + len(content[filled[0].start :])
                - len(content[filled[0].start :].lstrip())
            )
        else:
            offset = equals[min(index, len(equals) - 1)].start
        words = re.sub(r" ([,;])", r"\1", " ".join(words.split()))
        words = TRAILING_PUNCTUATION.sub("", words)
        sides.append(Side(words, lines.line(base + offset)))
        offsets.append(base + offset)
    link_lines = [lines.line(base + piece.start) for piece in equals]
    operators = [operator(content[piece.start : piece.end]) for piece in equals]
    return Chain(0, sides, link_lines, operators=operators, start=offsets[0])


def operator(sign: str) -> str:
    if sign in ("=:", r"\eqqcolon", "\u2255"):
        return "=:"
    if sign in (":=", r"\coloneqq", "\u2254"):
        return ":="
    return "="
