"""Derivations written for these tests, right and wrong, each link's verdict known.

Each document in tests/audit_docs/ is audited against its spec; the expected verdicts
are those a careful reader gives, with the mistake of each wrong link named beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derive.audit import audit_file, audit_text

DOCS = Path(__file__).parent / "audit_docs"
V, W, D, U, P = "verified", "wrong", "depends", "unknown_symbol", "unparsed"

CASES = [
    (
        "sigmoid-mse",
        "sigmoid_mse.md",
        "sigmoid_mse.toml",
        [
            [(6, V)],  # a_j^(1) written out, for j = 1, 2
            [(6, V)],  # z_j^(1) = sigma(a_j^(1))
            [(8, V)],  # L = (z - y)^2 / 2
            [(12, V), (12, V)],
            [(14, V), (14, V), (14, V)],  # sigma' = z (1 - z)
            [(16, V)],
            [(20, W)],  # the output sigmoid's derivative forgotten
            [(24, V), (24, V)],
            [(26, W), (26, D)],  # a (1 - a) where z (1 - z) belongs
            [(28, V), (28, V)],
            [(30, V), (30, D)],  # right only with the wrong Delta a_1^(1) above
            [(32, V)],
            [(32, W)],  # x_1 where w_22 needs x_2
        ],
    ),
    (
        "tanh",
        "tanh.tex",
        "tanh.toml",
        [
            [(8, V), (8, V)],
            [(9, V), (9, V)],  # identity outputs: Delta a = Delta z
            [(10, V), (10, V)],
            [(15, V), (15, V)],  # 1 - z^2
            [(18, W)],  # 1 - a^2 is not tanh'
            [(21, V), (21, V)],
            [(25, W)],  # w_k1 where w_1k belongs
            [(29, V)],
            [(30, V)],
        ],
    ),
    (
        "softmax-ce-correct",
        "softmax_ce.md",
        None,
        [
            [(6, V)],
            [(8, V), (8, V)],
            [(12, V)],
            [(12, V)],
            [(16, V), (16, V), (16, V)],  # z_j - y_j needs labels summing to one
            [(18, V)],
            [(18, V)],
            [(21, V), (21, V)],
            [(24, V), (24, V)],
            [(26, V)],
            [(26, V)],
            [(31, V), (32, V), (33, V)],
        ],
    ),
    (
        "notation-variants",
        "notation.md",
        None,
        [
            [(5, V)],  # \mathrm{d}
            [(7, V)],  # \dfrac, \partial, \cdot
            [(9, V)],  # a softmax Jacobian entry off the diagonal
            [(11, V), (11, V)],  # \max and \operatorname{relu}
            [(13, V)],  # a sum with bounds
            [(15, V)],  # a sum over the units its letter names
            [(17, V)],  # \qquad between two equations
            [(17, V)],
            [(19, V)],  # \log is ln
            [(21, V)],  # d/dv of a node two layers on: both softmax paths
            [(25, V)],  # a label given first; needs labels summing to one
            [(27, V)],
            [(31, W)],  # z_1 + y_1 is not dL/db_1
            [(33, V), (33, D)],  # right only with the wrong value above
            [(37, U)],  # t_1 is no symbol of the network
            [(39, P)],  # does d/dz apply to ln z alone or to ln z times y?
        ],
    ),
    (
        "batch-mean",
        "batch_mean.md",
        None,
        [[(6, V)], [(8, V)], [(12, W)], [(16, V)], [(18, V)]],  # 1/N forgotten at 12
    ),
    (
        "batch-sum",
        "batch_mean.md",
        "seed_sum.toml",
        [[(6, W)], [(8, V)], [(12, V)], [(16, W)], [(18, W)]],  # a sum has no 1/N
    ),
]


def audit(document: str, spec: str | None) -> tuple[dict, int]:
    spec_path = None if spec is None else str(DOCS / spec)
    text, code = audit_file(str(DOCS / document), spec_path, "json")
    return json.loads(text), code


@pytest.mark.parametrize(
    ("document", "spec", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_verdicts(document, spec, expected):
    report, code = audit(document, spec)
    equations = sorted({link["equation"] for link in report["links"]})
    found = [
        [
            (link["line"], link["verdict"])
            for link in report["links"]
            if link["equation"] == e
        ]
        for e in equations
    ]
    assert found == expected
    assert code == (1 if any(W in str(links) for links in expected) else 0)


def test_assumption_note_only_where_it_is_needed():
    report, _ = audit("softmax_ce.md", None)
    notes = {
        (link["equation"], link["index"]): "sum to one" in link["message"]
        for link in report["links"]
    }
    assert notes[(5, 1)] is False
    assert notes[(5, 2)] is True  # sum_k Delta z_k dz_k/da_j = z_j - y_j
    assert notes[(2, 1)] is False


def test_batch_counterexample_lists_every_sample():
    report, _ = audit("batch_mean.md", None)
    (wrong,) = [link for link in report["links"] if link["verdict"] == W]
    example = wrong["counterexample"]
    assert (
        example["batch_size"] == len(example["inputs"]) == len(example["labels"]) == 3
    )
    assert example["lhs_value"] == pytest.approx(example["rhs_value"] / 3, rel=1e-9)


def test_sigmoid_depends_names_the_wrong_equation():
    report, _ = audit("sigmoid_mse.md", "sigmoid_mse.toml")
    (link,) = [
        link for link in report["links"] if link["line"] == 30 and link["index"] == 2
    ]
    assert "\\Delta a_{1}^{(1)}" in link["message"]
    assert "line 26" in link["message"]


# Short documents on the seed network: each link's (verdict, message) in order.
SHORT = [
    (
        "sum-continued-on-an-indented-row",
        r"""$$\begin{aligned}
\frac{dL}{da_1^{(2)}} &= \Delta z_1^{(2)} z_1^{(2)}(1-z_1^{(2)}) \\
&\qquad - \Delta z_2^{(2)} z_1^{(2)} z_2^{(2)} \nonumber \\
&= z_1^{(2)} - y_1
\end{aligned}$$""",
        [(V, ""), (V, "labels sum to one")],
    ),
    (
        "eqqcolon-alone-is-a-link",
        r"$$-\frac{y_1}{z_1^{(2)}} \eqqcolon \Delta z_1^{(2)}$$",
        [(V, "")],
    ),
    (
        "eqqcolon-records-a-wrong-value",
        r"""$$z_1^{(2)} \eqqcolon \Delta a_1^{(2)}$$
$$\frac{dL}{db_1^{(2)}} = \Delta a_1^{(2)} = z_1^{(2)}$$""",
        [(W, "the sides differ"), (V, ""), (D, "given at line 1")],
    ),
    (
        "eqqcolon-inside-a-chain-records",
        r"""$$\frac{dL}{da_1^{(2)}} = z_1^{(2)} \eqqcolon \Delta a_1^{(2)} = z_1^{(2)} + 0$$
$$\frac{dL}{db_1^{(2)}} = \Delta a_1^{(2)} = z_1^{(2)}$$""",
        # Within its own chain a label still means dL/dv; the value given holds after.
        [(W, "the sides differ"), (D, "records"), (W, ""), (V, ""), (D, "line 1")],
    ),
    (
        "coloneqq-records",
        r"""$$\Delta a_1^{(2)} \coloneqq z_1^{(2)}$$
$$\frac{dL}{db_1^{(2)}} = \Delta a_1^{(2)} = z_1^{(2)}$$""",
        [(W, "the sides differ"), (V, ""), (D, "given at line 1")],
    ),
    (
        "condition-on-the-labels-is-read",
        r"$$\frac{dL}{da_1^{(2)}} = z_1^{(2)} - y_1 \quad \text{when } y_1 + y_2 = 1$$",
        [(V, "")],
    ),
    (
        "a-false-claim-under-the-condition",
        r"$$\frac{dL}{da_1^{(2)}} = z_1^{(2)} \quad \text{when } y_1 + y_2 = 1$$",
        [(W, "the sides differ")],
    ),
    (
        "condition-on-a-node",
        r"$$\frac{dL}{da_1^{(1)}} = \Delta z_1^{(1)} \quad \text{if } a_1^{(1)} > 0$$",
        [(V, "")],
    ),
    (
        "right-side-undefined",
        r"$$x_1 = \frac{1}{0}$$",
        [(P, "the right side is undefined at every test point (the left has a value)")],
    ),
    (
        "log-of-zero",
        r"$$x_1 = \ln 0$$",
        [(P, "the right side is undefined at every test point (the left has a value)")],
    ),
    (
        "left-side-undefined",
        r"$$\ln 0 = x_1$$",
        [(P, "the left side is undefined at every test point (the right has a value)")],
    ),
    (
        "condition-met-nowhere",
        r"$$\frac{dL}{da_1^{(2)}} = z_1^{(2)} \quad \text{when } y_1 = 5$$",
        [(P, "no test point meets the condition of the right side")],
    ),
    (
        "condition-without-quad",
        r"$$\frac{dL}{da_1^{(2)}} = z_1^{(2)} - y_1 \text{ when } y_1 + y_2 = 1$$",
        [(V, "")],
    ),
    ("both-sides-undefined", r"$$\ln 0 = \frac{1}{0}$$", [(P, "neither side")]),
    ("repeated-minus", r"$$x_1 = --x_1$$", [(V, "")]),
    ("empty-group", r"$$x_1 = {} &$$", [(P, "the group '{}' is empty")]),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in SHORT], ids=[c[0] for c in SHORT]
)
def test_short_documents(text, expected):
    links = audit_text(text).links
    assert [link.verdict for link in links] == [verdict for verdict, _ in expected]
    for link, (_, message) in zip(links, expected, strict=True):
        assert message in link.message
        assert "IFWORD" not in link.message
