"""Write docs/benchmark.md: machine and versions, the timing tables, derive all's cost."""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

from bench import machine, targets
from bench.timing import paired_ratios

logger = logging.getLogger(__name__)

_CLOCKS = {
    "cpu": "process CPU time (time the process ran, not time it waited for a core)",
    "wall": "wall-clock time",
}
CONTENDERS = (
    "generated",
    "hand-written",
    "PyTorch",
    "JAX",
    "naive SymPy",
    "matmuls only",
    "Numba",
)


def write_markdown(results, path: Path) -> None:
    sections = [
        _header(results),
        targets.markdown(results),
        _summary(results),
        *(_case_table(results, case) for case in _cases(results)),
        _numba(results),
        _overheads(results),
        _outer_products(results),
        _narrow_reductions(results),
        _preallocated_outputs(results),
        _tanh_derivatives(results),
        _derive_costs(results),
        machine.environment_section(results),
    ]
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    logger.info("wrote %s", path)


def _cases(results) -> list:
    cases = []
    for timing in results.timings:
        if timing.case not in cases:
            cases.append(timing.case)
    return cases


def _committed_note(names: set[str]) -> str:
    if not names:
        return ""
    folders = ", ".join(f"generated/{name}/kernels.py" for name in sorted(names))
    return f" (byte for byte the committed {folders})"


def _header(results) -> str:
    settings = results.settings
    mode = "`python -m bench --quick`" if results.quick else "`make bench`"
    return "\n".join(
        [
            "# Benchmark: generated kernels against hand-written NumPy and peers",
            "",
            f"Made by {mode} on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
            f"in {results.elapsed_seconds:.0f} s, from derive at {results.commit}; "
            "SHA-256 of the generated kernels: "
            + ", ".join(f"{n} {d}" for n, d in results.kernel_digests.items())
            + _committed_note(results.kernels_as_committed)
            + ".",
            "",
            f"Every number is the median over {settings.rounds} interleaved rounds of the "
            f"{_CLOCKS[settings.clock]} of one "
            "forward + loss + backward call (`loss_and_grads(params, x, y)` or its "
            "equivalent), on one thread (BLAS, OpenMP and PyTorch limited to 1; XLA "
            "without its multi-threaded Eigen). Each round runs every contender once, "
            f"for blocks of about {settings.block_seconds * 1e3:.0f} ms, in rotating order. "
            "Labels are one-hot float rows for every contender. Before timing, each "
            "contender's loss and gradients are checked against the hand-written code "
            "in float64 (norm-wise relative error at most 1e-9 in float64, 1e-4 in "
            "float32); the largest error seen is in the last column.",
            "",
            "Times are each contender's median. Ratios and shares are paired: the "
            "median over rounds of the ratio of two contenders' times in the same "
            "round, so that a slow spell of the machine, shared by a round, cancels.",
            "",
            "*matmuls only* is the BLAS limit: the same matrix products as one forward "
            "and backward pass (z W, z^T delta, delta W^T) into preallocated outputs, "
            "nothing else. *BLAS share* is that time divided by the contender's.",
        ]
    )


def _summary(results) -> str:
    cases = _cases(results)
    batches = results.settings.batches
    lines = [
        "## Generated / hand-written (time ratio; below 1 means generated is faster)",
        "",
        "| network | " + " | ".join(f"batch {b}" for b in batches) + " |",
        "|---|" + "---:|" * len(batches),
    ]
    for case in cases:
        cells = []
        for batch in batches:
            timing = _timing(results, case, batch)
            cells.append(_paired(timing, "generated", "hand-written"))
        lines.append(f"| {case.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _case_table(results, case) -> str:
    present = [
        name
        for name in CONTENDERS
        if any(name in t.seconds for t in results.timings if t.case == case)
    ]
    peers_present = [n for n in ("PyTorch", "JAX", "naive SymPy") if n in present]
    header = (
        ["batch"]
        + [f"{name} (us)" for name in present]
        + ["gen / hand"]
        + [f"gen / {name}" for name in peers_present]
        + ["BLAS share gen", "BLAS share hand", "max rel. error"]
    )
    lines = [
        f"## {case.label}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---:|" * len(header),
    ]
    for timing in (t for t in results.timings if t.case == case):
        seconds = timing.seconds
        cells = [str(timing.batch)]
        cells += [_microseconds(seconds.get(name)) for name in present]
        cells.append(_paired(timing, "generated", "hand-written"))
        cells += [_paired(timing, "generated", name) for name in peers_present]
        cells.append(_paired(timing, "matmuls only", "generated", percent=True))
        cells.append(_paired(timing, "matmuls only", "hand-written", percent=True))
        cells.append(f"{max(timing.errors.values()):.1e}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _numba(results) -> str:
    """The fused Numba kernels (small networks only) against the NumPy ones and JAX."""
    timings = [t for t in results.timings if "Numba" in t.seconds]
    if not timings:
        return "## Numba backend\n\nNot timed: Numba is not installed."
    lines = [
        "## Numba backend (`derive kernels --backend numba`)",
        "",
        "The same runs as above; speed-up is the other's time over Numba's.",
        "",
        "| network | batch | Numba (us) | generated NumPy (us) | JAX (us) "
        "| speed-up over NumPy | speed-up over JAX |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for timing in timings:
        seconds = timing.seconds
        numba = seconds["Numba"]
        cells = [
            timing.case.label,
            str(timing.batch),
            _microseconds(numba),
            _microseconds(seconds["generated"]),
            _microseconds(seconds.get("JAX")),
            _paired(timing, "generated", "Numba"),
            _paired(timing, "JAX", "Numba"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _overheads(results) -> str:
    parts = ["loss_and_grads", "forward", "backward", "_loss_from_cache"]
    checks = ["_check_params", "_check_x", "_check_y"]
    header = ["network", "batch", *parts, *checks, "hand-written total"]
    lines = [
        "## Where the generated call spends its time (us per call)",
        "",
        "The public `forward` includes `_check_params` and `_check_x`; the public "
        "`backward` includes a `_check_y`. Parts a generator version lacks show as -.",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    for case, batch, seconds in results.overheads:
        hand = _seconds(results, case, batch).get("hand-written")
        cells = [case.label, str(batch)]
        cells += [_microseconds(seconds.get(name)) for name in parts + checks]
        cells.append(_microseconds(hand))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _outer_products(results) -> str:
    return _micro_table(
        "One-sample weight gradient (us per call)",
        "The 784 x 256 product z^T delta at batch 1 has inner dimension 1; here "
        "`np.matmul` (`@`) takes longer for it than for two samples. The hand-written "
        "code and *matmuls only* use `np.dot` at batch 1.",
        "dtype",
        results.outer_products,
    )


def _narrow_reductions(results) -> str:
    return _micro_table(
        "Reductions over narrow rows and columns (us per call, float64)",
        "Softmax, its logarithm, the label sums and the bias gradients reduce arrays "
        "only as wide as a layer; NumPy's axis reductions loop per row there.",
        "array",
        results.narrow_reductions,
    )


def _preallocated_outputs(results) -> str:
    return _micro_table(
        "Fresh arrays against preallocated ones (us per call, float64)",
        "The largest steps of a 784-256 layer: its product z W (batch x 256), its "
        "weight gradient z^T delta (784 x 256) and an elementwise tanh (batch x 256), "
        "each into a new array and into one kept from call to call with `out=`. The "
        "difference is what a workspace of preallocated arrays would save the kernels.",
        "batch",
        results.preallocated_outputs,
    )


def _tanh_derivatives(results) -> str:
    return _micro_table(
        "tanh's derivative from z and from a (us per call, float64, batch x 64)",
        "1 - z^2 from the rounded output z, as PyTorch and JAX take it, keeps few digits "
        "of the derivative where tanh saturates (about 3 at a = 16, none once z rounds to 1, "
        "near a = 19); sech^2 a from the pre-activation keeps them all. The "
        "generated kernels and the hand-written code take it from a, at this cost.",
        "batch",
        results.tanh_derivatives,
    )


def _micro_table(title: str, text: str, row_label: str, rows: dict) -> str:
    """A table of single-operation timings: one row per setting, one column per step."""
    names = list(_first(rows))
    lines = [
        f"## {title}",
        "",
        text,
        "",
        f"| {row_label} | " + " | ".join(f"`{name}`" for name in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for setting, seconds in rows.items():
        cells = [_microseconds(value) for value in seconds.values()]
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _first(mapping: dict) -> dict:
    return next(iter(mapping.values()), {})


def _derive_costs(results) -> str:
    runs = results.settings.derive_runs
    lines = [
        f"## Cost of `derive all` (subprocess, medians of {runs} runs, peak RSS)",
        "",
        "| spec | wall time (s) | CPU time (s) | peak memory (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for cost in results.derive_costs:
        lines.append(
            f"| {cost.name} | {cost.wall_seconds:.2f} | {cost.cpu_seconds:.2f} "
            f"| {cost.peak_mebibytes:.0f} |"
        )
    return "\n".join(lines)


def _timing(results, case, batch):
    for timing in results.timings:
        if timing.case == case and timing.batch == batch:
            return timing
    return None


def _paired(timing, numerator: str, denominator: str, percent: bool = False) -> str:
    """The median over rounds of numerator's time over denominator's in that round."""
    ratios = paired_ratios(timing, numerator, denominator) if timing else []
    if not ratios:
        return "-"
    ratio = statistics.median(ratios)
    return _percent(ratio) if percent else f"{ratio:.2f}"


def _seconds(results, case, batch) -> dict[str, float]:
    for timing in results.timings:
        if timing.case == case and timing.batch == batch:
            return timing.seconds
    return {}


def _microseconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    value = seconds * 1e6
    return (
        f"{value:,.2f}"
        if value < 10
        else f"{value:,.1f}"
        if value < 1e3
        else f"{value:,.0f}"
    )


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator / denominator:.2f}"


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"
