"""Reading stage 0: what in a document is not math to read, replaced by spaces.

Input: the text of a Markdown or LaTeX document. Output: the same text, line ends kept,
with its code, comments and verbatim text blanked, so that display math shown as an
example is not judged as a claim; warnings where math may have been hidden by mistake.
"""

from __future__ import annotations

import re

ENVIRONMENTS = "equation|align|gather|multline|eqnarray|displaymath|flalign|alignat"
# A run of backticks, then text (across lines, but not a blank one), then the same run.
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)\1(?!`)")

# An HTML comment (one that never closes runs to the end only from a line's start),
# or HTML code, which MathJax leaves be: <pre>...</pre>, <code>...</code>.
HTML_COMMENT = re.compile(
    r"<!--.*?-->|^ {0,3}<!--.*|<(?P<tag>pre|code)(?:\s[^>]*)?>.*?</(?P=tag)\s*>",
    re.DOTALL | re.MULTILINE | re.IGNORECASE,
)

# A % after an even number of backslashes opens a comment: '\\%' is a row end and one.
COMMENT = re.compile(r"(?<!\\)(?P<rows>(?:\\\\)*)(?P<comment>%[^\n]*)")
# What in LaTeX source is not math to read, found in one pass so that the first to
# start wins (a % before \iffalse makes it a comment): a % comment, text that LaTeX
# prints as it stands (verbatim environments, \verb|...|, \lstinline|...|,
# \mintinline{lang}{...}), and \iffalse, whose end (nested \if...\fi) is found apart.
NOT_MATH = re.compile(
    COMMENT.pattern
    + r"|\\begin\{(?P<name>(?:verbatim|Verbatim|BVerbatim|LVerbatim|lstlisting|minted"
    r"|comment|filecontents)\*?)\}.*?(?:\\end\{(?P=name)\}|\Z)"
    r"|\\verb\*?(?P<delimiter>[^A-Za-z*\s])[^\n]*?(?P=delimiter)"
    r"|\\(?:lstinline(?:\[[^\]\n]*\])?|mintinline(?:\[[^\]\n]*\])?\{[^{}\n]*\})"
    r"(?:\{[^}\n]*\}|(?P<mark>[^A-Za-z\s{\[])[^\n]*?(?P=mark))"
    r"|(?P<iffalse>\\iffalse(?![A-Za-z]))",
    re.DOTALL,
)
# A definition on the line before an \iffalse stores it rather than runs it.
STORES = re.compile(
    r"\\(?:let|[gex]?def|(?:renew|provide|new)command\*?)(?![A-Za-z])|\\newif(?![A-Za-z])"
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


def blank_non_math(text: str, latex: bool, warnings: list[tuple[int, str]]) -> str:
    """The text with what is not math blanked: in LaTeX, % comments, verbatim text and
    \\iffalse blocks; in Markdown, code blocks, code spans and HTML comments."""
    if latex:
        return blank_latex_non_math(text, warnings)
    text = blank_markdown_code(text, warnings)
    return blank_html_comments(blank_code_spans(text), warnings)


def blank_code_spans(text: str) -> str:
    """Markdown text with each inline code span (`...`, ``...``) replaced by spaces:
    math shown as code is an example, not a claim."""
    return blank_matches(CODE_SPAN, text)


def blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each (start, end) span, in order, replaced by spaces but its line
    ends kept, so that line numbers do not change."""
    pieces, position = [], 0
    for start, end in spans:
        pieces += [text[position:start], re.sub(r"[^\n]", " ", text[start:end])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def blank_html_comments(text: str, warnings: list[tuple[int, str]]) -> str:
    """Markdown text with its HTML comments, <pre> and <code> replaced by spaces. An
    unclosed comment at the start of a line hides the rest of the text, as CommonMark
    reads it, with a warning if display math is in it; elsewhere an unclosed '<!--' is
    text."""
    for match in HTML_COMMENT.finditer(text):
        comment = match.group(0)
        unclosed = comment.lstrip().startswith("<!--") and not comment.endswith("-->")
        if unclosed and DISPLAY_OPENER.search(comment):
            line = text.count("\n", 0, match.start()) + 1
            message = (
                "the HTML comment <!-- is never closed, so the rest of the document is "
                "a comment and its display math is not checked"
            )
            warnings.append((line, message))
    return blank_matches(HTML_COMMENT, text)


def blank_matches(pattern: re.Pattern, text: str) -> str:
    """The text with every match of the pattern blanked as by blank_spans."""
    return blank_spans(text, [match.span() for match in pattern.finditer(text)])


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
        elif number in code.math_fences:  # ```math ... ``` is display math on GitHub
            lines[number] = "$$".ljust(len(line))
        else:  # a block quote's markers are not part of the math in it
            lines[number] = QUOTE.sub(lambda match: " " * len(match.group()), line)
    code.finish(number)
    return "\n".join(lines)


class MarkdownCode:
    """Which lines of a Markdown text are code, decided line by line as CommonMark
    does for the cases a derivation meets (lists and block quotes one level deep, no
    HTML blocks)."""

    def __init__(self, warnings: list[tuple[int, str]]):
        self.warnings = warnings
        # The open fence: its character, length, line, the indent of its list item, and
        # whether it holds math (```math) rather than code.
        self.fence: tuple[str, int, int, int, bool] | None = None
        self.fence_hides_math = False
        self.math_fences: set[int] = set()  # lines that open or close a ```math fence
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
            math = self.fence[4]
            closed = self.in_fence(expanded)
            self.previous_blank = False
            if math and closed:
                self.math_fences.add(number)
            return not math
        opener = FENCE.match(expanded)
        info = expanded[opener.end() :].strip() if opener else ""
        if opener and "`" in info and opener.group(1)[0] == "`":
            opener = None  # a code span, such as ```x```, not a fence
        if opener and indent < base + 4 and not self.in_display():
            math = info == "math"
            self.fence = (opener.group(1)[0], len(opener.group(1)), number, base, math)
            self.indented_from = None
            if math:
                self.math_fences.add(number)
            return not math
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
                    "an indented code block (four spaces or more) holds display math, "
                    "which is shown as code and not checked"
                )
                self.warnings.append((self.indented_from + 1, message))
                self.indented_warned = True
            return True
        self.follow_displays(HTML_COMMENT.sub("", CODE_SPAN.sub("", expanded)))
        if not blank:
            self.follow_lists(expanded, indent, was_blank)
        return False

    def in_fence(self, expanded: str) -> bool:
        """Whether this line closes the open fence."""
        character, length, _, _, math = self.fence
        closer = expanded.strip()
        indent = len(expanded) - len(expanded.lstrip())
        if (
            indent < (self.list_indent or 0) + 4
            and len(closer) >= length
            and closer == character * len(closer)
        ):
            self.fence = None
            return True
        if not math and DISPLAY_OPENER.search(expanded):
            self.fence_hides_math = True
        return False

    def finish(self, last: int) -> None:
        if self.fence is not None and self.fence_hides_math:
            character, length, line, _, _ = self.fence
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


def blank_latex_non_math(text: str, warnings: list[tuple[int, str]]) -> str:
    """LaTeX source with its comments, verbatim text and \\iffalse blocks replaced by
    spaces (a comment's leading row ends kept), line ends kept. An \\iffalse that a
    definition stores (\\let\\ifanswers\\iffalse) is not run, so it hides nothing."""
    spans, position, commentless = [], 0, None
    while (match := NOT_MATH.search(text, position)) is not None:
        start, end = match.start(), match.end()
        if match.group("comment") is not None:
            start = match.start("comment")
        elif match.group("iffalse"):
            line_start = text.rfind("\n", 0, start) + 1
            if STORES.search(text, line_start, start):
                position = end
                continue
            commentless = commentless or blank_comments(text)
            end = conditional_end(commentless, end)
            if end == len(text) and DISPLAY_OPENER.search(text, start):
                line = text.count("\n", 0, start) + 1
                message = (
                    "\\iffalse has no \\fi to end it, so the rest of the document is "
                    "skipped and its display math is not checked"
                )
                warnings.append((line, message))
        spans.append((start, end))
        position = end
    return blank_spans(text, spans)


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
