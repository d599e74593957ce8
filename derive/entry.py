"""The ``derive`` command: the command line, with a Ctrl-C while it is still starting up
(importing SymPy takes a few tenths of a second) reported like any later interrupt."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from derive.cli import main as run
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    return run()
