"""Spec reading: the shipped specs load, and every kind of bad spec gets its one-line message."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from derive.errors import BadInputError
from derive.spec import load_spec, parse_spec, seed_spec

ROOT = Path(__file__).parent.parent
GOOD = """name = "net"
inputs = 2
loss = "cross_entropy"
[[layers]]
units = 3
activation = "relu"
[[layers]]
units = 2
activation = "softmax"
"""


def test_seed_is_embedded_and_matches_the_example():
    assert seed_spec().layer_sizes == (2, 3, 2)
    example = load_spec(ROOT / "examples/seed.toml")
    assert replace(example, source=seed_spec().source) == seed_spec()


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("examples/*.toml")), ids=lambda p: p.stem
)
def test_examples_load(path):
    assert load_spec(path).name


BAD_SPECS = [
    ("toml-syntax", "name = \n", r"invalid TOML: .*line 1"),
    (
        "missing-key",
        GOOD.replace('loss = "cross_entropy"\n', ""),
        "missing required key 'loss'",
    ),
    ("unknown-key", 'optimizer = "sgd"\n' + GOOD, r"unknown key 'optimizer'"),
    (
        "misspelt-key",
        GOOD.replace("inputs", "input"),
        r"unknown key 'input' \(did you mean 'inputs'\?\)",
    ),
    (
        "misspelt-layer-key",
        GOOD.replace("units = 3", "unit = 3"),
        r"unknown key 'layers\[0\]\.unit' \(did you mean 'units'\?\)",
    ),
    (
        "wrong-type",
        GOOD.replace("inputs = 2", 'inputs = "2"'),
        "'inputs' must be an integer, got a string",
    ),
    (
        "boolean-count",
        GOOD.replace("inputs = 2", "inputs = true"),
        "'inputs' must be an integer, got a boolean",
    ),
    (
        "table-count",
        GOOD.replace("inputs = 2", "inputs = {count = 2}"),
        "'inputs' must be an integer, got a table",
    ),
    (
        "date-count",
        GOOD.replace("inputs = 2", "inputs = 1979-05-27"),
        "'inputs' must be an integer, got a date",
    ),
    (
        "zero-units",
        GOOD.replace("units = 3", "units = 0"),
        r"'layers\[0\]\.units' = 0 is out of range; allowed: 1 to 65536",
    ),
    (
        "negative-units",
        GOOD.replace("units = 3", "units = -4"),
        r"'layers\[0\]\.units' = -4 is out of range",
    ),
    (
        "huge-units",
        GOOD.replace("units = 3", "units = 10000000"),
        r"= 10000000 is out of range",
    ),
    (
        "too-many-parameters",
        GOOD.replace("units = 3", "units = 60000").replace(
            "inputs = 2", "inputs = 60000"
        ),
        "parameters; allowed: at most",
    ),
    (
        "unknown-activation",
        GOOD.replace('"relu"', '"rleu"'),
        r"'layers\[0\]\.activation' = 'rleu' is not known \(did you mean 'relu'\?\)",
    ),
    (
        "unknown-loss",
        GOOD.replace("cross_entropy", "hinge"),
        r"'loss' = 'hinge' is not known; allowed: cross_entropy",
    ),
    (
        "unknown-reduction",
        'reduction = "avg"\n' + GOOD,
        r"'reduction' = 'avg' is not known",
    ),
    (
        "alpha-out-of-range",
        GOOD.replace('"relu"', '"leaky_relu"\nalpha = 1.5'),
        r"'layers\[0\]\.alpha' = 1\.5 is out of range; allowed: 1e-06 <= alpha < 1",
    ),
    (
        "alpha-too-small",
        GOOD.replace('"relu"', '"leaky_relu"\nalpha = 1e-300'),
        r"'layers\[0\]\.alpha' = 1e-300 is out of range; allowed: 1e-06 <= alpha < 1",
    ),
    (
        "alpha-on-relu",
        GOOD.replace('"relu"', '"relu"\nalpha = 0.1'),
        r"'layers\[0\]\.alpha' is only allowed with activation 'leaky_relu'",
    ),
    ("unsafe-name", GOOD.replace('"net"', '"../../etc"'), "is not a safe identifier"),
    (
        "name-with-newline",
        GOOD.replace('"net"', '"a\\nimport os"'),
        "is not a safe identifier",
    ),
    (
        "empty-layers",
        'name = "n"\ninputs = 2\nloss = "mse"\nlayers = []\n',
        "'layers' is empty",
    ),
    (
        "layers-not-tables",
        'name = "n"\ninputs = 2\nloss = "mse"\nlayers = [3]\n',
        r"'layers' must be an array of tables",
    ),
    (
        "bce-after-identity",
        GOOD.replace("cross_entropy", "binary_cross_entropy").replace(
            '"softmax"', '"identity"'
        ),
        r"needs outputs in \(0, 1\), but 'layers\[1\]\.activation' = 'identity' is not",
    ),
    (
        "bce-after-one-softmax",
        'name = "n"\ninputs = 2\nloss = "binary_cross_entropy"\n'
        '[[layers]]\nunits = 1\nactivation = "softmax"\n',
        "a softmax over one unit is the constant 1",
    ),
    (
        "activation-case",
        GOOD.replace('"relu"', '"ReLU"'),
        r"'ReLU' is not known \(did you mean 'relu'\?\)",
    ),
    (
        "max-parameters-by-depth",
        'name = "n"\ninputs = 2\nloss = "mse"\n'
        + "[[layers]]\nunits = 1\nactivation = 'tanh'\n" * 257,
        "'layers' has 257 entries; allowed: at most 256",
    ),
]


@pytest.mark.parametrize(
    "text, message",
    [case[1:] for case in BAD_SPECS],
    ids=[case[0] for case in BAD_SPECS],
)
def test_bad_spec_gets_its_message(text, message):
    with pytest.raises(BadInputError, match=message) as caught:
        parse_spec(text, "net.toml")
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("net.toml: ")


@pytest.mark.parametrize(
    "problem, message",
    [
        ("missing", "spec file not found"),
        ("folder", "is a folder"),
        ("binary", "not UTF-8"),
        ("too-large", r"spec file is over 1 MB; a spec is a short TOML file$"),
    ],
)
def test_unreadable_spec_file(tmp_path, problem, message):
    path = tmp_path / "spec.toml"
    if problem == "folder":
        path.mkdir()
    elif problem == "binary":
        path.write_bytes(b"\xff\xfe\x00name")
    elif problem == "too-large":
        path.write_text(GOOD + "# padding\n" * 100_000)
    with pytest.raises(BadInputError, match=message):
        load_spec(path)


def test_unwise_combination_warns_but_loads():
    spec = parse_spec(GOOD.replace('"softmax"', '"identity"'), "net.toml")
    assert any("can be zero or negative" in warning for warning in spec.warnings)


def test_a_one_unit_softmax_hidden_layer_warns_that_nothing_passes_it():
    text = GOOD.replace("units = 3", "units = 1").replace('"relu"', '"softmax"')
    spec = parse_spec(text, "net.toml")
    assert spec.layers[0].activation == "softmax" and spec.layers[0].units == 1
    assert spec.warnings == (
        "net.toml: 'layers[0]' is a softmax over one unit, the constant 1, so no "
        "gradient reaches the layers before it",
    )
