"""The naive SymPy route: one scalar loss expression, diff by every parameter, lambdify.

No derivation structure and no matrices: the per-sample loss is built from scalar symbols,
each gradient is sympy.diff of it, and NumPy evaluates them over the batch's columns.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import sympy as sp

from derive.spec import Spec

logger = logging.getLogger(__name__)

ACTIVATIONS = {"relu": lambda a: sp.Max(0, a), "tanh": sp.tanh}


def make_naive(spec: Spec, params: dict, x: np.ndarray, y: np.ndarray):
    """(step, unpack) evaluating the lambdified loss and gradients on the batch."""
    started = time.perf_counter()
    sizes = spec.layer_sizes
    inputs = sp.symbols(f"x1:{sizes[0] + 1}")
    labels = sp.symbols(f"y1:{sizes[-1] + 1}")
    symbols = {}
    for l in range(1, len(sizes)):
        symbols[f"W{l}"] = _symbol_matrix(f"w{l}", sizes[l - 1], sizes[l])
        symbols[f"b{l}"] = _symbol_matrix(f"b{l}", 1, sizes[l])

    loss = _sample_loss(spec, symbols, inputs, labels)
    parameters = [s for name in params for s in symbols[name]]
    expressions = [loss] + [sp.diff(loss, parameter) for parameter in parameters]
    function = sp.lambdify([*inputs, *labels, *parameters], expressions, "numpy")
    logger.debug("naive SymPy set-up took %.2f s", time.perf_counter() - started)

    columns = [*x.T, *y.T]
    values = [v for name in params for v in params[name].ravel()]

    def step():
        return [np.mean(value) for value in function(*columns, *values)]

    def unpack(result):
        grads, position = {}, 1
        for name, value in params.items():
            grads[name] = np.array(result[position : position + value.size]).reshape(
                value.shape
            )
            position += value.size
        return float(result[0]), grads

    return step, unpack


def _sample_loss(spec: Spec, symbols: dict, inputs, labels) -> sp.Expr:
    """Cross-entropy of one sample, softmax written out: -sum_k y_k log(e^{a_k} / sum e^a)."""
    z = sp.Matrix([list(inputs)])
    for l, layer in enumerate(spec.layers, start=1):
        a = z * symbols[f"W{l}"] + symbols[f"b{l}"]
        if layer.activation == "softmax":
            exponentials = [sp.exp(value) for value in a]
            total = sum(exponentials)
            return -sum(
                label * sp.log(e / total)
                for label, e in zip(labels, exponentials, strict=True)
            )
        z = a.applyfunc(ACTIVATIONS[layer.activation])
    raise ValueError(f"{spec.name}: naive SymPy needs a softmax output layer")


def _symbol_matrix(prefix: str, rows: int, columns: int) -> sp.Matrix:
    """w2_13 is w_13^(2); a bias row uses the column index alone: b2_3."""
    if rows == 1:
        return sp.Matrix([[sp.Symbol(f"{prefix}_{j + 1}") for j in range(columns)]])
    return sp.Matrix(
        [
            [sp.Symbol(f"{prefix}_{i + 1}{j + 1}") for j in range(columns)]
            for i in range(rows)
        ]
    )
