"""Formatting generated Python with ruff, so it reads like formatted hand-written code."""

from __future__ import annotations

import subprocess

from ruff.__main__ import find_ruff_bin

from derive.errors import NotSupportedError


def format_python(source: str) -> str:
    """The source as ``ruff format`` writes it (line length 88)."""
    command = [
        find_ruff_bin(),
        "format",
        "--line-length",
        "88",
        "--stdin-filename",
        "kernels.py",
        "-",
    ]
    result = subprocess.run(
        command, input=source, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise NotSupportedError(
            f"ruff could not format the generated code: {result.stderr.strip()}"
        )
    return result.stdout
