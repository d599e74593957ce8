"""The network picture: well-formed SVG, one circle per drawn unit, the same every time."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from derive.spec import load_spec, parse_spec, seed_spec
from derive.svg import drawn_units, network_svg, unit_label

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = sorted(Path(__file__).parent.parent.glob("examples/*.toml"))
WIDE_LAYER = """
name = "wide-single"
inputs = 6
loss = "mse"

[[layers]]
units = 1
activation = "identity"
"""
SPECS = [
    pytest.param(seed_spec(), id="embedded seed"),
    pytest.param(parse_spec(WIDE_LAYER, "<test>"), id="wide input, one layer"),
    *(pytest.param(load_spec(path), id=path.stem) for path in EXAMPLES),
]


def parse(spec) -> ElementTree.Element:
    return ElementTree.fromstring(network_svg(spec).encode("utf-8"))


def with_class(root: ElementTree.Element, tag: str, name: str) -> list:
    return [node for node in root.iter(SVG + tag) if node.get("class") == name]


def shown(units: int) -> int:
    """Circles drawn for a layer: all of a narrow one; 3, dots and the last of a wide one."""
    return units if units <= 5 else 4


@pytest.mark.parametrize("spec", SPECS)
def test_one_circle_per_drawn_unit(spec):
    root = parse(spec)
    assert root.tag == SVG + "svg"
    circles = with_class(root, "circle", "unit")
    assert len(circles) == sum(shown(units) for units in spec.layer_sizes)
    wide_layers = sum(units > 5 for units in spec.layer_sizes)
    assert len(with_class(root, "circle", "dots")) == 3 * wide_layers
    assert len(with_class(root, "circle", "loss")) == 1


@pytest.mark.parametrize("spec", SPECS)
def test_an_arrow_joins_each_drawn_unit_to_the_next_layer(spec):
    counts = [shown(units) for units in spec.layer_sizes]
    pairs = zip(counts, counts[1:], strict=False)
    expected = sum(a * b for a, b in pairs) + counts[-1]
    edges = with_class(parse(spec), "g", "edges")[0]
    assert len(edges.findall(SVG + "line")) == expected


@pytest.mark.parametrize("spec", SPECS)
def test_labels_and_titles_name_every_layer(spec):
    root = parse(spec)
    labels = {node.text for node in with_class(root, "text", "label")}
    sizes = spec.layer_sizes
    assert {"x₁", unit_label(0, sizes[0])} <= labels
    assert unit_label(spec.depth, sizes[-1]) in labels
    titles = [node.text for node in with_class(root, "text", "title")]
    assert titles[0] == "input"
    assert titles[-2] == f"output: {spec.output.activation}"
    assert titles[-1] == "loss"
    assert len(titles) == spec.depth + 2


@pytest.mark.parametrize("spec", SPECS)
def test_everything_lies_inside_the_picture(spec):
    root = parse(spec)
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    for circle in root.iter(SVG + "circle"):
        x, y, r = (float(circle.get(key)) for key in ("cx", "cy", "r"))
        assert r <= x <= width - r
        assert r <= y <= height - r


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_same_bytes_in_a_fresh_interpreter(example):
    # A fresh process with another hash seed catches any dependence on set or dict order.
    script = (
        "import sys; from derive.spec import load_spec; from derive.svg import "
        "network_svg; sys.stdout.write(network_svg(load_spec(sys.argv[1])))"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(example)],
        capture_output=True,
        check=True,
        env=environment,
    )
    assert result.stdout.decode("utf-8") == network_svg(load_spec(example))


@pytest.mark.parametrize(
    ("l", "j", "expected"),
    [
        pytest.param(0, 1, "x₁", id="input 1"),
        pytest.param(0, 784, "x₇₈₄", id="input 784"),
        pytest.param(2, 10, "z₁₀⁽²⁾", id="layer 2 unit 10"),
        pytest.param(12, 3, "z₃⁽¹²⁾", id="layer 12 unit 3"),
    ],
)
def test_unit_label(l, j, expected):
    assert unit_label(l, j) == expected


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        pytest.param(1, [1], id="one"),
        pytest.param(5, [1, 2, 3, 4, 5], id="five, all drawn"),
        pytest.param(6, [1, 2, 3, None, 6], id="six, dots"),
        pytest.param(784, [1, 2, 3, None, 784], id="784, dots"),
    ],
)
def test_drawn_units(units, expected):
    assert drawn_units(units) == expected
