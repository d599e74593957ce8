"""The document's own macros: expanded as TeX would before a side is read, where the
document's kind says they hold."""

from __future__ import annotations

import re

import pytest

from derive.audit import audit_text
from derive.audit.expansion import Macro, expand
from derive.audit.lexer import MAX_SIDE_CHARACTERS, ReadError
from derive.audit.macros import Scope, find_definitions

DEFINITIONS = r"""
\newcommand{\dz}{\Delta z}
\newcommand\pd[2]{\frac{\partial #1}{\partial #2}}
\renewcommand*{\Z}[1]{z_{#1}^{(2)}}
\def\hash#1{#1 ## #1}
\let\D=\Delta
\DeclareMathOperator{\act}{ReLU}
\newcommand{\opt}[1][k]{#1}
\def\slash#1/#2{#1 over #2}
\newcommand{\open}{\left(
"""


def macros_of(text: str) -> dict[str, Macro]:
    scope = Scope(latex=False)
    for definition in find_definitions(text):
        scope.define(definition)
    return scope.macros


def test_definitions_are_found_with_their_argument_counts():
    assert macros_of(DEFINITIONS) == {
        "dz": Macro(0, r"\Delta z"),
        "pd": Macro(2, r"\frac{\partial #1}{\partial #2}"),
        "Z": Macro(1, r"z_{#1}^{(2)}"),
        "hash": Macro(1, "#1 ## #1"),
        "D": Macro(0, r"\Delta"),
        "act": Macro(0, r"\operatorname{ReLU}"),
        "opt": Macro(1, None, "an optional argument"),
        "slash": Macro(0, None, "delimited parameters"),
    }  # \open has no closing brace: it is not read


@pytest.mark.parametrize(
    ("side", "expanded"),
    [
        (r"\dz_1^{(2)}", r"\Delta z_1^{(2)}"),
        (r"\pd{L}{a_1^{(2)}}", r"\frac{\partial L}{\partial a_1^{(2)}}"),
        (r"\pd L {a_1}", r"\frac{\partial L}{\partial a_1}"),
        (r"\pd\Delta x", r"\frac{\partial \Delta}{\partial x}"),
        (r"\Z1 - \Z{2}", r"z_{1}^{(2)} - z_{2}^{(2)}"),
        (r"\hash{y}", "y # y"),
        (r"\D z", r"\Delta z"),
        (r"\dzz + \dz", r"\dzz + \Delta z"),  # a longer name is another command
    ],
)
def test_uses_are_expanded(side, expanded):
    assert expand(side, macros_of(DEFINITIONS)) == expanded


def test_a_control_word_at_a_body_end_does_not_swallow_the_next_letter():
    assert expand(r"\D z", {"D": Macro(0, r"\Delta")}) == r"\Delta z"
    assert expand(r"\Dz", {"D": Macro(0, r"\Delta")}) == r"\Dz"
    assert expand(r"\D{}z", {"D": Macro(0, r"\Delta")}) == r"\Delta{}z"


def test_a_chain_of_many_macros_expands():
    macros = {f"m{chr(97 + k)}": Macro(0, f"\\m{chr(98 + k)}") for k in range(25)}
    macros["mz"] = Macro(0, "x_1")
    assert expand(r"\ma", macros) == "x_1"


@pytest.mark.parametrize(
    ("macros", "side", "message"),
    [
        (
            {"pd": Macro(2, "#1/#2")},
            r"\pd{L}",
            "takes 2 arguments; argument 2 is missing",
        ),
        ({"a": Macro(0, r"\a x")}, r"\a", "expand without end"),
        ({"a": Macro(0, r"\a")}, r"\a", "expands to itself without end"),
        ({"a": Macro(0, r"\a\a")}, r"\a", "once its macros are expanded"),
        (
            {"a": Macro(1, "#1" * 100_000)},
            r"\a{" + "x" * 100 + "}",
            re.escape(
                f"longer than the audit reads ({MAX_SIDE_CHARACTERS} characters)"
            ),
        ),
        (
            {"o": Macro(1, None, "an optional argument")},
            r"\o{x}",
            r"defines \\o with an optional argument, which the audit does not expand",
        ),
    ],
    ids=["missing-argument", "endless", "itself", "doubling", "huge-body", "optional"],
)
def test_bad_uses_are_read_errors(macros, side, message):
    with pytest.raises(ReadError, match=message):
        expand(side, macros)


RIGHT = r"$$\frac{dL}{da_1^{(2)}} = z_1^{(2)} - \yy$$" + "\n"  # right when \yy is y_1


def verdicts(text: str, latex: bool = False) -> list[str]:
    return [link.verdict for link in audit_text(text, latex=latex).links]


@pytest.mark.parametrize("latex", [False, True], ids=["markdown", "latex"])
def test_provide_command_leaves_a_defined_name_be(latex):
    text = "\\newcommand{\\yy}{y_1}\n\\providecommand{\\yy}{y_2}\n" + RIGHT
    assert verdicts(text, latex) == ["verified"]
    text = "\\providecommand{\\ln}{2 \\log}\n$$\\frac{dL}{dz_1^{(2)}} = -y_1 / z_1^{(2)}$$\n"
    assert verdicts(text, latex) == ["verified"]


def test_a_second_newcommand_keeps_the_first_in_latex_and_replaces_it_in_markdown():
    text = "\\newcommand{\\yy}{y_1}\n\\newcommand{\\yy}{y_2}\n" + RIGHT
    latex = audit_text(text, latex=True)
    assert [link.verdict for link in latex.links] == ["verified"]
    assert latex.warnings == [
        (
            2,
            "\\newcommand redefines \\yy, which LaTeX refuses; the audit keeps its earlier meaning",
        )
    ]
    assert verdicts(text) == ["wrong"]


@pytest.mark.parametrize(
    "local",
    [
        "{\\renewcommand{\\yy}{y_2}}",
        "\\begin{center}\\renewcommand{\\yy}{y_2}\\end{center}",
        "\\[ \\renewcommand{\\yy}{y_2} \\]",
    ],
    ids=["group", "environment", "display"],
)
def test_a_latex_definition_in_a_group_is_local_to_it(local):
    text = "\\newcommand{\\yy}{y_1}\n" + local + "\n" + RIGHT
    assert verdicts(text, latex=True) == ["verified"]


def test_a_markdown_definition_in_a_display_holds_after_it_as_in_mathjax():
    document = audit_text("$$\\newcommand{\\yy}{y_1}$$\n\n" + RIGHT)
    assert [link.verdict for link in document.links] == ["verified"]
    assert document.warnings == []  # a display of definitions alone is not a warning


def test_a_definition_holds_from_where_it_stands():
    text = RIGHT + "\\newcommand{\\yy}{y_1}\n" + RIGHT
    (first, second) = audit_text(text).links
    assert (
        first.verdict == "unparsed"
        and "\\yy is not part of the notation" in first.message
    )
    assert second.verdict == "verified"


def test_definitions_in_code_or_comments_are_not_read():
    text = "\\newcommand{\\yy}{y_1}\n```\n\\renewcommand{\\yy}{y_2}\n```\n"
    text += "<!-- \\renewcommand{\\yy}{y_2} -->\n" + RIGHT
    assert verdicts(text) == ["verified"]
    latex = "\\newcommand{\\yy}{y_1}\n% \\renewcommand{\\yy}{y_2}\n" + RIGHT
    assert verdicts(latex, latex=True) == ["verified"]


def test_an_operator_declared_with_another_name_is_not_read_as_relu():
    text = "\\DeclareMathOperator{\\relu}{tanh}\n$$z_1^{(1)} = \\relu(a_1^{(1)})$$\n"
    assert verdicts(text) != ["verified"]


def test_an_equals_sign_from_a_macro_is_warned_of():
    document = audit_text("\\newcommand{\\eq}{=}\n$$z_1^{(1)} \\eq 5$$\n")
    assert document.links == []
    assert document.warnings == [
        (
            2,
            "the display's '=' comes from a macro, and the audit splits links only at "
            "an '=' written out, so nothing in it is checked",
        )
    ]


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


@pytest.mark.parametrize(
    "local",
    ["$\\renewcommand{\\yy}{y_2}$", "\\begingroup\\renewcommand{\\yy}{y_2}\\endgroup"],
    ids=["inline-math", "begingroup"],
)
def test_more_latex_groups_keep_their_definitions(local):
    text = "\\newcommand{\\yy}{y_1}\n" + local + "\n" + RIGHT
    assert verdicts(text, latex=True) == ["verified"]


def test_gdef_in_a_group_holds_after_it():
    assert verdicts("{\\gdef\\yy{y_1}}\n" + RIGHT, latex=True) == ["verified"]
    assert verdicts("{\\global\\def\\yy{y_1}}\n" + RIGHT, latex=True) == ["verified"]


def test_a_definition_in_a_latex_display_holds_in_the_rest_of_it():
    text = "\\[ \\def\\yy{y_1} \\frac{dL}{da_1^{(2)}} = z_1^{(2)} - \\yy \\]\n" + RIGHT
    assert verdicts(text, latex=True) == ["verified", "unparsed"]


def test_each_chain_of_a_display_takes_the_definitions_before_it():
    text = (
        "$$\\def\\g{-\\frac{y_1}{z_1^{(2)}}} \\frac{dL}{da_1^{(2)}} = \\g, \\qquad "
        "\\def\\g{z_1^{(2)} - y_1} \\frac{dL}{da_2^{(2)}} = 0$$\n"
    )
    assert verdicts(text) == ["wrong", "wrong"]
    used_before = "$$\\frac{dL}{da_1^{(2)}} = \\g \\def\\g{z_1^{(2)}-y_1}$$\n"
    assert verdicts(used_before) == ["unparsed"]


def test_defining_a_name_only_the_notation_knows_is_no_redefinition():
    text = "\\newcommand{\\relu}{\\operatorname{relu}}\n\\[ z_1^{(1)} = \\relu(a_1^{(1)}) \\]\n"
    document = audit_text(text, latex=True)
    assert [link.verdict for link in document.links] == ["verified"]
    assert document.warnings == []


def test_an_equals_sign_from_a_macro_beside_a_written_one_is_named():
    text = (
        "\\def\\rhs{= z_1^{(2)}}\n$$\\frac{dL}{da_2^{(2)}} = z_2^{(2)} - y_2 \\rhs$$\n"
    )
    (link,) = audit_text(text).links
    assert link.verdict == "unparsed"
    assert link.message.endswith(
        "cannot be read: a macro in it stands for an '=', and the audit splits links "
        "only at an '=' written out"
    )
