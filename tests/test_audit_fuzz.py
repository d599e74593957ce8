"""Garbled and hostile documents: a report every time, never a traceback, within the time budget."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.audit import audit_text
from derive.audit.report import VERDICTS, render_json, render_text

FRAGMENTS = [
    "$$",
    r"\[",
    r"\]",
    "=",
    "&",
    r"\\",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    r"\frac",
    r"\left[",
    r"\right]",
    r"\left(",
    r"\right)",
    "z_1^{(2)}",
    "a_",
    "w_{",
    r"\Delta",
    "d",
    "dL",
    "L",
    "x_1",
    "^",
    "_",
    r"\implies",
    r"\quad",
    ",",
    r"\text{ if }",
    r"\text{otherwise}",
    r"\begin{aligned}",
    r"\end{aligned}",
    r"\begin{cases}",
    r"\end{cases}",
    r"\sum_{k}",
    r"\sum_{n=1}^{N}",
    "e^",
    r"\ln",
    "y_2",
    "1",
    "0.5",
    "-",
    "+",
    "\n",
    " ",
    "%",
    "```",
    r"\begin{equation}",
    r"\end{equation}",
    r"\sigma'",
    r"\partial",
    "/",
    "J",
    "N",
    "b_{3}^{(1)}",
    "w_{ij}^{(l)}",
    "z_i",
    r"\cdot",
    r"\leq",
    "0",
    "\u00e9",
    "\t",
    "$",
]


def check(text: str):
    audit = audit_text(text)
    lines = text.count("\n") + 1
    for link in audit.links:
        assert link.verdict in VERDICTS
        assert 1 <= link.line <= lines
    json.loads(render_json(audit))
    assert render_text(audit).endswith("\n")
    return audit


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_garbled_latex_gives_a_report(text):
    check("$$" + text + "$$")


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_any_text_gives_a_report(text):
    check(text)


HOSTILE = [
    ("deep-nesting", "$$ x_1 = " + "(" * 3000 + "x_1" + ")" * 3000 + " $$"),
    ("deep-braces", "$$ x_1 = " + "{" * 500 + "x_1" + "}" * 500 + " $$"),
    (
        "unbalanced",
        r"$$ \frac{dL}{dz_1^{(2)}} = \left[ -y_1 = x_1 $$ $$ a = } b = c $$",
    ),
    ("huge-numbers", r"$$ x_1 = 9^{9^{9^{9}}} = e^{e^{e^{100}}} = 10^{99} $$"),
    (
        "nested-derivatives",
        "$$ x_1 = " + r"\frac{d}{dx_1}\left[" * 12 + "L" + r"\right]" * 12 + "$$",
    ),
    ("many-links", "$$" + " = ".join(["x_1"] * 3000) + "$$"),
    ("control-characters", "$$ x_1 \x07 = \x1b[31m x_2 $$"),
    ("empty-sides", "$$ = = = $$ $$ $$ \\[ \\]"),
    ("only-openers", "$$ \\[ \\begin{equation} " * 100),
    ("unclosed-macros", "\\newcommand{\\a}{" * 20000 + "$$ x_1 = x_1 $$"),
    ("doubling-macro", "\\def\\a{\\a\\a}\n$$ x_1 = \\a $$"),
]


@pytest.mark.parametrize("text", [c[1] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_documents_are_judged_within_the_time_budget(text):
    audit = check(text)
    assert not any("ran out of time" in link.message for link in audit.links)


def test_links_past_the_time_budget_are_listed_not_judged(monkeypatch):
    monkeypatch.setattr("derive.audit.TIME_BUDGET_SECONDS", -1.0)
    audit = check("$$ x_1 = x_1 $$\n$$ x_2 = x_1 $$")
    assert [link.verdict for link in audit.links] == ["unparsed", "unparsed"]
    assert all("ran out of time" in link.message for link in audit.links)
