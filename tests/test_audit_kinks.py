"""ReLU steps: a step placed or shaped wrong is caught, the right one in any spelling is
not, and a wrong step is not blamed on the labels.

The true step is [a > 0]; each wrong claim below differs from it only for some
pre-activations, so it is caught only if the test points meet them.
"""

from __future__ import annotations

import pytest

from derive.audit import audit_text
from derive.spec import parse_spec

WRONG = [
    ("step-at-0.5", r"\Delta a_2^{(1)} = \Delta z_2^{(1)} [a_2^{(1)} > 0.5]"),
    ("step-at-1", r"\Delta a_2^{(1)} = \Delta z_2^{(1)} [a_2^{(1)} > 1]"),
    ("step-at-2", r"\Delta a_2^{(1)} = \Delta z_2^{(1)} [a_2^{(1)} > 2]"),
    ("step-at-minus-1", r"\Delta a_2^{(1)} = \Delta z_2^{(1)} [a_2^{(1)} > -1]"),
    (
        "doubled-below-1",
        r"\Delta a_2^{(1)} = \Delta z_2^{(1)} [a_2^{(1)} > 0](1 + [a_2^{(1)} < 1])",
    ),
    (
        "steep-sigmoid",
        r"\Delta a_2^{(1)} = \Delta z_2^{(1)} \frac{1}{1+e^{-100 a_2^{(1)}}}",
    ),
    (
        "bump-in-forward-pass",
        r"z_2^{(1)} = \max(0, a_2^{(1)}) + 3 [a_2^{(1)} > 0][a_2^{(1)} < 1]",
    ),
    (
        "slope-step-at-0.5",
        r"\frac{\partial z_2^{(1)}}{\partial a_2^{(1)}} = [a_2^{(1)} > 0.5]",
    ),
]

RIGHT = [
    ("iverson", r"\Delta a_2^{(1)} = \Delta z_2^{(1)} [a_2^{(1)} > 0]"),
    ("reversed", r"\Delta a_2^{(1)} = \Delta z_2^{(1)} [0 < a_2^{(1)}]"),
    ("complement", r"\Delta a_2^{(1)} = \Delta z_2^{(1)} (1 - [a_2^{(1)} \le 0])"),
    ("slope", r"\frac{\partial z_2^{(1)}}{\partial a_2^{(1)}} = [a_2^{(1)} > 0]"),
    ("forward", r"z_2^{(1)} = \max(0, a_2^{(1)})"),
]


@pytest.mark.parametrize("claim", [c[1] for c in WRONG], ids=[c[0] for c in WRONG])
def test_a_misplaced_or_reshaped_step_is_wrong(claim):
    (link,) = audit_text(f"$$ {claim} $$").links
    assert link.verdict == "wrong", link.message
    assert "labels" not in link.message
    assert "cases" not in link.message  # a step prints as an Iverson bracket


@pytest.mark.parametrize("claim", [c[1] for c in RIGHT], ids=[c[0] for c in RIGHT])
def test_the_true_step_is_verified(claim):
    (link,) = audit_text(f"$$ {claim} $$").links
    assert (link.verdict, link.message) == ("verified", "")


def test_the_right_step_in_a_correction_is_an_iverson_bracket():
    (link,) = audit_text(
        r"$$ \Delta a_2^{(1)} = 2 \Delta z_2^{(1)} [a_2^{(1)} > 0] $$"
    ).links
    assert link.message.endswith(
        r"in truth \Delta a_2^{(1)} = \Delta z_{2}^{(1)} [a_{2}^{(1)} > 0]"
    )


THREE_LAYERS = """name = "deep"
inputs = 2
loss = "cross_entropy"
[[layers]]
units = 4
activation = "relu"
[[layers]]
units = 3
activation = "relu"
[[layers]]
units = 2
activation = "softmax"
"""


@pytest.mark.parametrize("layer", [1, 2])
@pytest.mark.parametrize("threshold", ["-0.3", "-0.1", "0", "0.5"])
def test_a_step_in_any_relu_layer_of_a_deeper_network_is_placed_right(layer, threshold):
    spec = parse_spec(THREE_LAYERS, "deep.toml")
    claims = "\n".join(
        rf"$$ \Delta a_{j}^{{({layer})}} = \Delta z_{j}^{{({layer})}} "
        rf"[a_{j}^{{({layer})}} > {threshold}] $$"
        for j in (1, 2, 3)
    )
    verdicts = {link.verdict for link in audit_text(claims, spec).links}
    assert verdicts == {"verified" if threshold == "0" else "wrong"}
