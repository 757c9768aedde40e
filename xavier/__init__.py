"""xavier: fast, reproducible Xavier/Glorot weight initialization.

A compiled sampler (xoshiro256++ streams, OpenMP, SIMD) fills NumPy arrays
with uniform and normal values whose bits depend only on the seed and the
request, never on threads or chunking.

Examples
--------
>>> import xavier
>>> w = xavier.glorot_uniform((784, 256), seed=0)
>>> w.shape, w.dtype
((784, 256), dtype('float32'))
"""
from ._api import (
    config,
    glorot_normal,
    glorot_uniform,
    normal,
    show_config,
    uniform,
    xavier_normal_,
    xavier_uniform_,
)
from ._core import Xoshiro256
from ._fans import compute_fans
from ._version import __version__

__all__ = [
    "Xoshiro256",
    "__version__",
    "compute_fans",
    "config",
    "glorot_normal",
    "glorot_uniform",
    "normal",
    "show_config",
    "uniform",
    "xavier_normal_",
    "xavier_uniform_",
]
