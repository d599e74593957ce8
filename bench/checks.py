"""Correctness before timing: every contender's loss and gradients against a reference.

The reference is the hand-written implementation run in float64 on the same parameters
and batch; errors are norm-wise relative, the worst over the loss and all parameters.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

TOLERANCES = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


class CheckError(RuntimeError):
    """A contender's gradients disagree with the reference beyond the tolerance."""


def relative_error(expected: tuple[float, dict], actual: tuple[float, dict]) -> float:
    expected_loss, expected_grads = expected
    actual_loss, actual_grads = actual
    worst = abs(expected_loss - actual_loss) / max(abs(expected_loss), 1e-300)
    for name, reference in expected_grads.items():
        value = np.asarray(actual_grads[name], dtype=np.float64)
        difference = np.linalg.norm(reference - value)
        scale = np.linalg.norm(reference) + np.linalg.norm(value)
        worst = max(worst, difference / scale if scale else difference)
    return worst


def check_contenders(
    label: str, reference: tuple[float, dict], results: dict[str, tuple], dtype
) -> dict[str, float]:
    """The relative error of each contender; CheckError if any exceeds the tolerance."""
    tolerance = TOLERANCES[np.dtype(dtype)]
    errors = {
        name: relative_error(reference, result) for name, result in results.items()
    }
    for name, error in errors.items():
        logger.debug("%s: %s relative error %.2e", label, name, error)
        if not error <= tolerance:
            raise CheckError(
                f"{label}: {name} gradients differ from the float64 reference by "
                f"{error:.2e}, more than the tolerance {tolerance:.0e}"
            )
    return errors
