"""Shared helpers: generate kernels for a spec, load them as a module, numeric gradients."""

from __future__ import annotations

import types

import numpy as np
import pytest

from derive.derivation import derive
from derive.kernels import kernels_source
from derive.spec import parse_spec, seed_spec


def load_kernels(source: str, name: str = "kernels") -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def kernels_for(spec_text: str | None) -> types.ModuleType:
    spec = seed_spec() if spec_text is None else parse_spec(spec_text, "<test>")
    return load_kernels(kernels_source(derive(spec), "derive all"))


def reference_forward(spec_text: str, params: dict, x: np.ndarray) -> list:
    """[(a^(l), z^(l)) for every layer], written here apart from the kernels, for tests
    that must know where the pre-activations lie (kinks) or what the outputs are."""
    spec = parse_spec(spec_text, source="test")
    z = x
    layers = []
    for l, layer in enumerate(spec.layers, start=1):
        a = z @ params[f"W{l}"] + params[f"b{l}"]
        if layer.activation == "softmax":
            e = np.exp(a - a.max(axis=1, keepdims=True))
            z = e / e.sum(axis=1, keepdims=True)
        elif layer.activation == "leaky_relu":
            z = np.where(a > 0, a, layer.alpha * a)
        else:
            z = {
                "relu": lambda a: np.maximum(a, 0.0),
                "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
                "tanh": np.tanh,
                "softplus": lambda a: np.logaddexp(0.0, a),
                "identity": lambda a: a,
            }[layer.activation](a)
        layers.append((a, z))
    return layers


def numeric_gradients(loss, params: dict, step: float = 1e-6) -> dict:
    """Central differences of loss(params) in every coordinate."""
    gradients = {}
    for name, value in params.items():
        gradient = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + step
            above = loss(params)
            value[index] = original - step
            below = loss(params)
            value[index] = original
            gradient[index] = (above - below) / (2 * step)
        gradients[name] = gradient
    return gradients


def relative_error(expected: dict, actual: dict) -> float:
    """Largest over parameters of |expected - actual| / (|expected| + |actual|), norm-wise."""
    worst = 0.0
    for name in expected:
        difference = np.linalg.norm(expected[name] - actual[name])
        scale = np.linalg.norm(expected[name]) + np.linalg.norm(actual[name])
        worst = max(worst, difference / scale if scale else difference)
    return worst


@pytest.fixture(scope="session")
def seed_kernels() -> types.ModuleType:
    return kernels_for(None)
