"""What ``derive all`` itself costs: wall time and peak memory of the CLI as a subprocess.

Peak memory (ru_maxrss) is inherited through fork and exec, so each run is started by a
tiny Python that holds nothing else; it reports its only child's rusage and wall time.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.networks import MNIST_SPEC

logger = logging.getLogger(__name__)

DEEP_LAYERS = 20
DEEP_WIDTH = 64

# Runs argv[1:] with stdout discarded; prints its exit code, wall and CPU seconds, and
# peak resident memory in KiB.
LAUNCHER = """
import json, os, resource, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
    file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status = os.waitpid(pid, 0)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps([os.waitstatus_to_exitcode(status), wall, cpu, usage.ru_maxrss]))
"""


@dataclass(frozen=True)
class DeriveCost:
    name: str
    arguments: tuple[str, ...]
    wall_seconds: float
    cpu_seconds: float
    peak_mebibytes: float


def deep_tanh_spec() -> str:
    """A 20-layer net: 64 inputs, 19 tanh layers of 64, a softmax of 10."""
    layers = '\n[[layers]]\nunits = 64\nactivation = "tanh"\n' * (DEEP_LAYERS - 1)
    head = f'name = "deep-tanh"\ninputs = {DEEP_WIDTH}\nloss = "cross_entropy"\n'
    return head + layers + '\n[[layers]]\nunits = 10\nactivation = "softmax"\n'


def measure_derive_all(runs: int) -> list[DeriveCost]:
    with tempfile.TemporaryDirectory(prefix="derive-bench-") as scratch:
        deep = Path(scratch) / "deep-tanh.toml"
        deep.write_text(deep_tanh_spec(), encoding="utf-8")
        targets = {
            "seed": (),
            "mnist-mlp": ("--spec", str(MNIST_SPEC)),
            f"deep-tanh ({DEEP_LAYERS} x {DEEP_WIDTH})": ("--spec", str(deep)),
        }
        out = str(Path(scratch) / "out")
        return [
            _measure(name, arguments, out, runs) for name, arguments in targets.items()
        ]


def _measure(name: str, arguments: tuple[str, ...], out: str, runs: int) -> DeriveCost:
    command = [sys.executable, "-m", "derive", "all", *arguments, "--out", out]
    walls, cpus, peaks = [], [], []
    for _ in range(runs):
        finished = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, *command],
            capture_output=True,
            text=True,
            check=False,
        )
        lines = finished.stdout.strip().splitlines()
        code, wall, cpu, peak = json.loads(lines[-1]) if lines else (None, 0, 0, 0)
        if finished.returncode != 0 or code != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {finished.stderr.strip()}")
        walls.append(wall)
        cpus.append(cpu)
        # Linux reports ru_maxrss in KiB.
        peaks.append(peak / 1024)
    logger.info("derive all for %s: %.2f s", name, statistics.median(walls))
    return DeriveCost(
        name,
        arguments,
        statistics.median(walls),
        statistics.median(cpus),
        max(peaks),
    )
