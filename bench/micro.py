"""Single-operation timings behind the generated kernels' costs at the extremes of batch.

At batch 1 the weight gradient z^T delta is an outer product; at large batches softmax
and the bias gradients reduce over rows or columns only a few entries wide.
"""

from __future__ import annotations

import numpy as np

from bench.timing import time_interleaved

REDUCTION_BATCH = 8192
REDUCTION_WIDTHS = (2, 10)


def time_outer_products(settings) -> dict[str, dict[str, float]]:
    """A one-sample weight gradient z^T delta (784 x 1 times 1 x 256) by matmul, dot and
    broadcasting."""
    rng = np.random.default_rng(1)
    timings = {}
    for dtype in (np.float64, np.float32):
        z = rng.standard_normal((1, 784)).astype(dtype)
        delta = rng.standard_normal((1, 256)).astype(dtype)
        steps = {
            "z.T @ delta": lambda z=z, delta=delta: z.T @ delta,
            "np.dot(z.T, delta)": lambda z=z, delta=delta: np.dot(z.T, delta),
            "z.T * delta": lambda z=z, delta=delta: z.T * delta,
        }
        timings[np.dtype(dtype).name], _ = time_interleaved(
            steps, settings.rounds, settings.block_seconds, settings.clock
        )
    return timings


def time_narrow_reductions(settings) -> dict[str, dict[str, float]]:
    """Row max, row sum and column sum of an (8192, width) float64 array, each next to
    an equivalent that avoids NumPy's per-row reduction loop."""
    rng = np.random.default_rng(2)
    timings = {}
    for width in REDUCTION_WIDTHS:
        a = rng.standard_normal((REDUCTION_BATCH, width))
        row_ones, column_ones = np.ones(width), np.ones(REDUCTION_BATCH)
        steps = {
            "a.max(axis=1)": lambda a=a: a.max(axis=1, keepdims=True),
            "column-wise np.maximum": lambda a=a: _row_max_by_columns(a),
            "a.sum(axis=1)": lambda a=a: a.sum(axis=1, keepdims=True),
            "a @ ones": lambda a=a, ones=row_ones: a @ ones,
            "a.sum(axis=0)": lambda a=a: a.sum(axis=0),
            "ones @ a": lambda a=a, ones=column_ones: ones @ a,
        }
        timings[f"({REDUCTION_BATCH}, {width})"], _ = time_interleaved(
            steps, settings.rounds, settings.block_seconds, settings.clock
        )
    return timings


def _row_max_by_columns(a: np.ndarray) -> np.ndarray:
    row_max = a[:, 0].copy()
    for column in range(1, a.shape[1]):
        np.maximum(row_max, a[:, column], out=row_max)
    return row_max


def time_preallocated_outputs(settings) -> dict[str, dict[str, float]]:
    """The largest steps of a 784-256 layer's pass into a fresh array and into one
    preallocated with ``out=``: what a workspace kept between calls would save."""
    rng = np.random.default_rng(3)
    timings = {}
    for batch in (32, 1024, 8192):
        z = rng.standard_normal((batch, 784))
        W = rng.standard_normal((784, 256))
        delta = rng.standard_normal((batch, 256))
        a_out, dW_out = np.empty((batch, 256)), np.empty((784, 256))
        steps = {
            "z W, fresh": lambda z=z, W=W: z.dot(W),
            "z W, out=": lambda z=z, W=W, out=a_out: np.dot(z, W, out=out),
            "z^T delta, fresh": lambda z=z, delta=delta: z.T.dot(delta),
            "z^T delta, out=": lambda z=z, delta=delta, out=dW_out: np.dot(
                z.T, delta, out=out
            ),
            "tanh, fresh": lambda delta=delta: np.tanh(delta),
            "tanh, out=": lambda delta=delta, out=a_out: np.tanh(delta, out=out),
        }
        timings[f"{batch}"], _ = time_interleaved(
            steps, settings.rounds, settings.block_seconds, settings.clock
        )
    return timings


def time_tanh_derivatives(settings) -> dict[str, dict[str, float]]:
    """tanh's derivative for a (batch, 64) layer: 1 - z^2 from the rounded z, against
    sech^2 a from a, which keeps full precision where tanh saturates."""
    rng = np.random.default_rng(4)
    timings = {}
    for batch in (32, 1024, 8192):
        a = rng.standard_normal((batch, 64))
        z = np.tanh(a)
        steps = {
            "1 - z**2": lambda z=z: np.subtract(1, np.square(z)),
            "1 / np.cosh(a)**2": lambda a=a: np.square(np.reciprocal(np.cosh(a))),
        }
        timings[f"{batch}"], _ = time_interleaved(
            steps, settings.rounds, settings.block_seconds, settings.clock
        )
    return timings
