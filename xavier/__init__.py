"""xavier: fast, reproducible Xavier/Glorot weight initialization.

A compiled sampler (xoshiro256++ streams, a thread pool, SIMD) fills NumPy arrays
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
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, List

from ._version import __version__


def _check_core() -> None:
    """Refuse, in one line, a package whose compiled core is not beside it:
    most often Python started in a clone's root, whose source folder shadows
    the installed package (a stat per extension suffix; NumPy is not loaded)."""
    import importlib.machinery
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    if any(os.path.exists(os.path.join(here, "_core" + suffix))
           for suffix in importlib.machinery.EXTENSION_SUFFIXES):
        return
    root = os.path.dirname(here)
    if os.path.exists(os.path.join(root, "src", "_core.pyx")):
        raise ImportError(
            f"xavier was imported from its source tree ({root}), where its compiled core "
            "is not built: start Python in another directory to use the installed xavier, "
            "or build it here with: pip install -e .")
    raise ImportError(f"xavier's compiled core (_core) is missing from {here}: "
                      "reinstall it with: pip install --force-reinstall xavier-init")


_check_core()

# Public names by the module that defines them.  They are imported on first
# use (PEP 562), so `import xavier` costs nothing until a sampler is used, and
# the command line installs its signal handlers before NumPy loads.
_HOMES = {
    "config": "_api", "named_seed": "_seeds", "normal": "_api", "show_config": "_api",
    "truncated_normal": "_api", "uniform": "_api",
    "Xoshiro256": "_core",
    "compute_fans": "_fans",
    "calculate_gain": "_presets", "glorot_normal": "_presets", "glorot_uniform": "_presets",
    "he_normal": "_presets", "he_uniform": "_presets", "lecun_normal": "_presets",
    "lecun_uniform": "_presets", "variance_scaling": "_presets", "xavier_normal_": "_presets",
    "xavier_uniform_": "_presets",
}

if TYPE_CHECKING:
    from ._api import config, normal, show_config, truncated_normal, uniform
    from ._core import Xoshiro256
    from ._fans import compute_fans
    from ._seeds import named_seed
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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f".{home}", __name__), name)
        globals()[name] = value
        return value
    if name.startswith("_") and not name.startswith("__"):   # xavier._api and the like
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":   # a module it needs is missing: say so
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_HOMES))


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
