"""Finding display math in Markdown and LaTeX and splitting it into chains of sides."""

from __future__ import annotations

import pytest

from derive.audit.document import read_document

SPLITS = [
    ("single", "$$a = b$$", [["a", "b"]]),
    ("chain", "$$a = b = c$$", [["a", "b", "c"]]),
    ("implies", r"$$a = b \implies c = d$$", [["a", "b"], ["c", "d"]]),
    ("quad", r"$$a = b, \quad c = d$$", [["a", "b"], ["c", "d"]]),
    ("comma", r"$$a = b, c = d.$$", [["a", "b"], ["c", "d"]]),
    (
        "comma-inside-a-piecewise",
        r"$$a = 0 \text{ if } z \leq 0, 1 \text{ otherwise}$$",
        [["a", r"0 \text{ if } z \leq 0, 1 \text{ otherwise}"]],
    ),
    ("comma-inside-parentheses", "$$a = (0, 1)$$", [["a", "(0, 1)"]]),
    (
        "aligned-rows",
        r"$$\begin{aligned} a &= b \\ c &= d \end{aligned}$$",
        [["a", "b"], ["c", "d"]],
    ),
    ("row-continues-with-equals", r"$$a &= b \\ &= c$$", [["a", "b", "c"]]),
    ("link-broken-across-rows", r"$$a &= b = \\ &= c$$", [["a", "b", "c"]]),
    ("next-side-starts-with-minus", r"$$a &= b = \\ &- c$$", [["a", "b", "- c"]]),
    ("side-continues-on-a-row", r"$$a &= b \\ &+ c$$", [["a", "b + c"]]),
    (
        "equals-inside-braces",
        r"$$\sum_{k=1}^{2} y_k = 1$$",
        [[r"\sum_{k=1}^{2} y_k", "1"]],
    ),
    ("less-or-equal", "$$a <= b = c$$", [["a <= b", "c"]]),
    ("code-block-skipped", "```\n$$a = b$$\n```\n$$c = d$$", [["c", "d"]]),
    ("inline-math-ignored", "$a = b$ and $$c = d$$", [["c", "d"]]),
    ("bracket-display", r"\[ a = b \]", [["a", "b"]]),
    ("equation", r"\begin{equation} a = b \end{equation}", [["a", "b"]]),
    (
        "align-star",
        r"\begin{align*} a &= b \\ c &= d \end{align*}",
        [["a", "b"], ["c", "d"]],
    ),
    ("comment", "\\begin{equation} a = b % = c\n\\end{equation}", [["a", "b"]]),
    (
        "comment-after-a-row-end",
        "\\begin{align} a &= b \\\\% = c\n d &= e \\end{align}",
        [["a", "b"], ["d", "e"]],
    ),
    (
        "escaped-percent-after-a-row-end",
        r"$$a &= b \\\% = c$$",
        [["a", "b"], [r"\%", "c"]],
    ),
    ("label", r"\begin{equation} a = b \label{eq:one} \end{equation}", [["a", "b"]]),
    ("row-spacing", r"$$a &= b \\[4pt] c &= d$$", [["a", "b"], ["c", "d"]]),
    (
        "cases-keep-their-rows",
        r"$$a = \begin{cases} 1 & z \\ 0 & y \end{cases}$$",
        None,
    ),
    ("no-equals", "$$a + b$$", []),
    (
        "sum-continued-after-qquad",
        r"$$a &= b \\ &\qquad - c \\ &= d$$",
        [["a", "b - c", "d"]],
    ),
    (
        "sum-continued-after-nonumber-and-quad",
        r"$$a &= b \nonumber \\ &\quad + c \notag \\ &= d \label{eq:x}$$",
        [["a", "b + c", "d"]],
    ),
    (
        "indented-row-is-a-new-chain",
        r"$$a &= b \\ &\qquad c = d$$",
        [["a", "b"], ["c", "d"]],
    ),
    ("eqqcolon", r"$$a = b \eqqcolon c$$", [["a", "b", "c"]]),
    (
        "display-of-one-eqqcolon",
        r"$$-\frac{y_1}{z_1} \eqqcolon c$$",
        [[r"-\frac{y_1}{z_1}", "c"]],
    ),
    ("coloneqq", r"$$c \coloneqq b$$", [["c", "b"]]),
    ("colon-equals", r"$$c := b =: d$$", [["c", "b", "d"]]),
    (
        "condition-after-quad",
        r"$$a = b \quad \text{when } y_1 + y_2 = 1$$",
        [["a", r"b \quad \text{when } y_1 + y_2 = 1"]],
    ),
    (
        "condition-without-quad",
        r"$$a = b \text{ if } y_1 = 1$$",
        [["a", r"b \text{ if } y_1 = 1"]],
    ),
    (
        "if-inside-brackets-is-no-condition",
        r"$$a = \left(0 \text{ if } z \leq 0, 1 \text{ otherwise}\right) = c$$",
        [["a", r"\left(0 \text{ if } z \leq 0, 1 \text{ otherwise}\right)", "c"]],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in SPLITS], ids=[c[0] for c in SPLITS]
)
def test_splits(text, expected):
    chains = read_document(text).chains
    sides = [[side.text for side in chain.sides] for chain in chains]
    if expected is None:  # the cases environment stays one side
        assert len(sides) == 1 and len(sides[0]) == 2
    else:
        assert sides == expected
    assert all(chain.problem is None for chain in chains)


def test_lines_are_those_of_each_equals_sign():
    text = "Intro\n\n$$\\begin{aligned}\nL &= a \\\\\n  &= b = \\\\\n  &- c\n\\end{aligned}$$\n"
    (chain,) = read_document(text).chains
    assert chain.link_lines == [4, 5, 5]
    assert [side.line for side in chain.sides] == [4, 4, 5, 6]


def test_equations_are_numbered_through_the_document():
    text = "$$a = b \\implies c = d$$\n\n\\[ e = f \\]\n"
    assert [chain.number for chain in read_document(text).chains] == [1, 2, 3]


def test_unbalanced_brackets_are_a_problem_not_a_guess():
    (chain,) = read_document(r"$$a = \left[ b = c$$").chains
    assert "do not balance" in chain.problem


def test_unclosed_display_is_a_warning():
    document = read_document("text\n$$a = b\nmore text\n")
    assert document.chains == []
    assert document.warnings == [
        (2, "$$ is never closed; the text up to the next display is not checked")
    ]


def test_displays_after_an_unclosed_one_are_read():
    text = "\\begin{equation} a = b \\end{align}\n\n$$c = d$$\n\\[e = f\\]\n"
    document = read_document(text)
    assert [[side.text for side in chain.sides] for chain in document.chains] == [
        ["c", "d"],
        ["e", "f"],
    ]
    assert document.warnings == [
        (
            1,
            "\\begin{equation} is never closed; "
            "the text up to the next display is not checked",
        )
    ]


@pytest.mark.parametrize(
    "text",
    [
        "$$a = b \\\\$$\n$$c = 7 d$$\n$$e = f$$\n",
        "\\[a = b \\\\\\]\n\\[c = 7 d\\]\n\\[e = f\\]\n",
        "$$a = b \\\\\\\\$$\n$$c = 7 d$$\n$$e = f$$\n",
    ],
    ids=["dollars", "bracket", "two-row-ends"],
)
def test_a_row_end_just_before_the_closer_closes_the_display(text):
    document = read_document(text)
    assert [chain.sides[-1].text for chain in document.chains] == ["b", "7 d", "f"]
    assert document.warnings == []


def test_an_escaped_dollar_does_not_close_a_display():
    (chain,) = read_document("$$a = \\$ b$$").chains
    assert [side.text for side in chain.sides] == ["a", "\\$ b"]


def test_link_count_is_bounded():
    document = read_document("$$a = b$$\n" * 700)
    assert sum(len(chain.link_lines) for chain in document.chains) == 600
    assert document.warnings[-1][1] == "the audit stops here, after 600 links"


def test_colon_signs_are_kept_as_the_links_operators():
    (chain,) = read_document(r"$$a := b \eqqcolon c = d =: e$$").chains
    assert chain.operators == [":=", "=:", "=", "=:"]


def test_a_display_without_an_equals_sign_is_a_warning():
    document = read_document("text\n\n$$a + b$$\n")
    assert document.chains == [] and document.displays == 1
    assert document.warnings == [
        (3, "the display has no '=', so nothing in it is checked")
    ]


def test_an_equals_sign_inside_an_unclosed_bracket_is_named_as_such():
    document = read_document("$$\\left( \\frac{dL}{dz} = 1$$\n")
    assert document.chains == []
    assert document.warnings == [
        (1, "the display has brackets that do not balance, so nothing in it is checked")
    ]


def test_commented_out_displays_in_latex_are_not_read():
    text = "% \\begin{equation} a = 5 \\end{equation}\n\\[ b = c \\] % $$d = e$$\n"
    assert [len(read_document(text).chains), read_document(text).displays] == [3, 3]
    document = read_document(text, latex=True)
    assert [side.text for side in document.chains[0].sides] == ["b", "c"]
    assert document.displays == 1 and document.chains[0].link_lines == [2]


def test_one_display_over_the_link_budget_keeps_its_first_links():
    document = read_document("$$" + " = ".join(["a"] * 701) + "$$\n$$b = c$$\n")
    assert [len(chain.link_lines) for chain in document.chains] == [600]
    assert document.warnings == [
        (
            1,
            "the display has 700 links and the audit checks at most 600 in all, "
            "so only its first 600 are checked",
        ),
        (2, "the audit stops here, after 600 links"),
    ]


@pytest.mark.parametrize(
    "span", ["`$$x_1 = 7$$`", "``$$x_1 = 7$$``", "`` `$$x_1 = 7$$` ``"], ids=[1, 2, 3]
)
def test_markdown_code_spans_are_examples_not_claims(span):
    text = f"Write {span} for display math.\n$$a = b$$\n"
    document = read_document(text)
    assert [[side.text for side in chain.sides] for chain in document.chains] == [
        ["a", "b"]
    ]
    assert document.chains[0].link_lines == [2]


def test_backticks_in_latex_source_are_quotes():
    document = read_document("``quoted'' $$a = b$$ `x`\n", latex=True)
    assert [[side.text for side in chain.sides] for chain in document.chains] == [
        ["a", "b"]
    ]


def chain_texts(document) -> list[list[str]]:
    return [[side.text for side in chain.sides] for chain in document.chains]


def test_markdown_html_comments_are_not_read():
    text = "<!-- $$a = 5$$\n$$b = 6$$ -->\n$$c = d$$\n<!-- never closed $$e = f$$"
    document = read_document(text)
    assert chain_texts(document) == [["c", "d"]]
    assert document.chains[0].link_lines == [3]
    assert document.warnings == [
        (
            4,
            "the HTML comment <!-- is never closed, so the rest of the document is a "
            "comment and its display math is not checked",
        )
    ]


def test_an_unclosed_html_comment_within_a_line_is_text():
    document = read_document("Comments start with <!-- in HTML.\n$$c = d$$\n")
    assert chain_texts(document) == [["c", "d"]] and document.warnings == []


def test_markdown_indented_code_is_shown_as_code_with_a_warning():
    text = "Not this:\n\n    $$a = 5$$\n\n$$b = c$$\n"
    document = read_document(text)
    assert chain_texts(document) == [["b", "c"]]
    assert document.warnings == [
        (
            3,
            "an indented code block (four spaces or more) holds display math, which "
            "is shown as code and not checked",
        )
    ]


@pytest.mark.parametrize(
    "text",
    [
        "1. The first step:\n\n    $$a = b$$\n",  # a list item's own paragraph
        "Text\n    $$a = b$$\n",  # no blank line before: a paragraph's lazy line
        "$$\n\\begin{aligned}\n\n    a &= b\n\\end{aligned}\n$$\n",  # a display's row
        "```\n$$\n```\n\n    \\[ x = y \\]\n\n$$a = b$$\n",  # a fence's $$ is code
    ],
    ids=["list-item", "paragraph", "display-row", "fence"],
)
def test_indented_math_that_is_not_a_code_block_is_read(text):
    assert ["a", "b"] in chain_texts(read_document(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A longer fence is closed only by one as long: the ``` line inside is code.
        ("````\n```python\n$$a = 5$$\n````\n$$b = c$$\n", [["b", "c"]]),
        ("````\n```\n````\n$$b = c$$\n", [["b", "c"]]),
        ("~~~\n$$a = 5$$\n~~~~\n$$b = c$$\n", [["b", "c"]]),
        ("```x```\n$$b = c$$\n", [["b", "c"]]),  # a code span, not a fence
        ("- item\n\n  ```\n  $$a = 5$$\n  ```\n$$b = c$$\n", [["b", "c"]]),
    ],
    ids=["longer-fence", "inner-fence", "tildes", "span", "in-a-list"],
)
def test_fenced_code_is_not_read(text, expected):
    assert chain_texts(read_document(text)) == expected


def test_an_unclosed_fence_hides_the_rest_with_a_warning():
    document = read_document("$$a = b$$\n\n```\n$$c = 5$$\n")
    assert chain_texts(document) == [["a", "b"]]
    assert document.warnings == [
        (
            3,
            "the code fence ``` is never closed, so the rest of the document is code "
            "and its display math is not checked",
        )
    ]


def test_code_indented_past_a_list_item_is_code():
    text = "- item\n\n        $$a = 5$$\n\n  $$b = c$$\n"
    document = read_document(text)
    assert chain_texts(document) == [["b", "c"]]
    assert [line for line, _ in document.warnings] == [3]


def test_latex_verbatim_text_is_not_read():
    text = (
        "\\begin{verbatim}\n\\[ a = 5 \\]\n\\end{verbatim}\n"
        "\\verb|$$b = 6$$| and \\verb*+\\[c = 7\\]+\n"
        "\\[ d = e \\]\n"
        "\\begin{lstlisting}\n$$f = 8$$\n\\end{lstlisting}\n"
        "\\lstinline|$$g = 9$$| \\lstinline[style=x]{\\[h = 1\\]}\n"
        "\\iffalse\n\\[ i = 2 \\]\n\\fi\n"
    )
    document = read_document(text, latex=True)
    assert chain_texts(document) == [["d", "e"]]
    assert document.chains[0].link_lines == [5]


@pytest.mark.parametrize(
    "hidden",
    [
        "% an old draft was wrapped in \\iffalse ... (removed)\n",
        "% see \\begin{verbatim} in the manual\n",
        "\\iffalse \\ifdefined\\foo x \\fi \\[ a = 5 \\] \\iff \\fi\n",
        "\\begin{BVerbatim}\n\\[ a = 5 \\]\n\\end{BVerbatim}\n",
        "\\begin{filecontents*}{x.tex}\n\\[ a = 5 \\]\n\\end{filecontents*}\n",
        "\\mintinline{latex}{\\[ a = 5 \\]} and \\mintinline{latex}|$$a = 6$$|\n",
    ],
    ids=[
        "comment-names-iffalse",
        "comment-names-verbatim",
        "nested-if",
        "bverbatim",
        "filecontents",
        "mintinline",
    ],
)
def test_latex_text_that_is_not_math_hides_only_itself(hidden):
    text = "\\[ b = c \\]\n" + hidden + "\\[ d = e \\]\n"
    assert chain_texts(read_document(text, latex=True)) == [["b", "c"], ["d", "e"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A $$ in a code span is no display, so the fence after it is still code.
        (
            "Write math between `$$` signs:\n```latex\n$$a = 5$$\n```\n$$b = c$$\n",
            [["b", "c"]],
        ),
        # Bold text and numbers are not list items: the indented line is code.
        ("**Step 1.** Then:\n\n    $$a = 5$$\n\n$$b = c$$\n", [["b", "c"]]),
        ("1.5 is a number.\n\n    $$a = 5$$\n\n$$b = c$$\n", [["b", "c"]]),
        # A fence in a block quote.
        ("> ```\n> $$a = 5$$\n> ```\n\n$$b = c$$\n", [["b", "c"]]),
        # A fence in a list item ends with the item.
        ("- one\n  ```\n  $$a = 5$$\n- two\n\n$$b = c$$\n", [["b", "c"]]),
    ],
    ids=["dollars-in-a-span", "bold", "number", "block-quote", "item-ends"],
)
def test_markdown_blocks_are_told_apart(text, expected):
    document = read_document(text)
    assert chain_texts(document) == expected
    assert not any("never closed" in message for _, message in document.warnings)


def test_an_iffalse_that_a_definition_stores_hides_nothing():
    text = (
        "\\[ a = b \\]\n\\let\\ifanswers\\iffalse % \\iftrue prints the answers\n"
        "\\ifanswers\n\\[ c = d \\]\n\\fi\n\\[ e = f \\]\n"
    )
    document = read_document(text, latex=True)
    assert chain_texts(document) == [["a", "b"], ["c", "d"], ["e", "f"]]


def test_an_iffalse_without_fi_warns_that_it_hides_the_rest():
    document = read_document("\\[ a = b \\]\n\\iffalse\n\\[ c = 5 \\]\n", latex=True)
    assert chain_texts(document) == [["a", "b"]]
    assert document.warnings == [
        (
            2,
            "\\iffalse has no \\fi to end it, so the rest of the document is skipped "
            "and its display math is not checked",
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A quoted display over several lines: the quote markers are not math.
        ("> $$\n> a\n> = b\n> $$\n", [["a", "b"]]),
        # GitHub shows a ```math fence as display math.
        ("```math\na = b\n```\n", [["a", "b"]]),
        # MathJax leaves <pre> and <code> alone.
        ("<pre>$$c = 5$$</pre> <code>$$d = 6$$</code>\n$$a = b$$\n", [["a", "b"]]),
        # A code span may run over a line break.
        ("A span `$$c = 5\n$$` here.\n$$a = b$$\n", [["a", "b"]]),
    ],
    ids=["block-quote", "math-fence", "pre-and-code", "span-over-lines"],
)
def test_markdown_math_and_code_as_renderers_show_them(text, expected):
    assert chain_texts(read_document(text)) == expected


def test_a_code_span_over_a_line_break_keeps_the_line_numbers():
    document = read_document("A span `$$c = 5\n$$` here.\n$$a = b$$\n")
    assert document.chains[0].link_lines == [3]
