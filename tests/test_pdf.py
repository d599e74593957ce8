"""Every generated derivation.tex compiles with latexmk, cleanly, and reads back as a PDF.

Skipped only where latexmk is missing outside CI; in CI (CI set) a missing tool fails,
since .ci/install-tex installs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted(REPOSITORY.glob("generated/*/derivation.tex"))
TOOLS = ("latexmk", "pdflatex", "pdftotext")
OVERFULL_LIMIT_PT = 5.0
COMPILE_TIMEOUT_S = 300

# Documents with a known layout fault, each failing until its template is fixed.
KNOWN_FAULTS: dict[str, str] = {}

OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)$", re.M)
WARNING = re.compile(
    r"^(?:(?:LaTeX|Package|Class) (?:\S+ )?Warning|pdfTeX warning).*$", re.M
)
EQUATION_LABEL = re.compile(r"^\\newlabel\{eq:[^}]*\}\{\{(\d+)\}", re.M)
SECTION = re.compile(r"\\section\{((?:[^{}]|\{[^{}]*\})*)\}")
LINE_END_NUMBER = re.compile(r"\((\d+)\)\s*$", re.M)


@dataclass(frozen=True)
class Compiled:
    tex: str
    log: str
    aux: str
    text: str


def document_params() -> list:
    params = []
    for path in DOCUMENTS:
        name = path.parent.name
        marks = ()
        if name in KNOWN_FAULTS:
            marks = pytest.mark.xfail(strict=True, reason=KNOWN_FAULTS[name])
        params.append(pytest.param(path, marks=marks, id=name))
    return params


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must have {', '.join(missing)}; run .ci/install-tex first")
    pytest.skip(f"{', '.join(missing)} not installed; .ci/install-tex installs them")


@pytest.fixture(scope="module")
def compile_document(tmp_path_factory):
    """Compile each document once, in a temporary copy of its folder."""
    compiled: dict[Path, Compiled] = {}

    def compile_once(tex_path: Path) -> Compiled:
        if tex_path not in compiled:
            folder = tmp_path_factory.mktemp(tex_path.parent.name) / "document"
            ignored = shutil.ignore_patterns(
                "*.pdf", "*.aux", "*.log", "*.fls", "*.fdb*"
            )
            shutil.copytree(tex_path.parent, folder, ignore=ignored)
            compiled[tex_path] = run_latexmk(folder / tex_path.name)
        return compiled[tex_path]

    return compile_once


def run_latexmk(tex_path: Path) -> Compiled:
    command = [
        "latexmk",
        "-pdf",
        "-halt-on-error",
        "-interaction=nonstopmode",
        tex_path.name,
    ]
    result = subprocess.run(
        command,
        cwd=tex_path.parent,
        capture_output=True,
        text=True,
        timeout=COMPILE_TIMEOUT_S,
        check=False,
    )
    log_path = tex_path.with_suffix(".log")
    log = (
        log_path.read_text(encoding="utf-8", errors="replace")
        if log_path.exists()
        else ""
    )
    if result.returncode != 0:
        errors = [line for line in log.splitlines() if line.startswith("!")]
        pytest.fail(
            f"latexmk failed on {tex_path.name}: {errors or result.stdout[-800:]}"
        )

    return Compiled(
        tex=tex_path.read_text(encoding="utf-8"),
        log=log,
        aux=tex_path.with_suffix(".aux").read_text(encoding="utf-8"),
        text=pdf_text(tex_path.with_suffix(".pdf")),
    )


def pdf_text(pdf_path: Path) -> str:
    """The PDF's text as pdftotext lays it out, ligatures (fi, fl) split into letters."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return unicodedata.normalize("NFKC", text)


def overfull_boxes(compiled: Compiled) -> list[str]:
    """Each hbox more than OVERFULL_LIMIT_PT too wide, with the .tex line it ends at."""
    tex_lines = compiled.tex.splitlines()
    found = []
    for match in OVERFULL.finditer(compiled.log):
        if float(match.group(1)) <= OVERFULL_LIMIT_PT:
            continue
        line = re.search(r"lines? (\d+)", match.group(2))
        source = tex_lines[int(line.group(1)) - 1].strip() if line else ""
        found.append(f"{match.group(0)}: {source[:80]}")
    return found


def plain_title(title: str) -> str:
    """A section title as the PDF prints it: commands unwrapped, math left out."""
    title = title.split("$", 1)[0]
    title = re.sub(r"\\[A-Za-z]+\*?\{([^{}]*)\}", r"\1", title)
    return " ".join(title.replace("~", " ").replace("{", "").replace("}", "").split())


@pytest.mark.parametrize("tex_path", document_params())
def test_compiles_without_warnings(compile_document, tex_path):
    require_tools()
    compiled = compile_document(tex_path)
    problems = overfull_boxes(compiled) + WARNING.findall(compiled.log)
    assert not problems, f"{tex_path.parent.name}: " + "; ".join(problems)


@pytest.mark.parametrize("tex_path", DOCUMENTS, ids=[p.parent.name for p in DOCUMENTS])
def test_pdf_shows_equation_numbers_and_sections(compile_document, tex_path):
    require_tools()
    compiled = compile_document(tex_path)

    # Equation numbers stand at the right end of their line in the PDF's layout.
    expected = {int(number) for number in EQUATION_LABEL.findall(compiled.aux)}
    printed = {int(number) for number in LINE_END_NUMBER.findall(compiled.text)}
    assert expected, f"{tex_path}: no labelled equation"
    assert sorted(expected - printed) == []

    flat_text = " ".join(compiled.text.split())
    titles = SECTION.findall(compiled.tex)
    assert titles, f"{tex_path}: no section"
    for number, title in enumerate(titles, start=1):
        assert f"{number} {plain_title(title)}".strip() in flat_text


def test_there_are_documents_to_compile():
    assert DOCUMENTS, "no generated/*/derivation.tex; run 'make generate'"


def spec_text(name: str, loss: str, layers: list[str], reduction: str = "mean") -> str:
    lines = [
        f'name = "{name}"',
        "inputs = 2",
        f'loss = "{loss}"',
        f'reduction = "{reduction}"',
    ]
    for layer in layers:
        units, activation = layer.split()
        lines += ["[[layers]]", f"units = {units}", f'activation = "{activation}"']
    return "\n".join(lines) + "\n"


# Between them, every activation in a hidden and an output layer, and every loss.
MIXED_SPECS = {
    "every-activation": spec_text(
        "every-activation",
        "cross_entropy",
        [
            "2 leaky_relu",
            "2 sigmoid",
            "2 tanh",
            "2 softplus",
            "2 identity",
            "2 relu",
            "3 softmax",
        ],
    ),
    "hidden-softmax": spec_text(
        "hidden-softmax", "mse", ["3 softmax", "2 tanh"], "sum"
    ),
    "sigmoid-bce": spec_text(
        "sigmoid-bce", "binary_cross_entropy", ["3 relu", "2 sigmoid"]
    ),
    "softmax-bce": spec_text(
        "softmax-bce", "binary_cross_entropy", ["2 tanh", "3 softmax"]
    ),
    "softplus-out": spec_text("softplus-out", "mse", ["2 sigmoid", "1 softplus"]),
    "leaky-out": spec_text("leaky-out", "mse", ["2 identity", "2 leaky_relu"]),
}


@pytest.mark.parametrize("name", sorted(MIXED_SPECS))
def test_any_layer_order_gives_a_document_that_compiles(tmp_path, name):
    from derive.derivation import derive
    from derive.latex import derivation_latex
    from derive.spec import parse_spec

    require_tools()
    tex_path = tmp_path / "derivation.tex"
    derivation = derive(parse_spec(MIXED_SPECS[name], f"{name}.toml"))
    tex_path.write_text(derivation_latex(derivation, "derive all"), encoding="utf-8")
    compiled = run_latexmk(tex_path)
    problems = overfull_boxes(compiled) + WARNING.findall(compiled.log)
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", DOCUMENTS, ids=[p.parent.name for p in DOCUMENTS])
def test_source_lines_are_at_most_100_characters(path):
    long = [
        number
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if len(line) > 100
    ]
    assert long == []
