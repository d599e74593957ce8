"""Reading one side of an equation: lexer, grammar and builder, against expressions built
here from the network's own symbols."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.audit.build import Builder
from derive.audit.grammar import parse
from derive.audit.lexer import ReadError
from derive.audit.notation import Diff, Notation, SampleSum
from derive.errors import NotSupportedError
from derive.spec import parse_spec, seed_spec


@pytest.fixture(scope="module")
def notation() -> Notation:
    return Notation(seed_spec())


def read(notation: Notation, latex: str, env: dict | None = None) -> sp.Expr:
    return Builder(notation, env or {}).build(parse(latex))


def z(s, layer, j):
    return s.network.z(layer, j)


def a(s, layer, j):
    return s.network.a(layer, j)


READABLE = [
    ("layer-superscript", r"z_1^{(2)}", lambda s: z(s, 2, 1)),
    ("layer-first", r"z^{(2)}_1", lambda s: z(s, 2, 1)),
    ("square-bracket-layer", r"a_{2}^{[1]}", lambda s: a(s, 1, 2)),
    ("power-of-a-node", r"\left(z_1^{(2)}\right)^2", lambda s: z(s, 2, 1) ** 2),
    ("shorthand-layer", r"e^{a_1(2)}", lambda s: sp.exp(a(s, 2, 1))),
    ("z-zero-is-x", r"z_2^{(0)}", lambda s: s.network.x(2)),
    ("euler", r"e^{-a_2^{(2)}}", lambda s: sp.exp(-a(s, 2, 2))),
    ("exp", r"\exp\left(a_1^{(2)}\right)", lambda s: sp.exp(a(s, 2, 1))),
    (
        "ln-and-log",
        r"-y_1 \ln z_1^{(2)} - y_2 \log z_2^{(2)}",
        lambda s: (
            -s.network.y(1) * sp.log(z(s, 2, 1)) - s.network.y(2) * sp.log(z(s, 2, 2))
        ),
    ),
    ("weight-two-digits", r"w_{12}^{(1)}", lambda s: s.network.w(1, 1, 2)),
    ("weight-comma", r"w_{3,2}^{(2)}", lambda s: s.network.w(2, 3, 2)),
    ("implicit-product", r"2 x_1 x_2", lambda s: 2 * s.network.x(1) * s.network.x(2)),
    (
        "cdot-times",
        r"x_1 \cdot x_2 \times 3",
        lambda s: 3 * s.network.x(1) * s.network.x(2),
    ),
    ("fraction", r"\dfrac{x_1}{x_2}", lambda s: s.network.x(1) / s.network.x(2)),
    ("decimal", r"0.5 x_1", lambda s: s.network.x(1) / 2),
    ("spacing-and-sizes", r"\left[ x_1 \, + \; x_2 \right]", lambda s: sum(x(s))),
    ("unicode-minus", "x_1 \u2212 x_2", lambda s: s.network.x(1) - s.network.x(2)),
    ("label", r"\Delta z_1^{(2)}", lambda s: s.network.delta_z(2, 1)),
    (
        "label-of-a-weight",
        r"\Delta w_{21}^{(1)}",
        lambda s: s.delta(s.network.w(1, 2, 1)),
    ),
    ("derivative", r"\frac{dL}{dz_1^{(2)}}", lambda s: Diff(s.loss, z(s, 2, 1))),
    (
        "partial",
        r"\frac{\partial L}{\partial z_1^{(2)}}",
        lambda s: Diff(s.loss, z(s, 2, 1)),
    ),
    ("slash", r"dL/dz_1^{(2)}", lambda s: Diff(s.loss, z(s, 2, 1))),
    (
        "jacobian-entry",
        r"\frac{dz_2^{(2)}}{da_1^{(2)}}",
        lambda s: Diff(z(s, 2, 2), a(s, 2, 1)),
    ),
    (
        "derivative-of-expression",
        r"\frac{d \ln z_1^{(2)}}{dz_1^{(1)}}",
        lambda s: Diff(sp.log(z(s, 2, 1)), z(s, 1, 1)),
    ),
    (
        "operator-on-bracket",
        r"\frac{d}{da_1^{(2)}} \left[ e^{a_1^{(2)}} \right] w_{11}^{(2)}",
        lambda s: Diff(sp.exp(a(s, 2, 1)), a(s, 2, 1)) * s.network.w(2, 1, 1),
    ),
    (
        "operator-on-fraction",
        r"\frac{d}{da_1^{(2)}} \frac{1}{a_1^{(2)}}",
        lambda s: Diff(1 / a(s, 2, 1), a(s, 2, 1)),
    ),
    (
        "piecewise-in-words",
        r"0 \text{ if } z_1^{(1)} \leq 0, 1 \text{ otherwise}",
        lambda s: sp.Piecewise((0, z(s, 1, 1) <= 0), (1, True)),
    ),
    (
        "cases",
        r"\begin{cases} 1 & a_1^{(1)} > 0 \\ 0 & \text{otherwise} \end{cases}",
        lambda s: sp.Piecewise((1, a(s, 1, 1) > 0), (0, True)),
    ),
    (
        "unit-sum-over-the-units-it-names",
        r"\sum_{k} w_{1k}^{(2)} \Delta a_k^{(2)}",
        lambda s: sum(s.network.w(2, 1, k) * s.network.delta_a(2, k) for k in (1, 2)),
    ),
    (
        "unit-sum-with-bounds",
        r"\sum_{k=1}^{2} y_k",
        lambda s: s.network.y(1) + s.network.y(2),
    ),
    (
        "batch-mean",
        r"\frac{1}{N} \sum_{n=1}^{N} L",
        lambda s: SampleSum(s.loss) / s.batch_size,
    ),
    (
        "sigmoid-and-its-derivative",
        r"\sigma(x_1) + \sigma'(x_2)",
        lambda s: (
            1 / (1 + sp.exp(-s.network.x(1)))
            + sp.exp(-s.network.x(2)) / (1 + sp.exp(-s.network.x(2))) ** 2
        ),
    ),
    ("tanh", r"\tanh\left(a_1^{(1)}\right)", lambda s: sp.tanh(a(s, 1, 1))),
    ("max", r"\max(0, a_1^{(1)})", lambda s: sp.Max(0, a(s, 1, 1))),
    ("double-minus", r"--x_1", lambda s: s.network.x(1)),
    ("minus-plus-minus", r"-+-x_1 - x_2", lambda s: s.network.x(1) - s.network.x(2)),
    (
        "condition-on-the-labels",
        r"z_1^{(2)} - y_1 \quad \text{when } y_1 + y_2 = 1",
        lambda s: sp.Piecewise(
            (z(s, 2, 1) - s.network.y(1), sp.Eq(s.network.y(1) + s.network.y(2), 1))
        ),
    ),
    (
        "condition-on-a-node",
        r"\Delta z_1^{(1)} \text{ if } a_1^{(1)} > 0",
        lambda s: sp.Piecewise((s.network.delta_z(1, 1), a(s, 1, 1) > 0)),
    ),
    (
        "iverson-bracket",
        r"\Delta z_1^{(1)} \left[a_1^{(1)} > 0\right]",
        lambda s: (
            s.network.delta_z(1, 1) * sp.Piecewise((1, a(s, 1, 1) > 0), (0, True))
        ),
    ),
    (
        "kronecker-delta-in-a-sum",
        r"\sum_k (\delta_{1k} - z_k^{(2)}) y_k",
        lambda s: (1 - z(s, 2, 1)) * s.network.y(1) - z(s, 2, 2) * s.network.y(2),
    ),
]


def x(s):
    return [s.network.x(1), s.network.x(2)]


@pytest.mark.parametrize(
    ("latex", "expected"), [case[1:] for case in READABLE], ids=[c[0] for c in READABLE]
)
def test_reads(notation, latex, expected):
    assert read(notation, latex) == expected(notation)


def test_index_letters_take_their_values(notation):
    found = read(notation, r"\Delta a_j^{(l)} z_i^{(1)}", {"i": 3, "j": 2, "l": 2})
    assert found == notation.network.delta_a(2, 2) * z(notation, 1, 3)


UNREADABLE = [
    ("words", r"\text{SoftMax} : f(x)", r"the text 'SoftMax' is words"),
    (
        "unknown-command",
        r"\nabla L",
        r"the command \\nabla is not part of the notation",
    ),
    ("ambiguous-ln", r"\ln z_1^{(2)} y_1", r"put its argument in brackets"),
    ("ambiguous-operator", r"\frac{d}{dx_1} x_1 x_2", r"put its argument in brackets"),
    ("no-layer", r"z_1", r"z needs a layer superscript"),
    ("no-index", r"z", r"z needs a unit index"),
    ("three-digit-weight", r"w_{123}^{(1)}", r"should have two indices"),
    ("huge-power", r"10^{10^{10}}", r"too large to compute"),
    ("empty", "", r"the side is empty"),
    ("dangling-plus", r"x_1 +", r"ends before its expression does"),
    ("stray-brace", r"x_1 }", r"cannot read '}' after 'x _ 1'"),
    ("too-deep", "(" * 45 + "x_1" + ")" * 45, r"nested more than 40 deep"),
    ("too-long", "x_1 + " * 600 + "x_1", r"reads at most 3000"),
    ("greek-unicode", "\u03bb x_1", r"the character 'λ'"),
    ("superscript-digit", "x_1^\u00b2", r"^the character '²' is not part of"),
    ("subscript-digit", "x_\u2081", r"^the character '₁' is not part of"),
    ("arabic-indic-digit", "1\u0662 x_1", r"^the character '٢' is not part of"),
    ("lone-backslash", "x_1 \\", r"^it ends in a lone backslash$"),
    ("kronecker-one-index", r"\delta_1 x_1", r"\\delta_\{1\} should have two indices"),
    ("sum-from-a-letter", r"\sum_{y=c} e^y", r"the lower limit of the sum"),
    ("derivative-by-a-number", r"\frac{dL}{d2}", r"with respect to 2 is not supported"),
    (
        "third-derivative",
        r"\frac{d}{dx_1}\left[\frac{d}{dx_1}\left[\frac{d}{dx_1}\left[L\right]\right]\right]",
        r"nested 3 deep",
    ),
    ("label-with-a-layer", r"y_1^{(2)}", r"y has no layers"),
    ("layer-arithmetic", r"w_{jk}^{(l+1)}", r"arithmetic such as \(l-1\) is not read"),
    ("empty-braces", r"{} x_1", r"^the group '\{\}' is empty$"),
    ("empty-parentheses", r"x_1 ()", r"^the group '\(\)' is empty$"),
    (
        "condition-alone",
        r"\text{when } y_1",
        r"^cannot read '\\text\{when\}' at the start$",
    ),
    (
        "otherwise-alone",
        r"x_1 \text{otherwise}",
        r"^cannot read '\\text\{otherwise\}' after 'x _ 1'$",
    ),
    (
        "cases-in-a-message",
        r"x_1 + \end{cases}",
        r"^cannot read '\\end\{cases\}' after 'x _ 1 \+'$",
    ),
]


@pytest.mark.parametrize(
    ("latex", "message"),
    [case[1:] for case in UNREADABLE],
    ids=[c[0] for c in UNREADABLE],
)
def test_unreadable_sides_say_why(notation, latex, message):
    with pytest.raises(ReadError, match=message):
        read(notation, latex, {"j": 1, "k": 1})


UNKNOWN = [
    ("output-layer-slip", r"z_3^{(2)}", "z_{3}^{(2)}", ("z", 1, (3,))),
    ("swapped-weight", r"w_{13}^{(2)}", "w_{13}^{(2)}", ("w", 2, (3, 1))),
    ("no-such-layer", r"a_1^{(3)}", "a_{1}^{(3)}", ("a", 2, (1,))),
    ("third-input", r"x_3", "x_{3}", None),
    ("stranger", r"q_1", "q_{1}", None),
    ("greek-constant", r"\theta", "\\theta", None),
]


@pytest.mark.parametrize(
    ("latex", "text", "suggestion"),
    [case[1:] for case in UNKNOWN],
    ids=[c[0] for c in UNKNOWN],
)
def test_unknown_symbols_are_placeholders_with_a_likely_symbol(
    notation, latex, text, suggestion
):
    (placeholder,) = read(notation, latex).free_symbols
    entry = notation.unknowns[placeholder]
    assert entry.text == text
    expected = None if suggestion is None else notation.node(*suggestion)
    assert entry.suggestion == expected


def test_big_networks_are_refused():
    text = 'name = "big"\ninputs = 784\nloss = "mse"\n[[layers]]\nunits = 100\n'
    text += 'activation = "relu"\n'
    with pytest.raises(NotSupportedError, match=r"at most 2000"):
        Notation(parse_spec(text, "<test>"))
