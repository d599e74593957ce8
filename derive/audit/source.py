"""Reading stage 0: what in a document is not math to read, replaced by spaces.

Input: the text of a Markdown or LaTeX document. Output: the same text, line ends kept,
with its code, comments and verbatim text blanked, so that display math shown as an
example is not judged as a claim; warnings where math may have been hidden by mistake.
"""

from __future__ import annotations

import re

ENVIRONMENTS = "equation|align|gather|multline|eqnarray|displaymath|flalign|alignat"
# A run of backticks, then text on the same line, then the same run (CommonMark's rule).
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")

# An HTML comment; one that never closes runs to the end only from a line's start.
HTML_COMMENT = re.compile(r"<!--.*?-->|^ {0,3}<!--.*", re.DOTALL | re.MULTILINE)

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

# A % after an even number of backslashes opens a comment: '\\%' is a row end and one.
COMMENT = re.compile(r"(?<!\\)(?P<rows>(?:\\\\)*)(?P<comment>%[^\n]*)")


def blank_non_math(text: str, latex: bool, warnings: list[tuple[int, str]]) -> str:
    """The text with what is not math blanked: in LaTeX, % comments, verbatim text and
    \\iffalse blocks; in Markdown, code blocks, code spans and HTML comments."""
    if latex:
        return blank_latex_non_math(text)
    text = blank_markdown_code(text, warnings)
    return blank_html_comments(blank_code_spans(text), warnings)


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


def blank_html_comments(text: str, warnings: list[tuple[int, str]]) -> str:
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
            warnings.append((line, message))
    return blank_matches(HTML_COMMENT, text)


def blank_matches(pattern: re.Pattern, text: str) -> str:
    """The text with every match of the pattern replaced by spaces, but its line ends
    kept, so that line numbers do not change."""
    return pattern.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)


def blank_markdown_code(text: str, warnings: list[tuple[int, str]]) -> str:
    """Markdown text with its code blocks replaced by spaces: fenced ones, and indented
    ones (four spaces or a tab more than the list item they are in, after a blank line,
    outside a display). A warning names an indented block that holds display math, which
    may have been meant as math, and a fence that never closes."""
    lines = text.split("\n")
    code = MarkdownCode(warnings)
    for number, line in enumerate(lines):
        if code.is_code(number, line):
            lines[number] = " " * len(line)
    code.finish(number)
    return "\n".join(lines)


class MarkdownCode:
    """Which lines of a Markdown text are code, decided line by line as CommonMark
    does for the cases a derivation meets (lists and block quotes one level deep, no
    HTML blocks)."""

    def __init__(self, warnings: list[tuple[int, str]]):
        self.warnings = warnings
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
                self.warnings.append((self.indented_from + 1, message))
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
            self.warnings.append((line + 1, message))

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
