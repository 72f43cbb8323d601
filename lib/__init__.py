"""Shared library for the pipeline: NumPy autograd, datasets, Keras models. No I/O side effects."""
