"""The document's own macros: expanded as TeX would before a side is read."""

from __future__ import annotations

import re

import pytest

from derive.audit import audit_text
from derive.audit.lexer import MAX_SIDE_CHARACTERS, ReadError
from derive.audit.macros import Macro, expand, find_macros

DEFINITIONS = r"""
\newcommand{\dz}{\Delta z}
\newcommand\pd[2]{\frac{\partial #1}{\partial #2}}
\renewcommand*{\Z}[1]{z_{#1}^{(2)}}
\def\hash#1{#1 ## #1}
\newcommand{\opt}[1][k]{#1}
\newcommand{\open}{\left(
"""


def test_definitions_are_found_with_their_argument_counts():
    assert find_macros(DEFINITIONS) == {
        "dz": Macro(0, r"\Delta z"),
        "pd": Macro(2, r"\frac{\partial #1}{\partial #2}"),
        "Z": Macro(1, r"z_{#1}^{(2)}"),
        "hash": Macro(1, "#1 ## #1"),
    }  # \opt has an optional argument and \open no closing brace: neither is read


@pytest.mark.parametrize(
    ("side", "expanded"),
    [
        (r"\dz_1^{(2)}", r"\Delta z_1^{(2)}"),
        (r"\pd{L}{a_1^{(2)}}", r"\frac{\partial L}{\partial a_1^{(2)}}"),
        (r"\pd L {a_1}", r"\frac{\partial L}{\partial a_1}"),
        (r"\pd\Delta x", r"\frac{\partial \Delta}{\partial x}"),
        (r"\Z1 - \Z{2}", r"z_{1}^{(2)} - z_{2}^{(2)}"),
        (r"\hash{y}", "y # y"),
        (r"\dzz + \dz", r"\dzz + \Delta z"),  # a longer name is another command
    ],
)
def test_uses_are_expanded(side, expanded):
    assert expand(side, find_macros(DEFINITIONS)) == expanded


def test_a_control_word_at_a_body_end_does_not_swallow_the_next_letter():
    assert expand(r"\D z", {"D": Macro(0, r"\Delta")}) == r"\Delta z"
    assert expand(r"\D{}z", {"D": Macro(0, r"\Delta")}) == r"\Delta{}z"


@pytest.mark.parametrize(
    ("macros", "side", "message"),
    [
        (
            {"pd": Macro(2, "#1/#2")},
            r"\pd{L}",
            "takes 2 arguments; argument 2 is missing",
        ),
        ({"a": Macro(0, r"\a x")}, r"\a", "expand without end"),
        ({"a": Macro(0, r"\a\a")}, r"\a", "once its macros are expanded"),
        (
            {"a": Macro(1, "#1" * 100_000)},
            r"\a{" + "x" * 100 + "}",
            re.escape(
                f"longer than the audit reads ({MAX_SIDE_CHARACTERS} characters)"
            ),
        ),
    ],
    ids=["missing-argument", "endless", "doubling", "huge-body"],
)
def test_bad_uses_are_read_errors(macros, side, message):
    with pytest.raises(ReadError, match=message):
        expand(side, macros)


def test_a_derivation_written_with_macros_is_judged_as_written_out():
    text = DEFINITIONS + (
        "$$\\dz_1^{(2)} = -\\frac{y_1}{\\Z1}$$\n$$\\pd{L}{a_1^{(2)}} = \\Z{1} + y_1$$\n"
    )
    right, wrong = audit_text(text).links
    assert right.verdict == "verified" and right.lhs == r"\dz_1^{(2)}"
    assert wrong.verdict == "wrong"
    assert wrong.message.endswith(
        r"in truth \pd{L}{a_1^{(2)}} = z_{1}^{(2)} - y_{1} (with labels summing to one)"
    )


def test_a_macro_in_a_latex_comment_is_not_defined():
    text = "% \\newcommand{\\dz}{\\Delta z}\n\\[ \\dz_1^{(2)} = -\\frac{y_1}{z_1^{(2)}} \\]\n"
    (link,) = audit_text(text, latex=True).links
    assert (
        link.verdict == "unparsed"
        and "\\dz is not part of the notation" in link.message
    )
