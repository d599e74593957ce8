"""Run the benchmark: check every contender, time them interleaved, measure derive all,
and write docs/benchmark.md and docs/benchmark.png.

Usage: ``python -m bench [--quick] [--out docs]`` or ``python bench/run.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make the repository root importable, as ``python -m`` would.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from bench import handwritten, machine, micro, naive, peers, plot, report  # noqa: E402
from bench.checks import check_contenders  # noqa: E402
from bench.derive_cost import measure_derive_all  # noqa: E402
from bench.networks import (  # noqa: E402
    REPOSITORY,
    Case,
    benchmark_cases,
    check_supported,
    generate_kernels,
    generate_numba_kernels,
    make_data,
)
from bench.timing import pinned_to_one_core, time_interleaved  # noqa: E402

logger = logging.getLogger("bench")

GENERATED = "generated"
HAND_WRITTEN = "hand-written"
TORCH = "PyTorch"
JAX = "JAX"
NAIVE = "naive SymPy"
MATMULS = "matmuls only"
NUMBA = "Numba"


@dataclass(frozen=True)
class Settings:
    batches: tuple[int, ...]
    rounds: int
    block_seconds: float
    derive_runs: int
    clock: str = "cpu"


FULL = Settings(
    batches=(1, 32, 1024, 8192), rounds=25, block_seconds=0.05, derive_runs=3
)
QUICK = Settings(batches=(1, 32, 1024), rounds=5, block_seconds=0.02, derive_runs=1)


@dataclass
class CaseResult:
    case: Case
    batch: int
    seconds: dict[str, float]
    cpu_per_wall: dict[str, float]
    errors: dict[str, float]
    samples: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class Results:
    settings: Settings
    quick: bool
    thread_info: list[dict]
    load_before: tuple[float, ...] = ()
    pinned_core: int | None = None
    commit: str = "an unknown commit"
    kernel_digests: dict[str, str] = field(default_factory=dict)
    # Networks whose timed kernels are byte-identical to generated/<name>/kernels.py.
    kernels_as_committed: set[str] = field(default_factory=set)
    load_after: tuple[float, ...] = ()
    timings: list[CaseResult] = field(default_factory=list)
    overheads: list[tuple[Case, int, dict[str, float]]] = field(default_factory=list)
    outer_products: dict[str, dict[str, float]] = field(default_factory=dict)
    narrow_reductions: dict[str, dict[str, float]] = field(default_factory=dict)
    preallocated_outputs: dict[str, dict[str, float]] = field(default_factory=dict)
    tanh_derivatives: dict[str, dict[str, float]] = field(default_factory=dict)
    derive_costs: list = field(default_factory=list)
    elapsed_seconds: float = 0.0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark derive's generated kernels and write docs/benchmark.md.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and batches (about a minute)"
    )
    parser.add_argument(
        "--out", default=str(REPOSITORY / "docs"), help="output folder (default: docs)"
    )
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="process CPU time (default; robust on a shared machine) or wall time",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    started = time.perf_counter()
    settings = replace(QUICK if arguments.quick else FULL, clock=arguments.clock)

    # One thread everywhere: BLAS and OpenMP through threadpoolctl, PyTorch's own pool;
    # one core for any thread left (XLA's), pinned before PyTorch and JAX start theirs.
    with pinned_to_one_core() as core, threadpool_limits(limits=1):
        peers.set_torch_threads(1)
        if peers.jax_available():
            peers.import_jax()
        results = Results(settings, arguments.quick, threadpool_info(), os.getloadavg())
        results.pinned_core = core
        results.commit = machine.git_commit()
        run_kernels(results)
        results.outer_products = micro.time_outer_products(settings)
        results.narrow_reductions = micro.time_narrow_reductions(settings)
        results.preallocated_outputs = micro.time_preallocated_outputs(settings)
        results.tanh_derivatives = micro.time_tanh_derivatives(settings)
    results.derive_costs = measure_derive_all(settings.derive_runs)
    results.elapsed_seconds = time.perf_counter() - started
    results.load_after = os.getloadavg()

    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    report.write_markdown(results, out / "benchmark.md")
    plot.write_plot(results, out / "benchmark.png")
    logger.info("benchmark done in %.0f s", results.elapsed_seconds)
    return 0


def run_kernels(results: Results) -> None:
    rng = np.random.default_rng(20261203)
    cases = benchmark_cases()
    with tempfile.TemporaryDirectory(prefix="derive-bench-") as scratch:
        # Every kernel up front: a generator edited mid-run cannot mix two versions.
        modules, numba_modules = {}, {}
        for case in cases:
            check_supported(case)
            if case.spec.name not in modules:
                modules[case.spec.name] = generate_kernels(case.spec, Path(scratch))
                source = Path(modules[case.spec.name].__file__).read_bytes()
                digest = hashlib.sha256(source).hexdigest()[:12]
                results.kernel_digests[case.spec.name] = digest
                committed = REPOSITORY / "generated" / case.spec.name / "kernels.py"
                if committed.is_file() and committed.read_bytes() == source:
                    results.kernels_as_committed.add(case.spec.name)
                numba_module = generate_numba_kernels(case.spec, Path(scratch))
                numba_modules[case.spec.name] = numba_module
        for case in cases:
            module = modules[case.spec.name]
            numba_module = numba_modules[case.spec.name]
            for batch in results.settings.batches:
                timing = run_case(case, module, numba_module, batch, results, rng)
                results.timings.append(timing)
            for batch in (results.settings.batches[0], results.settings.batches[-1]):
                overhead = time_overheads(case, module, batch, results.settings, rng)
                results.overheads.append((case, batch, overhead))


def run_case(
    case: Case, module, numba_module, batch: int, results: Results, rng
) -> CaseResult:
    """Check every contender against the float64 reference, then time them together."""
    params = module.init_params(rng, case.dtype)
    x, y = make_data(case, batch, rng)
    contenders = make_contenders(case, module, params, x, y)
    if numba_module is not None:
        contenders[NUMBA] = (lambda: numba_module.loss_and_grads(params, x, y), None)

    wide = {name: value.astype(np.float64) for name, value in params.items()}
    reference_function = handwritten.make_loss_and_grads(case.hidden_activations)
    reference = reference_function(wide, x.astype(np.float64), y.astype(np.float64))
    outputs = {
        name: unpack(step()) if unpack else step()
        for name, (step, unpack) in contenders.items()
    }
    label = f"{case.label} batch {batch}"
    errors = check_contenders(label, reference, outputs, case.dtype)

    steps = {name: step for name, (step, _) in contenders.items()}
    steps[MATMULS] = handwritten.make_matmuls_only(
        case.spec.layer_sizes, batch, case.dtype, rng
    )
    settings = results.settings
    samples: dict[str, list[float]] = {}
    seconds, cpu_per_wall = time_interleaved(
        steps, settings.rounds, settings.block_seconds, settings.clock, samples
    )
    logger.info(
        "%s: %s",
        label,
        ", ".join(f"{name} {value * 1e6:.1f} us" for name, value in seconds.items()),
    )
    return CaseResult(case, batch, seconds, cpu_per_wall, errors, samples)


def make_contenders(case: Case, module, params, x, y) -> dict[str, tuple]:
    """name -> (step, unpack); step() is one forward+loss+backward call."""

    def identity(result):
        return result

    hand = handwritten.make_loss_and_grads(case.hidden_activations)
    contenders = {
        GENERATED: (lambda: module.loss_and_grads(params, x, y), identity),
        HAND_WRITTEN: (lambda: hand(params, x, y), identity),
    }
    if peers.torch_available():
        contenders[TORCH] = peers.make_torch(case.hidden_activations, params, x, y)
    if peers.jax_available():
        contenders[JAX] = peers.make_jax(case.hidden_activations, params, x, y)
    if case.naive_sympy:
        contenders[NAIVE] = naive.make_naive(case.spec, params, x, y)
    return contenders


def time_overheads(case: Case, module, batch: int, settings: Settings, rng) -> dict:
    """Seconds per call of the generated module's parts, where the module has them."""
    params = module.init_params(rng, case.dtype)
    x, y = make_data(case, batch, rng)
    _, cache = module.forward(params, x)
    dtype = np.dtype(case.dtype)
    parts = {
        "loss_and_grads": lambda: module.loss_and_grads(params, x, y),
        "forward": lambda: module.forward(params, x),
        "backward": lambda: module.backward(params, cache, y),
        "_loss_from_cache": lambda: module._loss_from_cache(cache, y),
        "_check_params": lambda: module._check_params(params),
        "_check_x": lambda: module._check_x(x, dtype),
        "_check_y": lambda: module._check_y(y, batch, dtype),
    }
    present = {name: step for name, step in parts.items() if _runs(module, name, step)}
    seconds, _ = time_interleaved(
        present, settings.rounds, settings.block_seconds, settings.clock
    )
    return seconds


def _runs(module, name: str, step) -> bool:
    """Whether the part exists and accepts the arguments this benchmark passes."""
    if not hasattr(module, name):
        return False
    try:
        step()
    except (TypeError, ValueError) as error:
        logger.warning("skipping %s of the generated kernels: %s", name, error)
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
