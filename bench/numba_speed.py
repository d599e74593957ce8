"""Time the seed network's fused Numba kernels against its NumPy kernels and jax.jit.

Prints microseconds per ``loss_and_grads`` call (the best of interleaved rounds) at batch 1
and 1024, and the largest relative gradient difference from the NumPy kernels. Run with
``.venv/bin/python -m bench.numba_speed``; JAX is timed only when it is installed.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import timeit
import types

import numpy as np

from derive.derivation import derive
from derive.kernels import kernels_source
from derive.numba_kernels import numba_kernels_source
from derive.spec import seed_spec

BATCHES = (1, 1024)
ROUNDS = 15


def load(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def jax_step(params: dict, x: np.ndarray, y: np.ndarray):
    """jax.jit(value_and_grad) of the seed's loss on one CPU thread, or None."""
    if importlib.util.find_spec("jax") is None:
        return None
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def loss(arrays, inputs, labels):
        hidden = jax.nn.relu(inputs @ arrays["W1"] + arrays["b1"])
        logits = hidden @ arrays["W2"] + arrays["b2"]
        return -jnp.mean(jnp.sum(labels * jax.nn.log_softmax(logits), axis=1))

    compiled = jax.jit(jax.value_and_grad(loss))
    arrays = {name: jnp.asarray(value) for name, value in params.items()}
    inputs, labels = jnp.asarray(x), jnp.asarray(y)
    return lambda: jax.block_until_ready(compiled(arrays, inputs, labels))


def microseconds(steps: dict) -> dict[str, float]:
    """The best time per call of each step over ROUNDS interleaved rounds of blocks."""
    calls = {}
    for name, step in steps.items():
        step()
        calls[name] = timeit.Timer(step).autorange()[0]
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(ROUNDS):
        for name, step in steps.items():
            seconds = timeit.Timer(step).timeit(calls[name]) / calls[name]
            best[name] = min(best[name], seconds * 1e6)
    return best


def contenders(kernels: dict, params: dict, x: np.ndarray, y: np.ndarray) -> dict:
    steps = {
        name: functools.partial(module.loss_and_grads, params, x, y)
        for name, module in kernels.items()
    }
    jax = jax_step(params, x, y)
    return steps if jax is None else steps | {"jax.jit": jax}


def relative_difference(expected: dict, actual: dict) -> float:
    return max(
        np.linalg.norm(expected[name] - actual[name]) / np.linalg.norm(expected[name])
        for name in expected
    )


def main() -> None:
    derivation = derive(seed_spec())
    kernels = {
        "numba": load(numba_kernels_source(derivation, "bench"), "numba_kernels"),
        "numpy": load(kernels_source(derivation, "bench"), "numpy_kernels"),
    }
    rng = np.random.default_rng(0)
    params = kernels["numpy"].init_params(rng)
    for batch in BATCHES:
        x = rng.normal(size=(batch, kernels["numpy"].INPUTS))
        y = np.eye(kernels["numpy"].OUTPUTS)[rng.integers(0, 2, size=batch)]
        times = microseconds(contenders(kernels, params, x, y))
        difference = relative_difference(
            kernels["numpy"].loss_and_grads(params, x, y)[1],
            kernels["numba"].loss_and_grads(params, x, y)[1],
        )
        shown = ", ".join(f"{name} {value:.1f} us" for name, value in times.items())
        print(
            f"batch {batch}: {shown}; gradients differ by {difference:.1e} (relative)"
        )


if __name__ == "__main__":
    main()
