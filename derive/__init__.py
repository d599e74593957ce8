"""derive: backpropagation derivations proved by SymPy, and NumPy kernels made from them."""

__version__ = "0.1.0"
