"""Draw docs/benchmark.png: time per sample against batch size, one panel per network."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench.report import CONTENDERS  # noqa: E402

logger = logging.getLogger(__name__)

STYLES = {
    "generated": {"color": "tab:blue", "marker": "o", "linewidth": 2.2},
    "hand-written": {"color": "tab:orange", "marker": "s"},
    "PyTorch": {"color": "tab:red", "marker": "^"},
    "JAX": {"color": "tab:green", "marker": "v"},
    "naive SymPy": {"color": "tab:purple", "marker": "x"},
    "matmuls only": {"color": "black", "linestyle": "--", "marker": "."},
    "Numba": {"color": "tab:cyan", "marker": "D"},
}


def write_plot(results, path: Path) -> None:
    cases = []
    for timing in results.timings:
        if timing.case not in cases:
            cases.append(timing.case)
    columns = 2
    rows = math.ceil(len(cases) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(11, 4.2 * rows), squeeze=False)

    for axis, case in zip(axes.flat, cases, strict=False):
        timings = [t for t in results.timings if t.case == case]
        for name in CONTENDERS:
            points = [
                (t.batch, t.seconds[name] / t.batch * 1e6)
                for t in timings
                if name in t.seconds
            ]
            if points:
                batches, per_sample = zip(*points, strict=True)
                axis.plot(batches, per_sample, label=name, **STYLES[name])
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(case.label)
        axis.set_xlabel("batch size")
        axis.set_ylabel("microseconds per sample")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    for axis in list(axes.flat)[len(cases) :]:
        axis.set_visible(False)

    clock = "CPU" if results.settings.clock == "cpu" else "wall-clock"
    figure.suptitle(
        f"forward + loss + backward, one thread, median {clock} time per sample"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    logger.info("wrote %s", path)
