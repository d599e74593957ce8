"""The speed targets the kernels are held to, each read off one benchmark run.

Every figure is a paired ratio (the median over rounds of two contenders' times in the
same round), shown with its interquartile range over rounds as a measure of the noise.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.timing import paired_ratios

LARGE_BATCH = 1024
SMALL_BATCH = 32


@dataclass(frozen=True)
class Target:
    description: str
    measured: str
    met: bool | None  # None: a contender it needs was not timed


def targets(results) -> list[Target]:
    return [
        _generated_against_hand_written(results),
        _blas_share(results),
        _against_pytorch(results),
        *_numba(results),
    ]


def markdown(results) -> str:
    lines = [
        "## Targets",
        "",
        "Each target with the figure this run measured: the worst case over the "
        "networks and batches it covers, as a paired ratio with its interquartile "
        "range over rounds in brackets.",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for target in targets(results):
        verdict = {True: "yes", False: "**no**", None: "not timed"}[target.met]
        lines.append(f"| {target.description} | {target.measured} | {verdict} |")
    return "\n".join(lines)


def _generated_against_hand_written(results) -> Target:
    found = [
        (_summary(timing, "generated", "hand-written"), timing)
        for timing in results.timings
    ]
    return _worst(
        "generated / hand-written NumPy <= 1.05 for every network, dtype and batch",
        found,
        highest=True,
        limit=lambda ratio: ratio <= 1.05,
    )


def _blas_share(results) -> Target:
    found = [
        (_summary(timing, "matmuls only", "generated"), timing)
        for timing in results.timings
        if timing.case.spec.name == "mnist-mlp" and timing.batch >= LARGE_BATCH
    ]
    return _worst(
        f"generated at >= 0.90 of the BLAS limit on mnist-mlp, batch >= {LARGE_BATCH}",
        found,
        highest=False,
        limit=lambda share: share >= 0.90,
        unit="%",
    )


def _against_pytorch(results) -> Target:
    found = [
        (_summary(timing, "generated", "PyTorch"), timing)
        for timing in results.timings
        if timing.batch <= SMALL_BATCH
    ]
    return _worst(
        f"generated faster than PyTorch eager at every batch <= {SMALL_BATCH}",
        found,
        highest=True,
        limit=lambda ratio: ratio < 1,
    )


def _numba(results) -> list[Target]:
    def seed_at(batch):
        return [
            t
            for t in results.timings
            if t.case.spec.name == "seed" and t.batch == batch
        ]

    wanted = [
        (1, "generated", lambda speed_up: speed_up >= 10, "NumPy at batch 1: >= 10x"),
        (1, "JAX", lambda speed_up: speed_up >= 3, "JAX jit at batch 1: >= 3x"),
        (
            LARGE_BATCH,
            "JAX",
            lambda speed_up: speed_up > 1,
            "JAX jit at batch 1024: > 1x",
        ),
    ]
    found = []
    for batch, other, limit, against in wanted:
        speed_ups = [(_summary(t, other, "Numba"), t) for t in seed_at(batch)]
        description = f"Numba seed kernels' speed-up over {against}"
        found.append(_worst(description, speed_ups, False, limit, unit="x"))
    return found


def _summary(timing, numerator: str, denominator: str):
    """(median, first quartile, third quartile) of the paired ratios, or None."""
    ratios = paired_ratios(timing, numerator, denominator)
    if not ratios:
        return None
    if len(ratios) < 2:
        return ratios[0], ratios[0], ratios[0]
    first, _, third = statistics.quantiles(ratios, n=4)
    return statistics.median(ratios), first, third


def _worst(description, found, highest: bool, limit, unit: str = "") -> Target:
    measured = [(summary, timing) for summary, timing in found if summary is not None]
    if not measured:
        return Target(description, "-", None)
    pick = max if highest else min
    (median, first, third), timing = pick(measured, key=lambda item: item[0][0])
    where = f"{timing.case.label}, batch {timing.batch}"
    if unit == "%":
        figure = f"{median:.0%} ({first:.0%}-{third:.0%}) at {where}"
    else:
        figure = f"{median:.2f}{unit} ({first:.2f}-{third:.2f}) at {where}"
    return Target(description, figure, all(limit(s[0]) for s, _ in measured))
