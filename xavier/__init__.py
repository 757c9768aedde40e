"""xavier: fast, reproducible Xavier/Glorot weight initialization.

A compiled sampler (xoshiro256++ streams, OpenMP, SIMD) fills NumPy arrays
with uniform, normal and truncated normal values whose bits depend only on
the seed and the request, never on threads or chunking.

``xavier.torch`` (PyTorch drop-ins, ``fast_init``) and
``xavier.initializers`` (Keras-style objects) are imported on demand.

Examples
--------
>>> import xavier
>>> w = xavier.glorot_uniform((784, 256), seed=0)
>>> w.shape, w.dtype
((784, 256), dtype('float32'))
"""
from ._api import config, named_seed, normal, show_config, truncated_normal, uniform
from ._core import Xoshiro256
from ._fans import compute_fans
from ._presets import (
    calculate_gain,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    lecun_normal,
    lecun_uniform,
    variance_scaling,
    xavier_normal_,
    xavier_uniform_,
)
from ._version import __version__

__all__ = [
    "Xoshiro256",
    "__version__",
    "calculate_gain",
    "compute_fans",
    "config",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "named_seed",
    "normal",
    "show_config",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal_",
    "xavier_uniform_",
]
