"""PyTorch eager autograd and jax.jit(jax.value_and_grad) contenders, when installed.

Each maker returns (step, unpack): step() runs one forward+loss+backward call and waits
for its result; unpack(step()) gives (loss, gradients as NumPy arrays) for the checks.
"""

from __future__ import annotations

import importlib.util
import logging
import os

import numpy as np

logger = logging.getLogger(__name__)

# One intra-op thread for XLA's CPU matmuls; must be set before jax is first imported.
XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false"


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def jax_available() -> bool:
    return importlib.util.find_spec("jax") is not None


def torch_version() -> str | None:
    if not torch_available():
        return None
    import torch

    return f"{torch.__version__} ({torch.get_num_threads()} intra-op threads)"


def jax_version() -> str | None:
    if not jax_available():
        return None
    jax = import_jax()
    return f"{jax.__version__} (XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r})"


def import_jax():
    flags = os.environ.get("XLA_FLAGS", "")
    if XLA_FLAGS not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {XLA_FLAGS}".strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def set_torch_threads(count: int) -> None:
    if torch_available():
        import torch

        torch.set_num_threads(count)


def make_torch(hidden_activations, params, x, y):
    import torch
    import torch.nn.functional as functional

    names = list(params)
    tensors = {
        name: torch.from_numpy(value).requires_grad_() for name, value in params.items()
    }
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)
    activate = {"relu": torch.relu, "tanh": torch.tanh}
    functions = [activate[name] for name in hidden_activations]
    depth = len(functions) + 1

    def step():
        z = inputs
        for l, function in enumerate(functions, start=1):
            z = function(torch.addmm(tensors[f"b{l}"], z, tensors[f"W{l}"]))
        logits = torch.addmm(tensors[f"b{depth}"], z, tensors[f"W{depth}"])
        loss = functional.cross_entropy(logits, labels)
        grads = torch.autograd.grad(loss, [tensors[name] for name in names])
        return loss, grads

    def unpack(result):
        loss, grads = result
        return loss.item(), {
            name: g.numpy() for name, g in zip(names, grads, strict=True)
        }

    return step, unpack


def make_jax(hidden_activations, params, x, y):
    jax = import_jax()
    import jax.numpy as jnp

    activate = {"relu": jax.nn.relu, "tanh": jnp.tanh}
    functions = [activate[name] for name in hidden_activations]
    depth = len(functions) + 1

    def loss(arrays, inputs, labels):
        z = inputs
        for l, function in enumerate(functions, start=1):
            z = function(z @ arrays[f"W{l}"] + arrays[f"b{l}"])
        logits = z @ arrays[f"W{depth}"] + arrays[f"b{depth}"]
        return -jnp.mean(jnp.sum(labels * jax.nn.log_softmax(logits), axis=1))

    compiled = jax.jit(jax.value_and_grad(loss))
    arrays = {name: jnp.asarray(value) for name, value in params.items()}
    inputs, labels = jnp.asarray(x), jnp.asarray(y)

    def step():
        return jax.block_until_ready(compiled(arrays, inputs, labels))

    def unpack(result):
        value, grads = result
        return float(value), {name: np.asarray(g) for name, g in grads.items()}

    return step, unpack
