"""Stage 4c: render a proved ``Derivation`` as one self-contained HTML page with MathML.

For readers without TeX: the same equations and numbers as derivation.tex, converted by
latex2mathml, with no script, font or style fetched at view time.
"""

from __future__ import annotations

import latex2mathml.converter

from derive import render
from derive.derivation import Derivation
from derive.latex import equation_lines, layer_rules, loss_latex


def mathml(latex: str) -> str:
    # MathML has no \eqqcolon; "=:" reads the same.
    latex = latex.replace(r"\eqqcolon", "=:").replace(r"\nonumber", "")
    return latex2mathml.converter.convert(latex, display="block")


def derivation_html(derivation: Derivation, command: str) -> str:
    network = derivation.network
    sections = []
    for section in derivation.sections:
        equations = []
        for equation in section.equations:
            rows = [
                row.replace("&", "")
                for line in equation_lines(network, equation)
                for row in line.latex.split(r"\\")
            ]
            math = [mathml(row) for row in rows]
            equations.append({"number": equation.number, "rows": math})
        rules = layer_rules(network, section.layer) if section.layer else []
        sections.append(
            {
                "title": section.title,
                "equations": equations,
                "rules": [mathml(rule.replace("&", "")) for rule in rules],
            }
        )
    context = {
        "spec": derivation.spec,
        "instance": derivation.instance,
        "complete": derivation.complete,
        "command": command,
        "loss": mathml("L = " + loss_latex(network)),
        "sections": sections,
    }
    return render.render("derivation.html.j2", context)
