"""The tool's own derivations, generated here from the example specs, audited: they are
right, so no link may be wrong and the audit exits 0."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from derive.audit import audit_file
from derive.derivation import derive
from derive.latex import derivation_latex
from derive.spec import load_spec

EXAMPLES = Path(__file__).parent.parent / "examples"
SPECS = [
    pytest.param("seed", id="seed"),
    pytest.param("xor", id="xor"),
    pytest.param("tanh-regressor", id="tanh-regressor"),
]


@pytest.fixture
def generated(tmp_path):
    def write(name: str) -> tuple[Path, Path]:
        spec_path = EXAMPLES / f"{name}.toml"
        latex = derivation_latex(derive(load_spec(spec_path)), "derive all")
        path = tmp_path / f"{name}.tex"
        path.write_text(latex, encoding="utf-8")
        return path, spec_path

    return write


@pytest.mark.parametrize("name", SPECS)
def test_the_tools_own_derivation_has_no_wrong_link(generated, name):
    path, spec_path = generated(name)
    report, code = audit_file(str(path), str(spec_path))
    assert "WRONG" not in report
    assert code == 0


def test_sums_continued_on_an_indented_row_are_read_whole(generated):
    path, spec_path = generated("seed")
    report, _ = audit_file(str(path), str(spec_path))
    assert r"\qquad +" not in report  # no side starts at the continuation
    assert "IFWORD" not in report and "\\eqqcolon" not in report


def test_the_seed_derivation_is_read_but_for_its_matrix_forms(generated):
    # Left unread by design: the general a_j^(l) rule (layer arithmetic l - 1),
    # z^(0) = x (a vector), the matrix forms (W^(2), b^(2) without a unit, \top) and
    # f^(l), a function the notation does not name.
    path, spec_path = generated("seed")
    report = json.loads(audit_file(str(path), str(spec_path), "json")[0])
    verdicts = Counter(link["verdict"] for link in report["links"])
    assert verdicts == {"verified": 92, "unparsed": 7, "unknown_symbol": 1}
    for link in report["links"]:
        if link["verdict"] != "verified":
            assert any(
                reason in link["message"]
                for reason in (
                    "(l-1)",
                    "z needs a unit",
                    "W^{2}",
                    "b needs",
                    r"\top",
                    "f is",
                )
            ), link
