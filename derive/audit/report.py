"""Output stage: the audit's links and warnings as a readable report or as JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from derive.audit.evidence import distinct
from derive.audit.judge import Link
from derive.spec import Spec

VERDICTS = ("verified", "wrong", "depends", "unknown_symbol", "unparsed")
SHOWN = {
    "verified": "verified",
    "wrong": "WRONG",
    "depends": "depends",
    "unknown_symbol": "unknown symbol",
    "unparsed": "unparsed",
}
SIDE_WIDTH = 70


@dataclass
class Audit:
    file: str
    spec: Spec
    displays: int = 0  # displays found, equations or not
    links: list[Link] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def wrong(self) -> bool:
        return any(link.verdict == "wrong" for link in self.links)

    def summary(self) -> dict:
        counts = Counter(link.verdict for link in self.links)
        summary = {"links": len(self.links)}
        summary.update({verdict: counts.get(verdict, 0) for verdict in VERDICTS})
        summary["warnings"] = len(self.warnings)
        summary["equations"] = len({link.equation for link in self.links})
        summary["network"] = self.spec.describe()
        return summary


def render_json(audit: Audit) -> str:
    document = {
        "file": audit.file,
        "links": [
            {
                "line": link.line,
                "equation": link.equation,
                "index": link.index,
                "lhs": link.lhs,
                "rhs": link.rhs,
                "verdict": link.verdict,
                "message": link.message,
                "counterexample": link.counterexample,
            }
            for link in audit.links
        ],
        "warnings": [
            {"line": line, "message": message} for line, message in audit.warnings
        ],
        "summary": audit.summary(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def render_text(audit: Audit) -> str:
    lines = [f"Audit of {audit.file} against {audit.spec.describe()}"]
    if audit.spec.loss == "cross_entropy":
        lines.append(
            "Cross-entropy claims are judged with each sample's labels summing to one."
        )
    if not audit.links:
        lines.append("No equations were found in display math.")
    equation = None
    for link in audit.links:
        if link.equation != equation:
            equation = link.equation
            lines += ["", f"Equation {equation} (line {link.line})"]
        lines += link_lines(link)
    if audit.warnings:
        lines += ["", "Warnings"]
        lines += [f"  line {line}: {message}" for line, message in audit.warnings]
    lines += ["", summary_line(audit)]
    return "\n".join(lines) + "\n"


def link_lines(link: Link) -> list[str]:
    claim = f"{shorten(link.lhs)} = {shorten(link.rhs)}"
    head = (
        f"  line {link.line:<4} link {link.index:<3} {SHOWN[link.verdict]:<15} {claim}"
    )
    lines = [head]
    indent = " " * 8
    if link.message:
        lines.append(f"{indent}{link.message}")
    if link.counterexample:
        lines += [indent + text for text in counterexample_lines(link.counterexample)]
    return lines


def counterexample_lines(example: dict) -> list[str]:
    lines = ["counterexample:"]
    samples = example["inputs"] if isinstance(example["inputs"], list) else None
    if samples is None:
        lines.append("  inputs  " + values(example["inputs"]))
        lines.append("  labels  " + values(example["labels"]))
    else:
        for number, (inputs, labels) in enumerate(
            zip(example["inputs"], example["labels"], strict=True), start=1
        ):
            lines.append(f"  sample {number}: {values(inputs)}; {values(labels)}")
    lines.append("  weights " + values(example["weights"]))
    lines.append("  biases  " + values(example["biases"]))
    if "index_values" in example:
        lines.append("  with    " + values(example["index_values"]))
    left, right = distinct(example["lhs_value"], example["rhs_value"])
    lines.append(f"  left side {left}, right side {right}")
    if "right_expression" in example:
        lines.append(
            f"  right expression {example['right_expression']} "
            f"= {example['right_value'] + 0.0:.6g}"  # + 0.0 turns -0.0 into 0.0
        )
    return lines


def values(named: dict) -> str:
    return ", ".join(f"{name} = {value:g}" for name, value in named.items())


def summary_line(audit: Audit) -> str:
    summary = audit.summary()
    counts = ", ".join(
        f"{summary[verdict]} {SHOWN[verdict].lower()}"
        for verdict in VERDICTS
        if summary[verdict]
    )
    links = plural(summary["links"], "link")
    warnings = plural(summary["warnings"], "warning")
    return f"Summary: {links}: {counts or 'none'}; {warnings}."


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def shorten(text: str, limit: int = SIDE_WIDTH) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
