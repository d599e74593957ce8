"""Benchmark of derive's generated NumPy kernels against hand-written NumPy, PyTorch,
JAX and naive SymPy, plus the cost of ``derive all`` itself.

Run with ``make bench`` or ``python -m bench``; it writes docs/benchmark.md and .png.
"""
