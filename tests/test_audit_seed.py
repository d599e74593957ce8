"""The acceptance document: the user's hand derivation for the seed network, every link.

The expected verdicts come from reading the derivation by hand, not from the audit's
output; the counterexamples are checked against a forward pass written here in NumPy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from derive.audit import audit_file

SEED_DOCUMENT = Path(__file__).parent / "audit_docs" / "seed_derivation.md"

V, W, D, U, P = "verified", "wrong", "depends", "unknown_symbol", "unparsed"
# (equation, [(line, verdict) of each link]) in document order.
EXPECTED = [
    (1, [(8, P)]),  # \text{SoftMax} : f(x) = e^x / sum_{y=c} e^y is words, not notation
    (2, [(8, V)]),  # z_i^(2) = softmax, for i = 1, 2
    (3, [(10, V), (10, V), (10, V)]),  # dL/dz_1^(2) = -y_1 / z_1^(2)
    (4, [(12, V), (12, V), (12, V)]),
    # dL/da_1^(2): the one-path chain rule is wrong; the softmax algebra after it holds;
    # the value it records as Delta a_1^(2) carries the mistake.
    (5, [(14, W), (14, V), (14, V), (14, V), (14, V), (14, V), (14, V), (14, D)]),
    (6, [(14, W), (14, D)]),  # the implied dL/da_2^(2) = Delta z_2 (z_2 (1 - z_2))
    # dL/dw^(2) and dL/db^(2): one path again; then z_3^(2) for z_3^(1) in a_j^(2).
    (7, [(17, W), (17, U), (17, U)]),
    (8, [(18, W), (18, U), (18, U)]),
    (9, [(19, W), (19, U), (19, U)]),
    (10, [(20, W), (20, U), (20, U)]),
    (11, [(21, W), (21, U), (21, U)]),
    (12, [(24, V)]),  # the general rules, true in Delta notation
    (13, [(24, V)]),
    # dL/dz_1^(1): ln z_1^(2) differentiated through a_1^(2) alone (line 28).
    (14, [(27, V), (27, V), (27, V), (28, W), (28, V), (29, V), (30, V), (31, D)]),
    (15, [(34, W), (34, D)]),
    (16, [(36, W), (36, D)]),
    (17, [(38, V), (38, V), (38, V)]),  # the ReLU steps
    (18, [(40, V), (40, V), (40, V)]),
    (19, [(42, V), (42, V), (42, V)]),
    (20, [(44, V), (44, V), (44, V), (44, V)]),
    (21, [(46, V), (46, V), (46, V), (46, V)]),
    (22, [(48, V), (48, V), (48, V), (48, V)]),
    (23, [(50, V)]),  # dL/dw_ij^(1) = Delta a_j^(1) x_i
    (24, [(52, V), (52, V), (52, V), (52, V)]),  # true, with a definition warning
    (25, [(54, V), (54, V), (54, V), (54, V)]),
    (26, [(56, V)]),
]


@pytest.fixture(scope="module")
def report() -> dict:
    text, code = audit_file(str(SEED_DOCUMENT), output_format="json")
    assert code == 1
    return json.loads(text)


def links_of(report: dict, equation: int) -> list[dict]:
    return [link for link in report["links"] if link["equation"] == equation]


@pytest.mark.parametrize(
    ("equation", "expected"), EXPECTED, ids=[f"equation-{e}" for e, _ in EXPECTED]
)
def test_every_link_has_its_verdict(report, equation, expected):
    found = [(link["line"], link["verdict"]) for link in links_of(report, equation)]
    assert found == expected


def test_no_other_equations(report):
    assert {link["equation"] for link in report["links"]} == {e for e, _ in EXPECTED}
    assert report["summary"]["links"] == sum(len(links) for _, links in EXPECTED)


@pytest.mark.parametrize("equation", [7, 8, 9, 10, 11], ids=lambda e: f"equation-{e}")
def test_index_slip_in_the_output_layer_names_the_likely_symbol(report, equation):
    for link in links_of(report, equation)[1:]:
        assert "z_{3}^{(2)}" in link["message"]
        assert "likely z_{3}^{(1)}" in link["message"]


def test_index_slip_in_a_bracket_is_a_definition_warning(report):
    (warning,) = report["warnings"]
    assert warning["line"] == 52
    assert "w_{12}^{(1)} x_{2}" in warning["message"]
    assert "w_{21}^{(1)} x_{2}" in warning["message"]


def test_every_wrong_link_is_diagnosed_as_dropped_cross_terms(report):
    # Read by hand, each wrong link of this document takes the chain rule through
    # z_j^(2) alone, as if softmax's z_j^(2) did not change with a_k^(2), k != j.
    wrong = [link for link in report["links"] if link["verdict"] == W]
    assert len(wrong) == 10
    for link in wrong:
        assert "cross terms of the softmax Jacobian are missing" in link["message"]


def test_depends_names_the_wrong_link(report):
    record = links_of(report, 14)[-1]
    assert "line 28" in record["message"]


def forward(example: dict) -> dict:
    """The seed network's forward pass in NumPy, from a counterexample's values."""
    x = np.array([example["inputs"]["x_{1}"], example["inputs"]["x_{2}"]])
    weights, biases = example["weights"], example["biases"]
    w1 = np.array(
        [[weights[f"w_{{{i}{j}}}^{{(1)}}"] for j in (1, 2, 3)] for i in (1, 2)]
    )
    w2 = np.array(
        [[weights[f"w_{{{i}{j}}}^{{(2)}}"] for j in (1, 2)] for i in (1, 2, 3)]
    )
    b1 = np.array([biases[f"b_{{{j}}}^{{(1)}}"] for j in (1, 2, 3)])
    b2 = np.array([biases[f"b_{{{j}}}^{{(2)}}"] for j in (1, 2)])
    hidden = np.maximum(0.0, x @ w1 + b1)
    scores = hidden @ w2 + b2
    output = np.exp(scores) / np.exp(scores).sum()
    labels = np.array([example["labels"]["y_{1}"], example["labels"]["y_{2}"]])
    return {"hidden": hidden, "output": output, "labels": labels, "w2": w2}


def test_softmax_chain_counterexample_is_real(report):
    example = links_of(report, 5)[0]["counterexample"]
    values = forward(example)
    z, y = values["output"], values["labels"]
    assert y.tolist() == [0.0, 1.0]  # y = (1, 0) cannot show this mistake
    true_gradient = z[0] * y.sum() - y[0]  # dL/da_1 = z_1 - y_1 for labels summing to 1
    one_path = -y[0] / z[0] * z[0] * (1 - z[0])
    assert example["lhs_value"] == pytest.approx(true_gradient, rel=1e-9, abs=1e-12)
    assert example["rhs_value"] == pytest.approx(one_path, rel=1e-9, abs=1e-12)
    assert example["right_expression"].startswith("z_{1}^{(2)} - y_{1}")
    assert example["right_expression"].endswith("(with labels summing to one)")


def test_hidden_chain_counterexample_is_real(report):
    example = links_of(report, 14)[3]["counterexample"]
    values = forward(example)
    z, y, w2 = values["output"], values["labels"], values["w2"]
    assert y.sum() == pytest.approx(1.0, abs=1e-12)
    true_gradient = w2[0] @ (z - y)  # sum_j w_1j^(2) (z_j - y_j)
    one_path = -y[0] * (1 - z[0]) * w2[0, 0] - y[1] * (1 - z[1]) * w2[0, 1]
    assert example["lhs_value"] == pytest.approx(true_gradient, rel=1e-9, abs=1e-12)
    assert example["rhs_value"] == pytest.approx(one_path, rel=1e-9, abs=1e-12)
    assert example["right_value"] == pytest.approx(true_gradient, rel=1e-9, abs=1e-12)


def test_every_link_is_judged_within_the_time_budget(report):
    assert not any("ran out of time" in link["message"] for link in report["links"])
