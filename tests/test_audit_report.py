"""The audit's entry point: reading the file, the text and JSON reports, exit codes."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from derive.audit import audit_file
from derive.audit.report import counterexample_lines
from derive.errors import BadInputError

DOCS = Path(__file__).parent / "audit_docs"
SEED_DOCUMENT = DOCS / "seed_derivation.md"


def test_json_has_the_documented_shape():
    text, code = audit_file(str(SEED_DOCUMENT), output_format="json")
    report = json.loads(text)
    assert code == 1
    assert set(report) == {"file", "links", "warnings", "summary"}
    assert report["file"] == str(SEED_DOCUMENT)
    for link in report["links"]:
        assert set(link) == {
            "line",
            "equation",
            "index",
            "lhs",
            "rhs",
            "verdict",
            "message",
            "counterexample",
        }
        assert (link["counterexample"] is not None) == (link["verdict"] == "wrong")
    counts = report["summary"]
    verdicts = ("verified", "wrong", "depends", "unknown_symbol", "unparsed")
    assert sum(counts[verdict] for verdict in verdicts) == counts["links"] == 78
    assert counts["warnings"] == len(report["warnings"]) == 1


def test_json_lhs_and_rhs_are_the_source_latex():
    report = json.loads(audit_file(str(SEED_DOCUMENT), output_format="json")[0])
    first = next(link for link in report["links"] if link["equation"] == 5)
    assert first["lhs"] == r"\frac{dL}{da_1^{(2)}}"
    assert first["rhs"] == r"\frac{dL}{dz_1^{(2)}} \frac{dz_1^{(2)}}{da_1^{(2)}}"


def test_text_report_reads_as_a_list_of_links():
    text, code = audit_file(str(SEED_DOCUMENT))
    assert code == 1
    assert text.startswith(f"Audit of {SEED_DOCUMENT} against seed: 2-3-2")
    assert "  line 14   link 1   WRONG" in text
    assert "counterexample:" in text
    assert "  line 52: the bracket" in text
    assert text.rstrip().endswith(
        "Summary: 78 links: 52 verified, 10 wrong, 5 depends, 10 unknown symbol, "
        "1 unparsed; 1 warning."
    )


def test_a_right_derivation_exits_zero():
    text, code = audit_file(str(DOCS / "softmax_ce.md"))
    assert code == 0
    assert "WRONG" not in text


def test_one_link_is_one_link_in_the_summary(tmp_path):
    path = tmp_path / "one.md"
    path.write_text("$$x_1 = x_1$$\n", encoding="utf-8")
    text, code = audit_file(str(path))
    assert code == 0
    assert text.rstrip().endswith("Summary: 1 link: 1 verified; 0 warnings.")


@pytest.mark.parametrize(("suffix", "read"), [(".tex", 1), (".md", 2)])
def test_a_commented_out_display_counts_only_in_markdown(tmp_path, suffix, read):
    path = tmp_path / f"notes{suffix}"
    path.write_text(
        "% \\begin{equation} \\frac{dL}{dz_1^{(2)}} = 5 \\end{equation}\n"
        "\\[ x_1 = x_1 \\]\n",
        encoding="utf-8",
    )
    text, code = audit_file(str(path))
    assert code == (0 if suffix == ".tex" else 1)
    assert f"Summary: {read} link" in text


def test_minus_zero_prints_as_zero():
    example = {
        "inputs": {"x_{1}": 1.0},
        "labels": {"y_{1}": 1.0},
        "weights": {},
        "biases": {},
        "lhs_value": 0.5,
        "rhs_value": 0.0,
        "right_expression": "0",
        "right_value": -0.0,
    }
    assert counterexample_lines(example)[-1] == "  right expression 0 = 0"


def test_standard_input_is_read_for_a_dash(monkeypatch):
    stream = io.TextIOWrapper(io.BytesIO(b"$$x_1 = x_1$$\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stream)
    text, code = audit_file("-")
    assert code == 0
    assert text.startswith("Audit of standard input against seed")


def test_one_display_over_the_link_budget_is_checked_in_part(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("$$" + " = ".join(["x_1"] * 701) + "$$\n", encoding="utf-8")
    report = json.loads(audit_file(str(path), output_format="json")[0])
    assert report["summary"]["links"] == report["summary"]["verified"] == 600
    assert report["warnings"] == [
        {
            "line": 1,
            "message": "the display has 700 links and the audit checks at most 600 "
            "in all, so only its first 600 are checked",
        }
    ]


NO_DISPLAY_MATH = r"^no display math found in .*document\.md; the audit reads \$\$"
BAD_INPUT = [
    ("missing", lambda tmp: tmp / "nothing.md", r"nothing\.md: document not found$"),
    ("folder", lambda tmp: tmp, r": is a folder, expected a Markdown or LaTeX file$"),
    ("binary", lambda tmp: write(tmp, b"\x00\x01\x02"), r"is a binary file"),
    (
        "latin-1",
        lambda tmp: write(tmp, "caf\xe9".encode("latin-1")),
        r"is not UTF-8 text",
    ),
    ("huge", lambda tmp: write(tmp, b"a" * 10_000_000), r"the file is 10\.0 MB"),
    (
        "endless-device",
        lambda tmp: Path("/dev/zero"),
        r"^/dev/zero: the file is over 2 MB; the audit reads documents of at most 2 MB$",
    ),
    ("empty", lambda tmp: write(tmp, b""), NO_DISPLAY_MATH),
    ("prose-only", lambda tmp: write(tmp, b"Only words.\n"), NO_DISPLAY_MATH),
    (
        "inline-math-only",
        lambda tmp: write(tmp, b"Only words, and inline $a = b$.\n"),
        NO_DISPLAY_MATH,
    ),
    (
        "only-display-unclosed",
        lambda tmp: write(tmp, b"Words.\n$$ L = -y_1 \\ln z_1\n"),
        r"document\.md:2: \$\$ is never closed, so no display was read$",
    ),
    (
        "only-environment-unclosed",
        lambda tmp: write(tmp, b"\\begin{align}\n a &= b\n"),
        r"document\.md:1: \\begin\{align\} is never closed, so no display was read$",
    ),
]


def write(folder: Path, data: bytes) -> Path:
    path = folder / "document.md"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_unusable_input_is_one_line_of_bad_input(tmp_path, make, message):
    with pytest.raises(BadInputError, match=message) as raised:
        audit_file(str(make(tmp_path)))
    assert "\n" not in str(raised.value)


def test_unknown_format_is_bad_input():
    with pytest.raises(
        BadInputError, match=r"format 'xml' is not known; allowed: text, json"
    ):
        audit_file(str(SEED_DOCUMENT), output_format="xml")


def test_bad_spec_is_bad_input(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"missing required key 'inputs'"):
        audit_file(str(SEED_DOCUMENT), str(spec))


def test_windows_line_endings_keep_line_numbers(tmp_path):
    path = tmp_path / "crlf.md"
    path.write_bytes(b"title\r\n\r\n$$\\frac{dL}{db_1^{(2)}} = x_1$$\r\n")
    report = json.loads(audit_file(str(path), output_format="json")[0])
    assert [link["line"] for link in report["links"]] == [3]


CROSS_TERMS = "cross terms of the softmax Jacobian are missing"
# dL/da_1^(2) = z_1 - y_1 (labels summing to one); with the cross term dropped,
# Delta z_1 z_1 (1 - z_1) = -y_1 (1 - z_1).
DIAGNOSED = [
    ("cross-terms-dropped", r"\frac{dL}{da_1^{(2)}} = -y_1 (1 - z_1^{(2)})", True),
    ("right", r"\frac{dL}{da_1^{(2)}} = z_1^{(2)} - y_1", False),
    ("sign-slip", r"\frac{dL}{da_1^{(2)}} = y_1 - z_1^{(2)}", False),
    ("other-unit", r"\frac{dL}{da_1^{(2)}} = -y_1 (1 - z_2^{(2)})", False),
    (
        "hidden-layer",
        r"\frac{dL}{dz_2^{(1)}} = -y_1 (1 - z_1^{(2)}) w_{21}^{(2)}"
        r" - y_2 (1 - z_2^{(2)}) w_{22}^{(2)}",
        True,
    ),
]


@pytest.mark.parametrize(
    ("claim", "diagnosed"), [c[1:] for c in DIAGNOSED], ids=[c[0] for c in DIAGNOSED]
)
def test_dropped_softmax_cross_terms_are_named(tmp_path, claim, diagnosed):
    path = tmp_path / "claim.md"
    path.write_text(f"$${claim}$$\n", encoding="utf-8")
    (link,) = json.loads(audit_file(str(path), output_format="json")[0])["links"]
    assert (CROSS_TERMS in link["message"]) == diagnosed
    assert link["verdict"] == ("verified" if claim == DIAGNOSED[1][1] else "wrong")


@pytest.mark.parametrize(
    ("last", "diagnosed"),
    [
        (r"\Delta z_2^{(2)} z_2^{(2)} (1 - z_2^{(2)})", True),  # the k = 2 term alone
        (r"\Delta z_1^{(2)} z_1^{(2)} (1 - z_1^{(2)})", False),  # the wrong unit
    ],
    ids=["own-term-kept", "other-unit"],
)
def test_cross_terms_dropped_from_a_written_out_sum_are_named(
    tmp_path, last, diagnosed
):
    path = tmp_path / "sum.md"
    path.write_text(
        "$$\\frac{\\partial L}{\\partial a_2^{(2)}} "
        "= \\sum_k \\Delta z_k^{(2)} z_k^{(2)} (\\delta_{k2} - z_2^{(2)}) "
        f"= {last}$$\n"
    )
    first, second = json.loads(audit_file(str(path), output_format="json")[0])["links"]
    assert first["verdict"] == "verified" and second["verdict"] == "wrong"
    expected = (
        "the right side is \\frac{\\partial L}{\\partial a_2^{(2)}} only if each "
        "z_k^{(2)} changed with its own a_k^{(2)} alone"
    )
    assert (expected in second["message"]) == diagnosed
    assert (CROSS_TERMS in second["message"]) == diagnosed


def test_no_cross_terms_diagnosis_without_a_softmax_layer(tmp_path):
    spec = tmp_path / "sigmoid.toml"
    spec.write_text(
        'name = "s"\ninputs = 2\nloss = "mse"\n[[layers]]\nunits = 2\n'
        'activation = "sigmoid"\n',
        encoding="utf-8",
    )
    path = tmp_path / "claim.md"
    path.write_text(r"$$\frac{dL}{da_1^{(1)}} = z_1^{(1)} - y_1$$" + "\n")
    (link,) = json.loads(audit_file(str(path), str(spec), "json")[0])["links"]
    assert link["verdict"] == "wrong" and CROSS_TERMS not in link["message"]


def test_a_wrong_general_rule_names_the_instance_it_failed_at(tmp_path):
    path = tmp_path / "rule.md"
    path.write_text(r"$$\frac{dL}{da_j^{(2)}} = y_j - z_j^{(2)}$$" + "\n")
    (link, *_) = json.loads(audit_file(str(path), output_format="json")[0])["links"]
    assert re.search(r"; in truth \(at j = [12]\) \\frac\{dL\}\{da_j", link["message"])


def test_values_that_differ_are_shown_to_as_many_digits_as_it_takes(tmp_path):
    path = tmp_path / "close.md"
    path.write_text(r"$$\frac{dL}{db_1^{(2)}} = 1.0000001 z_1^{(2)} - y_1$$" + "\n")
    (link,) = json.loads(audit_file(str(path), output_format="json")[0])["links"]
    left, right = re.search(
        r"the left is (\S+) and the right (\S+) at", link["message"]
    ).groups()
    assert left != right and float(left) == pytest.approx(float(right), rel=1e-5)


@pytest.mark.parametrize(
    ("claim", "truth"),
    [
        (
            r"\frac{\partial z_1^{(2)}}{\partial a_2^{(2)}} = z_1^{(2)} z_2^{(2)}",
            r"- z_{1}^{(2)} z_{2}^{(2)}",
        ),
        (
            r"\frac{\partial z_1^{(2)}}{\partial a_1^{(2)}} = z_1^{(2)} (1 + z_1^{(2)})",
            r"z_{1}^{(2)} \left(1 - z_{1}^{(2)}\right)",
        ),
        (r"\frac{\partial z_1^{(1)}}{\partial a_1^{(1)}} = 1", r"[a_{1}^{(1)} > 0]"),
        (
            r"\frac{\partial a_1^{(2)}}{\partial z_1^{(1)}} = w_{12}^{(2)}",
            r"w_{11}^{(2)}",
        ),
    ],
    ids=["softmax-cross", "softmax-own", "relu", "weight"],
)
def test_a_wrong_jacobian_entry_is_given_its_true_value(tmp_path, claim, truth):
    path = tmp_path / "entry.md"
    path.write_text(f"$${claim}$$\n")
    (link,) = json.loads(audit_file(str(path), output_format="json")[0])["links"]
    assert link["verdict"] == "wrong"
    assert link["message"].endswith(f" = {truth}")


@pytest.mark.parametrize(
    ("name", "text", "latex"),
    [
        ("notes.md", "Prose naming `\\documentclass{article}`.\n", False),
        ("notes.txt", "\\documentclass{article}\n", True),
        ("notes.txt", "Prose naming \\documentclass inside a line.\n", False),
        ("notes.tex", "No preamble here.\n", True),
    ],
    ids=["md-naming-it", "txt-with-preamble", "txt-naming-it", "tex"],
)
def test_the_kind_of_document_follows_its_suffix_then_its_preamble(
    tmp_path, name, text, latex
):
    path = tmp_path / name
    # 97% would start a comment in LaTeX and hide the wrong step after it.
    path.write_text(text + "$$x_1 = x_1$$ Accuracy was 97%, $$x_2 = 5$$\n")
    report = json.loads(audit_file(str(path), output_format="json")[0])
    assert len(report["links"]) == (1 if latex else 2)
