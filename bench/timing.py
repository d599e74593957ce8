"""Interleaved timing: every contender runs one block per round, medians over rounds.

Interleaving spreads slow drifts of the machine (other processes, frequency changes)
over all contenders alike instead of penalising whichever ran during them. Either clock
can be read: process CPU time leaves out the time spent waiting for a core on a shared
machine; its ratio to wall time shows how busy the core was (above 1: extra threads).
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def pinned_to_one_core() -> Iterator[int | None]:
    """Pin this thread, and every thread it starts later, to one core; yield the core,
    or None where the platform cannot pin."""
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    original = os.sched_getaffinity(0)
    core = max(original)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, original)


def calls_per_block(step: Callable[[], object], target_seconds: float) -> int:
    """How many calls of ``step`` fill about ``target_seconds``, after a warm-up call."""
    step()
    calls = 1
    while True:
        elapsed, _ = _run_block(step, calls)
        if elapsed >= target_seconds or calls >= 1 << 20:
            return calls
        calls = max(calls * 2, int(calls * target_seconds / max(elapsed, 1e-9)))


def time_interleaved(
    steps: dict[str, Callable[[], object]],
    rounds: int,
    target_seconds: float,
    clock: str = "cpu",
    samples: dict[str, list[float]] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds per call of each step over ``rounds`` interleaved blocks, read
    from ``clock`` ("cpu" or "wall"), and each step's total CPU over total wall time.
    ``samples``, when given, receives every step's seconds per call, round by round."""
    calls = {
        name: calls_per_block(step, target_seconds) for name, step in steps.items()
    }
    if samples is None:
        samples = {}
    samples.update({name: [] for name in steps})
    wall = dict.fromkeys(steps, 0.0)
    cpu = dict.fromkeys(steps, 0.0)
    names = list(steps)
    for round_index in range(rounds):
        # Rotate the order so that no contender always runs first or last.
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            elapsed, used = _run_block(steps[name], calls[name])
            samples[name].append((used if clock == "cpu" else elapsed) / calls[name])
            wall[name] += elapsed
            cpu[name] += used
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return medians, {name: cpu[name] / wall[name] for name in names}


def _run_block(step: Callable[[], object], calls: int) -> tuple[float, float]:
    """Wall and process CPU seconds of ``calls`` calls, the garbage collector paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(calls):
            step()
        return time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        if enabled:
            gc.enable()


def paired_ratios(timing, numerator: str, denominator: str) -> list[float]:
    """Round by round, numerator's seconds per call over denominator's; empty where
    either was not timed."""
    if numerator not in timing.samples or denominator not in timing.samples:
        return []
    return [
        top / bottom
        for top, bottom in zip(
            timing.samples[numerator], timing.samples[denominator], strict=True
        )
    ]
