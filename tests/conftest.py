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
