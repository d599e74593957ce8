"""The command line: ``derive all|latex|kernels|audit``, on top of the pipeline stages.

Exit codes: 0 success; 1 an audited document has a wrong step; 2 bad input (a spec, a file,
an argument); 3 a derivation step failed its proof (a bug in derive, please report it).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from derive import __version__
from derive.derivation import DEFAULT_MAX_SCALAR, derive
from derive.errors import (
    BadInputError,
    DeriveError,
    NotSupportedError,
    VerificationError,
)
from derive.kernels import kernels_source
from derive.latex import derivation_json, derivation_latex
from derive.output import write_files
from derive.spec import load_spec

logger = logging.getLogger("derive")

EXAMPLES = {
    "all": "derive all --spec examples/xor.toml --out generated",
    "latex": "derive latex --spec examples/mnist-mlp.toml --max-scalar 500",
    "kernels": "derive kernels --out my_kernels",
    "audit": "derive audit my_derivation.md --format json",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derive",
        description="Derive backpropagation for a feed-forward network, prove every step "
        "with SymPy, and generate LaTeX and NumPy kernels; or audit a hand derivation.",
        epilog="Exit codes: 0 success, 1 audit found a wrong step, 2 bad input, "
        "3 a step failed its proof.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log steps and timings"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, summary in (
        ("all", "write derivation.tex, derivation.json and kernels.py"),
        ("latex", "write derivation.tex and derivation.json"),
        ("kernels", "write kernels.py"),
    ):
        command = commands.add_parser(
            name,
            help=summary,
            description=summary + ".",
            epilog=f"Example: {EXAMPLES[name]}",
        )
        command.add_argument(
            "--spec", help="network spec (TOML); default: the seed network"
        )
        command.add_argument(
            "--out", default="generated", help="output folder (default: generated)"
        )
        command.add_argument(
            "--max-scalar",
            type=int,
            default=DEFAULT_MAX_SCALAR,
            help="write every scalar equation up to this many parameters "
            f"(default: {DEFAULT_MAX_SCALAR})",
        )

    audit = commands.add_parser(
        "audit",
        help="check a hand-written derivation equation by equation",
        description="Check every equation of a Markdown or LaTeX derivation against the network.",
        epilog=f"Example: {EXAMPLES['audit']}",
    )
    audit.add_argument("file", help="Markdown or LaTeX file with display math")
    audit.add_argument("--spec", help="network spec (TOML); default: the seed network")
    audit.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        if arguments.command == "audit":
            return run_audit(arguments)
        return run_generate(arguments)
    except VerificationError as error:
        print(f"derive: proof failed: {error}", file=sys.stderr)
        return 3
    except DeriveError as error:
        print(f"derive: error: {error}", file=sys.stderr)
        return 2


def run_generate(arguments: argparse.Namespace) -> int:
    started = time.perf_counter()
    spec = load_spec(arguments.spec)
    for warning in spec.warnings:
        logger.warning("derive: warning: %s", warning)
    if arguments.max_scalar < 0:
        raise BadInputError(
            f"--max-scalar must be 0 or more, got {arguments.max_scalar}"
        )

    derivation = derive(spec, arguments.max_scalar)
    logger.debug("derived %s in %.2f s", spec.describe(), time.perf_counter() - started)
    command = "derive all" + (f" --spec {arguments.spec}" if arguments.spec else "")
    if arguments.max_scalar != DEFAULT_MAX_SCALAR:
        command += f" --max-scalar {arguments.max_scalar}"

    folder = Path(arguments.out) / spec.name
    files = {}
    if arguments.command in ("all", "latex"):
        files[folder / "derivation.tex"] = derivation_latex(derivation, command)
        files[folder / "derivation.json"] = derivation_json(derivation)
    if arguments.command in ("all", "kernels"):
        files[folder / "kernels.py"] = kernels_source(derivation, command)
    write_files(files)
    logger.debug("done in %.2f s", time.perf_counter() - started)
    return 0


def run_audit(arguments: argparse.Namespace) -> int:
    try:
        from derive.audit import audit_file
    except ImportError:
        raise NotSupportedError("derive audit is not available in this build") from None

    report, code = audit_file(arguments.file, arguments.spec, arguments.format)
    print(report, end="" if report.endswith("\n") else "\n")
    return code
