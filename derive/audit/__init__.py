"""derive audit: check a hand-written backprop derivation, equation by equation.

Input: a Markdown or LaTeX file with display math, and a network spec (the seed network
by default). Output: a verdict for every '=' link, as a text report or JSON.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from pathlib import Path

from derive.audit.document import NEVER_CLOSED, read_document
from derive.audit.judge import Judge, Link
from derive.audit.notation import Notation
from derive.audit.report import Audit, render_json, render_text
from derive.errors import BadInputError
from derive.spec import Spec, load_spec

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000
# Past this much CPU time, the remaining equations are listed, not judged. CPU time, not
# wall time, so that other work on the machine does not change the verdicts.
TIME_BUDGET_SECONDS = 60.0
FORMATS = ("text", "json")
LATEX_SUFFIXES = (".tex", ".ltx", ".latex")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mkd", ".mdown", ".qmd", ".rmd")
DOCUMENT_CLASS = re.compile(r"^[ \t]*\\documentclass(?![A-Za-z])", re.MULTILINE)


def audit_file(
    path: str,
    spec_path: str | None = None,
    output_format: str = "text",
    strict: bool = False,
) -> tuple[str, int]:
    """Return (report text or JSON string, exit code): 0 no link wrong, 1 some link
    wrong, or, when ``strict``, some link not verified or some warning; raise
    BadInputError (one line) for unusable input."""
    if output_format not in FORMATS:
        raise BadInputError(
            f"format {output_format!r} is not known; allowed: {', '.join(FORMATS)}"
        )
    text = read_text(Path(path))
    spec = load_spec(spec_path)
    source = "standard input" if path == "-" else str(path)
    latex = is_latex(Path(path).suffix.lower(), text)
    audit = audit_text(text, spec, source=source, latex=latex)
    if not audit.displays:
        unclosed = [w for w in audit.warnings if w[1].endswith(NEVER_CLOSED)]
        if unclosed:
            line, message = unclosed[0]
            opener = message.removesuffix(NEVER_CLOSED)
            raise BadInputError(
                f"{source}:{line}: {opener}is never closed, so no display was read"
            )
        if audit.warnings:  # display math shown as code
            line, message = audit.warnings[0]
            raise BadInputError(
                f"no display math found outside code in {source}; line {line}: {message}"
            )
        raise BadInputError(
            f"no display math found in {source}; the audit reads $$...$$, \\[...\\] "
            "and equation or align environments, not inline $...$"
        )
    rendered = render_json(audit) if output_format == "json" else render_text(audit)
    unchecked = any(link.verdict != "verified" for link in audit.links)
    failed = audit.wrong or (strict and (unchecked or bool(audit.warnings)))
    return rendered, 1 if failed else 0


def read_text(path: Path) -> str:
    """The document's text ('-' is standard input); a one-line BadInputError when it is
    not a usable text file."""
    raw = read_bytes(path)
    if b"\0" in raw:
        raise BadInputError(f"{path}: is a binary file (it has NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInputError(
            f"{path}: is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
            f"{error.start})"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(path: Path) -> bytes:
    """At most MAX_FILE_BYTES of the document; a device such as /dev/zero reports no
    size, so one byte more is read to tell a document that is too long."""
    try:
        if str(path) == "-":
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        elif path.is_dir():
            raise BadInputError(
                f"{path}: is a folder, expected a Markdown or LaTeX file"
            )
        else:
            with path.open("rb") as stream:
                raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BadInputError(f"{path}: document not found") from None
    except OSError as error:
        raise BadInputError(
            f"{path}: cannot read the document ({error.strerror})"
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        size = path.stat().st_size if path.is_file() else 0
        shown = (
            f"{size / 1e6:.1f} MB" if size else f"over {MAX_FILE_BYTES / 1e6:.0f} MB"
        )
        raise BadInputError(
            f"{path}: the file is {shown}; the audit reads documents of at most "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB"
        )
    return raw


def is_latex(suffix: str, text: str) -> bool:
    """Whether to read the text as LaTeX source: by its suffix, or, for one that names
    neither kind (standard input, .txt), by a line that starts with \\documentclass."""
    if suffix in LATEX_SUFFIXES:
        return True
    if suffix in MARKDOWN_SUFFIXES:
        return False
    return DOCUMENT_CLASS.search(text) is not None


def audit_text(
    text: str, spec: Spec | None = None, source: str = "<text>", latex: bool = False
) -> Audit:
    """Audit a document's text against a spec (the seed network when None); ``latex``
    for LaTeX source, whose % comments are not read."""
    started = time.process_time()
    spec = spec if spec is not None else load_spec(None)
    document = read_document(text, latex)
    judge = Judge(Notation(spec))
    audit = Audit(source, spec, displays=document.displays)
    for chain in document.chains:
        if time.process_time() - started > TIME_BUDGET_SECONDS:
            audit.links += unjudged(chain, "not checked: the audit ran out of time")
            continue
        try:
            audit.links += judge.chain(chain)
        # A last guard: one odd equation must not stop the audit.
        except Exception as error:
            logger.debug("equation %d failed", chain.number, exc_info=True)
            audit.links += unjudged(
                chain, f"could not be judged ({type(error).__name__})"
            )
    audit.warnings = sorted(set(document.warnings) | set(judge.warnings))
    used = time.process_time() - started
    logger.debug("audited %s in %.2f s of CPU time", source, used)
    return audit


def unjudged(chain, message: str) -> list[Link]:
    return [
        Link(
            line,
            chain.number,
            k + 1,
            chain.sides[k].text,
            chain.sides[k + 1].text,
            "unparsed",
            message,
        )
        for k, line in enumerate(chain.link_lines)
    ]


__all__ = ["audit_file", "audit_text"]
