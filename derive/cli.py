"""The command line: ``derive all|latex|kernels|audit``, on top of the pipeline stages.

Exit codes: 0 success; 1 an audited document has a wrong step (with --strict, a step not
verified or a warning); 2 bad input (a spec, a file,
an argument) or a missing optional dependency; 3 a derivation step failed its proof (a bug
in derive, please report it); 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
from pathlib import Path

from derive import __version__
from derive.derivation import DEFAULT_MAX_SCALAR, MAX_SCALAR_LIMIT, derive
from derive.errors import (
    BadInputError,
    DeriveError,
    NotSupportedError,
    VerificationError,
)
from derive.html import derivation_html
from derive.kernels import kernels_source
from derive.latex import derivation_json, derivation_latex
from derive.output import emit, write_files
from derive.render import plain
from derive.spec import load_spec
from derive.svg import network_svg

logger = logging.getLogger("derive")

EXAMPLES = {
    "all": "derive all --spec examples/xor.toml --out generated",
    "latex": "derive latex --spec examples/mnist-mlp.toml --max-scalar 500",
    "kernels": "derive kernels --out my_kernels",
    "audit": "derive audit my_derivation.md --format json",
    "html": "derive html --spec examples/xor.toml",
    "train": "derive train --epochs 50 --output demo.png",
}


class OneLineErrorParser(argparse.ArgumentParser):
    """Usage errors in one line, like every other error; --help still shows usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _print_message(self, message: str, file=None) -> None:
        # --help and --version: a standard output that cannot take them is an error.
        if message and file in (None, sys.stdout):
            try:
                emit(message)
            except BadInputError as error:
                self.exit(2, f"derive: error: {error}\n")
            return
        super()._print_message(message, file)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="derive",
        description="Derive backpropagation for a feed-forward network, prove every step "
        "with SymPy, and generate LaTeX and NumPy kernels; or audit a hand derivation.",
        epilog="Exit codes: 0 success, 1 audit found a wrong step (or, with --strict, "
        "one it could not verify), 2 bad input, "
        "3 a step failed its proof, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log steps and timings"
    )
    # -v is also accepted after the command: derive all -v.
    verbose = OneLineErrorParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log steps and timings",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, summary in (
        ("all", "write derivation.tex, .json and .html, kernels.py and network.svg"),
        ("latex", "write derivation.tex and derivation.json"),
        ("kernels", "write kernels.py"),
        ("html", "write derivation.html, readable without TeX"),
    ):
        command = commands.add_parser(
            name,
            parents=[verbose],
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
        if name in ("all", "kernels"):
            numba_files = (
                "also kernels_numba.py" if name == "all" else "kernels_numba.py"
            )
            command.add_argument(
                "--backend",
                choices=("numpy", "numba"),
                default="numpy",
                help="numpy: kernels.py, whole-array code for any size (default); "
                f"numba: {numba_files}, per-sample loops compiled by Numba, "
                "for small networks",
            )

    audit = commands.add_parser(
        "audit",
        parents=[verbose],
        help="check a hand-written derivation equation by equation",
        description="Check every equation of a Markdown or LaTeX derivation against the network.",
        epilog=f"Example: {EXAMPLES['audit']}",
    )
    audit.add_argument("file", help="Markdown or LaTeX file with display math")
    audit.add_argument("--spec", help="network spec (TOML); default: the seed network")
    audit.add_argument("--format", choices=("text", "json"), default="text")
    audit.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 unless every link is verified and there is no warning",
    )

    train = commands.add_parser(
        "train",
        parents=[verbose],
        help="train the seed network's kernels on two Iris species and plot it",
        description="Train the seed network's generated kernels on two species and two "
        "features of the Iris data, report held-out accuracy, and save a plot.",
        epilog=f"Example: {EXAMPLES['train']}",
    )
    train.add_argument("--epochs", type=int, default=100)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--output", default="demo.png", help="plot file (PNG)")
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
        if arguments.command == "train":
            return run_train(arguments)
        return run_generate(arguments)
    except VerificationError as error:
        print(f"derive: proof failed: {error}", file=sys.stderr)
        return 3
    except DeriveError as error:
        print(f"derive: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130


def run_generate(arguments: argparse.Namespace) -> int:
    started = time.perf_counter()
    if not arguments.out:
        raise BadInputError(
            "--out is empty; allowed: a folder path (default: generated)"
        )
    spec = load_spec(arguments.spec)
    for warning in spec.warnings:
        logger.warning("derive: warning: %s", warning)
    if not 0 <= arguments.max_scalar <= MAX_SCALAR_LIMIT:
        raise BadInputError(
            f"--max-scalar {arguments.max_scalar} is out of range; "
            f"allowed: 0 to {MAX_SCALAR_LIMIT}"
        )

    derivation = derive(spec, arguments.max_scalar)
    logger.debug("derived %s in %.2f s", spec.describe(), time.perf_counter() - started)
    # Each file names the command that writes it and nothing else with other bytes.
    options = f" --spec {spec_argument(arguments.spec)}" if arguments.spec else ""
    if arguments.max_scalar != DEFAULT_MAX_SCALAR:
        options += f" --max-scalar {arguments.max_scalar}"
    command = f"derive {arguments.command}{options}"

    folder = Path(arguments.out) / spec.name
    files = {}
    if arguments.command in ("all", "latex"):
        files[folder / "derivation.tex"] = derivation_latex(derivation, command)
        files[folder / "derivation.json"] = derivation_json(derivation)
    if arguments.command in ("all", "html"):
        files[folder / "derivation.html"] = derivation_html(derivation, command)
    backend = getattr(arguments, "backend", None)  # only all and kernels have one
    if arguments.command == "all" or backend == "numpy":
        files[folder / "kernels.py"] = kernels_source(derivation, command)
    if backend == "numba":
        try:
            from derive.numba_kernels import numba_kernels_source
        except ImportError:
            raise NotSupportedError("the numba backend is not in this build") from None

        numba_command = f"derive kernels --backend numba{options}"
        files[folder / "kernels_numba.py"] = numba_kernels_source(
            derivation, numba_command
        )
    if arguments.command == "all":
        files[folder / "network.svg"] = network_svg(spec)
    write_files(files)
    logger.debug("done in %.2f s", time.perf_counter() - started)
    return 0


def spec_argument(path: str) -> str:
    """The spec path as a shell word; a placeholder where the generated files' headers
    could not show it intact (characters outside ASCII letters, digits and _./-)."""
    quoted = shlex.quote(path)
    return quoted if plain(quoted) == quoted else "<spec file>"


def run_train(arguments: argparse.Namespace) -> int:
    from derive.train import run_demo

    result = run_demo(arguments.output, arguments.epochs, arguments.seed)
    epochs = "epoch" if result["epochs"] == 1 else "epochs"
    emit(
        f"trained {result['epochs']} {epochs}: loss {result['losses'][0]:.3f} -> "
        f"{result['losses'][-1]:.3f}, held-out accuracy {result['held_out_accuracy']:.3f} "
        f"on {result['held_out_samples']} samples; plot in {result['output_png']}"
    )
    return 0


def run_audit(arguments: argparse.Namespace) -> int:
    try:
        from derive.audit import audit_file
    except ImportError:
        raise NotSupportedError("derive audit is not available in this build") from None

    report, code = audit_file(
        arguments.file, arguments.spec, arguments.format, arguments.strict
    )
    emit(report)
    return code
