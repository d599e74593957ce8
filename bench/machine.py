"""The machine section of docs/benchmark.md: CPU, memory, versions, load, thread pools,
and the commit of derive that was measured."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import sympy

from bench import peers
from bench.networks import REPOSITORY


def environment_section(results) -> str:
    lines = [
        "## Machine and versions",
        "",
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores, "
        f"{_memory_gibibytes():.0f} GiB memory",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, "
        f"SymPy {sympy.__version__}",
        f"- PyTorch: {peers.torch_version() or 'not installed'}",
        f"- JAX: {peers.jax_version() or 'not installed'}",
        "- OPENBLAS_CORETYPE: "
        f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')}, OPENBLAS_L2_SIZE: "
        f"{os.environ.get('OPENBLAS_L2_SIZE', 'unset')}",
        f"- Load average (1, 5, 15 min) at start {_load(results.load_before)}, at end "
        f"{_load(results.load_after)}; the machine may be shared with other work.",
        f"- CPU time / wall time while timing, highest over all cases: {_cpu_ratios(results)} "
        "(1.00 means one busy thread).",
        f"- Timing pinned to {_core(results.pinned_core)}, so that any extra thread "
        "shares one core.",
        "- Thread pools while timing (threadpoolctl):",
    ]
    for pool in results.thread_info:
        details = ", ".join(
            f"{key} {pool[key]}"
            for key in ("internal_api", "version", "architecture", "num_threads")
            if pool.get(key) is not None
        )
        lines.append(f"  - {Path(pool['filepath']).name}: {details}")
    return "\n".join(lines)


def _core(core: int | None) -> str:
    return "no core (pinning unsupported here)" if core is None else f"CPU core {core}"


def _load(averages: tuple[float, ...]) -> str:
    return ", ".join(f"{value:.2f}" for value in averages) or "unknown"


def _cpu_ratios(results) -> str:
    highest: dict[str, float] = {}
    for timing in results.timings:
        for name, ratio in timing.cpu_per_wall.items():
            highest[name] = max(highest.get(name, 0.0), ratio)
    return ", ".join(f"{name} {ratio:.2f}" for name, ratio in highest.items())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gibibytes() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def git_commit() -> str:
    """The checkout's commit, and whether the generator's files differ from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    changed = subprocess.run(
        ["git", "status", "--porcelain", "derive", "templates"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"commit {commit}" + (" with uncommitted changes" if changed else "")
