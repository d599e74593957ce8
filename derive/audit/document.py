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

from derive.audit.lexer import ReadError
from derive.audit.macros import (
    Macro,
    Scope,
    expand,
    find_definitions,
    scope_ends,
)

MAX_LINKS = 600

ENVIRONMENTS = "equation|align|gather|multline|eqnarray|displaymath|flalign|alignat"
# A run of backticks, then text on the same line, then the same run (CommonMark's rule).
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")
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
# An HTML comment; one that never closes runs to the end only from a line's start.
HTML_COMMENT = re.compile(r"<!--.*?-->|^ {0,3}<!--.*", re.DOTALL | re.MULTILINE)
# An inline formula: $...$ (not $$) or \(...\), within one paragraph.
INLINE_MATH = re.compile(
    r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?(?<!\\)\$"
    r"|\\\((?:\\[^)]|[^\\\n]|\n(?![ \t]*\n))*?\\\)"
)
# What in LaTeX source is not math to read, found in one pass so that the first to
# start wins (a % before \iffalse makes it a comment): a % comment, text that LaTeX
# prints as it stands (verbatim environments, \verb|...|, \lstinline|...|,
# \mintinline{lang}{...}), and \iffalse, whose end (nested \if...\fi) is found apart.
NOT_MATH = re.compile(
    r"(?<!\\)(?P<rows>(?:\\\\)*)(?P<comment>%[^\n]*)"
    r"|\\begin\{(?P<name>(?:verbatim|Verbatim|BVerbatim|LVerbatim|lstlisting|minted"
    r"|comment|filecontents)\*?)\}.*?(?:\\end\{(?P=name)\}|\Z)"
    r"|\\verb\*?(?P<delimiter>[^A-Za-z*\s])[^\n]*?(?P=delimiter)"
    r"|\\(?:lstinline(?:\[[^\]\n]*\])?|mintinline(?:\[[^\]\n]*\])?\{[^{}\n]*\})"
    r"(?:\{[^}\n]*\}|(?P<mark>[^A-Za-z\s{\[])[^\n]*?(?P=mark))"
    r"|(?P<iffalse>\\iffalse(?![A-Za-z]))",
    re.DOTALL,
)
# \if, \ifx, \ifdefined... open a conditional and \fi closes one; \iff is a relation.
CONDITIONAL = re.compile(r"\\(?:(?P<open>if(?!f(?![A-Za-z]))[A-Za-z]*)|fi)(?![A-Za-z])")
# A code fence: three or more backticks or tildes (lines are tab-expanded first).
FENCE = re.compile(r" *(`{3,}|~{3,})")
# A list item's marker, then spaces and its content, or nothing (an empty item).
LIST_ITEM = re.compile(r" *(?P<marker>[-*+]|\d{1,9}[.)])(?:(?P<spaces> +)(?=\S)| *$)")
# The markers of a block quote, taken off before a line is read for code.
QUOTE = re.compile(r"^(?: {0,3}> ?)+")
DISPLAY_OPENER = re.compile(r"\$\$|\\\[|\\begin\{")
# What opens or closes a display, for telling code from a display's indented rows.
DISPLAY_MARK = re.compile(
    r"(?<!\\)(?P<dollars>\$\$)|(?<!\\)\\(?P<bracket>[\[\]])"
    rf"|\\(?P<side>begin|end)\{{(?:{ENVIRONMENTS})\*?\}}"
)
TRAILING_PUNCTUATION = re.compile(r"\s*(?<!\\)[,;.]\s*$")
CONDITION = re.compile(r"\\text\{\s*(?:when|if)\s*\}")
# A % after an even number of backslashes opens a comment: '\\%' is a row end and one.
COMMENT = re.compile(r"(?<!\\)(?P<rows>(?:\\\\)*)(?P<comment>%[^\n]*)")
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
    if latex:
        text = blank_latex_non_math(text)
    else:
        text = blank_markdown_code(text, document)
        text = blank_html_comments(blank_code_spans(text), document)
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


def blank_code_spans(text: str) -> str:
    """Markdown text with each inline code span (`...`, ``...``) replaced by spaces:
    math shown as code is an example, not a claim."""
    return CODE_SPAN.sub(lambda match: " " * len(match.group(0)), text)


def blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each (start, end) span replaced by spaces, line ends kept."""
    pieces, position = [], 0
    for start, end in spans:
        pieces += [text[position:start], re.sub(r"[^\n]", " ", text[start:end])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def blank_html_comments(text: str, document: Document) -> str:
    """Markdown text with its HTML comments replaced by spaces. An unclosed one at the
    start of a line hides the rest of the text, as CommonMark reads it, with a warning
    if display math is in it; elsewhere an unclosed '<!--' is text."""
    for match in HTML_COMMENT.finditer(text):
        comment = match.group(0)
        if not comment.endswith("-->") and DISPLAY_OPENER.search(comment):
            line = text.count("\n", 0, match.start()) + 1
            message = (
                "the HTML comment <!-- is never closed, so the rest of the document is "
                "a comment and its display math is not checked"
            )
            document.warnings.append((line, message))
    return blank_matches(HTML_COMMENT, text)


def blank_matches(pattern: re.Pattern, text: str) -> str:
    """The text with every match of the pattern replaced by spaces, but its line ends
    kept, so that line numbers do not change."""
    return pattern.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)


def blank_markdown_code(text: str, document: Document) -> str:
    """Markdown text with its code blocks replaced by spaces: fenced ones, and indented
    ones (four spaces or a tab more than the list item they are in, after a blank line,
    outside a display). A warning names an indented block that holds display math, which
    may have been meant as math, and a fence that never closes."""
    lines = text.split("\n")
    code = MarkdownCode(document)
    for number, line in enumerate(lines):
        if code.is_code(number, line):
            lines[number] = " " * len(line)
    code.finish(number)
    return "\n".join(lines)


class MarkdownCode:
    """Which lines of a Markdown text are code, decided line by line as CommonMark
    does for the cases a derivation meets (lists and block quotes one level deep, no
    HTML blocks)."""

    def __init__(self, document: Document):
        self.document = document
        # The open fence: its character, length, line and the indent of its list item.
        self.fence: tuple[str, int, int, int] | None = None
        self.fence_hides_math = False
        self.indented_from: int | None = None  # the first line of an indented block
        self.indented_warned = False
        self.list_indent: int | None = None  # content column of the list item, if any
        self.previous_blank = True
        self.displays = {"dollars": False, "bracket": False, "side": 0}

    def is_code(self, number: int, line: str) -> bool:
        expanded = QUOTE.sub("", line.expandtabs(4))
        blank = not expanded.strip()
        was_blank, self.previous_blank = self.previous_blank, blank
        indent = len(expanded) - len(expanded.lstrip())
        if self.fence is not None and not blank and indent < self.fence[3]:
            self.fence = None  # its list item ended, and the fence with it
            self.list_indent = None
        base = self.list_indent or 0
        if self.fence is not None:
            self.in_fence(expanded)
            self.previous_blank = False
            return True
        opener = FENCE.match(expanded)
        if opener and "`" in expanded[opener.end() :] and opener.group(1)[0] == "`":
            opener = None  # a code span, such as ```x```, not a fence
        if opener and indent < base + 4 and not self.in_display():
            self.fence = (opener.group(1)[0], len(opener.group(1)), number, base)
            self.indented_from = None
            return True
        if self.indented_from is not None and not blank and indent < base + 4:
            self.indented_from = None
        elif (
            self.indented_from is None
            and not blank
            and indent >= base + 4
            and was_blank
            and not self.in_display()
        ):
            self.indented_from, self.indented_warned = number, False
        if self.indented_from is not None:
            if not self.indented_warned and DISPLAY_OPENER.search(line):
                message = (
                    "an indented code block (four spaces) holds display math, which "
                    "is shown as code and not checked"
                )
                self.document.warnings.append((self.indented_from + 1, message))
                self.indented_warned = True
            return True
        self.follow_displays(HTML_COMMENT.sub("", CODE_SPAN.sub("", expanded)))
        if not blank:
            self.follow_lists(expanded, indent, was_blank)
        return False

    def in_fence(self, expanded: str) -> None:
        character, length, _, _ = self.fence
        closer = expanded.strip()
        indent = len(expanded) - len(expanded.lstrip())
        if (
            indent < (self.list_indent or 0) + 4
            and len(closer) >= length
            and closer == character * len(closer)
        ):
            self.fence = None
        elif DISPLAY_OPENER.search(expanded):
            self.fence_hides_math = True

    def finish(self, last: int) -> None:
        if self.fence is not None and self.fence_hides_math:
            character, length, line, _ = self.fence
            message = (
                f"the code fence {character * length} is never closed, so the rest of "
                "the document is code and its display math is not checked"
            )
            self.document.warnings.append((line + 1, message))

    def in_display(self) -> bool:
        return any(self.displays.values())

    def follow_displays(self, line: str) -> None:
        for mark in DISPLAY_MARK.finditer(line):
            if mark.lastgroup == "dollars":
                self.displays["dollars"] = not self.displays["dollars"]
            elif mark.lastgroup == "bracket":
                self.displays["bracket"] = mark.group("bracket") == "["
            else:
                step = 1 if mark.group("side") == "begin" else -1
                self.displays["side"] = max(0, self.displays["side"] + step)

    def follow_lists(self, expanded: str, indent: int, was_blank: bool) -> None:
        item = LIST_ITEM.match(expanded)
        if item is not None:
            # Content starts after the marker and its spaces, or one space after the
            # marker when more than four follow it (the rest is then indented code).
            spaces = len(item.group("spaces") or "")
            self.list_indent = item.end("marker") + (spaces if 0 < spaces <= 4 else 1)
        elif self.list_indent is not None and was_blank and indent < self.list_indent:
            self.list_indent = None  # a paragraph after the list


def blank_latex_non_math(text: str) -> str:
    """LaTeX source with its comments, verbatim text and \\iffalse blocks replaced by
    spaces (a comment's leading row ends kept), line ends kept."""
    pieces, position, commentless = [], 0, None
    while (match := NOT_MATH.search(text, position)) is not None:
        start, end = match.start(), match.end()
        if match.group("comment") is not None:
            start = match.start("comment")
        elif match.group("iffalse"):
            commentless = commentless or blank_comments(text)
            end = conditional_end(commentless, end)
        pieces += [text[position:start], re.sub(r"[^\n]", " ", text[start:end])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def conditional_end(text: str, position: int) -> int:
    """Where the \\fi that closes an \\if... opened before ``position`` ends, nested
    conditionals counted; the end of the text if none does."""
    depth = 1
    for mark in CONDITIONAL.finditer(text, position):
        depth += 1 if mark.group("open") else -1
        if depth == 0:
            return mark.end()
    return len(text)


def blank_comments(text: str) -> str:
    """The text with each % comment replaced by spaces, up to the end of its line."""
    return COMMENT.sub(
        lambda match: match.group("rows") + " " * len(match.group("comment")), text
    )


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
