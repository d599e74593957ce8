"""The benchmarked networks: specs, the generated kernels for each, and random data.

Kernels are generated through derive's Python API into a scratch folder and imported
from there, so the benchmark always measures what the current generator writes.
"""

from __future__ import annotations

import importlib.util
import logging
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from derive.derivation import derive
from derive.kernels import kernels_source
from derive.numba_kernels import MAX_UNROLLED_PARAMETERS, numba_kernels_source
from derive.spec import Spec, parse_spec, seed_spec

logger = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parent.parent
# Named as `make generate` names it, so the kernels timed here are generated/'s, byte for byte.
MNIST_SPEC = "examples/mnist-mlp.toml"

TANH_SPEC = """
name = "tanh-64"
inputs = 64
loss = "cross_entropy"
reduction = "mean"
[[layers]]
units = 64
activation = "tanh"
[[layers]]
units = 64
activation = "tanh"
[[layers]]
units = 64
activation = "tanh"
[[layers]]
units = 10
activation = "softmax"
"""


@dataclass(frozen=True)
class Case:
    """One network at one floating-point precision."""

    spec: Spec
    dtype: type
    naive_sympy: bool = False

    @property
    def label(self) -> str:
        sizes = "-".join(str(n) for n in self.spec.layer_sizes)
        return f"{self.spec.name} {sizes} {np.dtype(self.dtype).name}"

    @property
    def hidden_activations(self) -> tuple[str, ...]:
        return tuple(layer.activation for layer in self.spec.layers[:-1])


def benchmark_cases() -> list[Case]:
    seed = seed_spec()
    mnist_text = (REPOSITORY / MNIST_SPEC).read_text(encoding="utf-8")
    mnist = parse_spec(mnist_text, source=MNIST_SPEC)
    tanh = parse_spec(TANH_SPEC, source="bench/networks.py")
    return [
        Case(seed, np.float64, naive_sympy=True),
        Case(mnist, np.float64),
        Case(mnist, np.float32),
        Case(tanh, np.float64),
    ]


def check_supported(case: Case) -> None:
    """The hand-written and peer contenders cover ReLU/tanh hidden layers only."""
    spec = case.spec
    if spec.output.activation != "softmax" or spec.loss != "cross_entropy":
        raise ValueError(f"{spec.name}: benchmark needs a softmax cross-entropy output")
    if spec.reduction != "mean":
        raise ValueError(f"{spec.name}: benchmark needs reduction 'mean'")
    for activation in case.hidden_activations:
        if activation not in ("relu", "tanh"):
            raise ValueError(
                f"{spec.name}: hidden activation {activation!r} not benchmarked"
            )


def generate_kernels(spec: Spec, scratch: Path) -> types.ModuleType:
    """Write kernels.py for ``spec`` under ``scratch`` and import it."""
    source = kernels_source(derive(spec), "derive all" + spec_option(spec))
    return _write_and_import(source, scratch / spec.name / "kernels.py")


def generate_numba_kernels(spec: Spec, scratch: Path) -> types.ModuleType | None:
    """kernels_numba.py for ``spec``, imported; None without Numba or for a network
    larger than the Numba backend unrolls."""
    if importlib.util.find_spec("numba") is None:
        return None
    if spec.parameter_count > MAX_UNROLLED_PARAMETERS:
        return None
    command = "derive kernels --backend numba" + spec_option(spec)
    source = numba_kernels_source(derive(spec), command)
    return _write_and_import(source, scratch / spec.name / "kernels_numba.py")


def spec_option(spec: Spec) -> str:
    """The --spec option that regenerates ``spec``, as the kernels' header gives it."""
    return f" --spec {MNIST_SPEC}" if spec.source == MNIST_SPEC else ""


def _write_and_import(source: str, path: Path) -> types.ModuleType:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    logger.debug("generated %s", path)

    name = f"{path.stem}_{path.parent.name}".replace("-", "_")
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def make_data(
    case: Case, batch: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal inputs and one-hot labels, C-contiguous, in the case's dtype."""
    x = rng.standard_normal((batch, case.spec.inputs)).astype(case.dtype)
    outputs = case.spec.output.units
    y = np.zeros((batch, outputs), dtype=case.dtype)
    y[np.arange(batch), rng.integers(0, outputs, size=batch)] = 1
    return x, y
