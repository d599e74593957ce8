"""An installed copy of derive works with no checkout on the path: package data is found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    return target


def run_installed(
    target: Path, cwd: Path, *arguments: str
) -> subprocess.CompletedProcess:
    """Python with only the installed copy on its path, from a folder outside the checkout."""
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_installed_copy_is_the_one_imported(installed, tmp_path):
    code = "import derive, derive.templates; print(derive.__file__)"
    result = run_installed(installed, tmp_path, "-c", code)
    assert result.stdout.startswith(str(installed))


def test_installed_copy_generates_the_committed_seed_output(installed, tmp_path):
    result = run_installed(installed, tmp_path, "-m", "derive", "all", "--out", "out")
    assert result.returncode == 0, result.stderr
    for name in ("derivation.tex", "derivation.json", "kernels.py", "network.svg"):
        committed = (ROOT / "generated/seed" / name).read_bytes()
        assert (tmp_path / "out/seed" / name).read_bytes() == committed, name


def test_installed_copy_audits_and_reads_its_data(installed, tmp_path):
    document = tmp_path / "derivation.md"
    document.write_text("$$\\frac{dL}{db_1^{(2)}} = \\Delta a_1^{(2)}$$\n")
    result = run_installed(installed, tmp_path, "-m", "derive", "audit", str(document))
    assert result.returncode in (0, 1), result.stderr
    code = "from derive.train import load_iris; print(len(load_iris()[0]))"
    data = run_installed(installed, tmp_path, "-c", code)
    assert data.returncode == 0, data.stderr
    assert int(data.stdout) == 100
