"""The generic samplers: uniform, normal and truncated normal.

Each public function resolves its arguments into a Request (its
``*_request`` twin: every argument checked, nothing filled) and draws it
(``xavier._request``); the values are a pure function of (seed, element
index, dtype, distribution, parameters), as specified in docs/stream.md
(the stream specification).  The Xavier/Glorot family built on the same
mechanism is in ``_presets.py``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from . import _core
from ._checks import DTypeLike, normal_params, truncnorm_params, uniform_params
from ._fans import ShapeLike
from ._request import Request, resolve
from ._seeds import SeedLike
from ._version import __version__

__all__ = ["config", "normal", "normal_request", "show_config", "truncated_normal",
           "truncated_normal_request", "uniform", "uniform_request"]


# ---- requests: the samplers' arguments, resolved --------------------------------

def uniform_request(shape: Optional[ShapeLike], low: float = 0.0, high: float = 1.0, *,
                    dtype: DTypeLike = None, out: Optional[np.ndarray] = None) -> Request:
    """The request of :func:`uniform` (out only lends its dtype and shape)."""
    return resolve(_core.UNIFORM, lambda code: uniform_params(low, high, code), shape, dtype, out)


def normal_request(shape: Optional[ShapeLike], mean: float = 0.0, std: float = 1.0, *,
                   dtype: DTypeLike = None, out: Optional[np.ndarray] = None) -> Request:
    """The request of :func:`normal`."""
    return resolve(_core.NORMAL, lambda code: normal_params(mean, std, code), shape, dtype, out)


def truncated_normal_request(shape: Optional[ShapeLike], mean: float = 0.0, std: float = 1.0,
                             a: float = -2.0, b: float = 2.0, *, dtype: DTypeLike = None,
                             out: Optional[np.ndarray] = None) -> Request:
    """The request of :func:`truncated_normal`."""
    return resolve(_core.TRUNCNORM, lambda code: truncnorm_params(mean, std, a, b, code), shape,
                   dtype, out)


# ---- generic samplers -------------------------------------------------------

def uniform(shape: ShapeLike, low: float = 0.0, high: float = 1.0, *, dtype: DTypeLike = None,
            seed: SeedLike = None, out: Optional[np.ndarray] = None,
            threads: Optional[int] = None) -> np.ndarray:
    """Uniform samples on ``[low, high)``.

    Parameters
    ----------
    shape : int or sequence of int
        Output shape (must equal ``out.shape`` when `out` is given).
    low, high : float
        Finite bounds, ``low <= high``; ``low == high`` gives all ``low``.
    dtype : float32, float64, float16 or bfloat16, optional
        Defaults to ``out.dtype`` when `out` is given, else float32.
        bfloat16 is ``ml_dtypes.bfloat16`` (or the string ``"bfloat16"``).
    seed : None, int or SeedSequence, optional
        None draws fresh OS entropy; an int of any size (>= 0) or a
        ``numpy.random.SeedSequence`` gives reproducible output.
    out : numpy.ndarray, optional
        Writable array of the requested shape and dtype, filled in place and
        returned (np.memmap included).  C-contiguous aligned arrays are
        written directly, others through a chunked buffer (same values).
    threads : int, optional
        Threads to use; None means OpenMP's default (all cores, or
        OMP_NUM_THREADS).  The values never depend on it.  At most 4 per
        CPU this process may run on (``xavier._checks.max_useful_threads()``):
        more is clamped to that, with a RuntimeWarning.

    Returns
    -------
    numpy.ndarray

    Notes
    -----
    float32 values use 24 random bits, float64 values 53: ``low + (high -
    low) * u`` with ``u = k * 2**-24`` (``2**-53``), capped just below `high`.
    float16 and bfloat16 values are the float32 values rounded to nearest
    even, except that a value that would round to `high` (as the type holds
    it) becomes the largest value below it: the interval stays half-open.

    Examples
    --------
    >>> import xavier
    >>> x = xavier.uniform((2, 3), -1.0, 1.0, seed=0)
    >>> x.dtype, bool(((x >= -1) & (x < 1)).all())
    (dtype('float32'), True)
    """
    return uniform_request(shape, low, high, dtype=dtype, out=out).draw(seed, out, threads)


def normal(shape: ShapeLike, mean: float = 0.0, std: float = 1.0, *, dtype: DTypeLike = None,
           seed: SeedLike = None, out: Optional[np.ndarray] = None,
           threads: Optional[int] = None) -> np.ndarray:
    """Normal samples with the given mean and standard deviation (Box-Muller).

    Parameters are as for :func:`uniform`, with `mean` (finite) and `std`
    (finite, >= 0) in place of `low` and `high`.

    Notes
    -----
    Both values of each Box-Muller pair are used.  The radius uniform lies
    in (0, 1] and takes 32 random bits in float32 (so ``|z| <= 6.66``) and
    53 in float64 (``|z| <= 8.57``).  float16 and bfloat16 values are the
    float32 values rounded to nearest even.

    Examples
    --------
    >>> import xavier
    >>> z = xavier.normal(100_000, 0.0, 2.0, seed=1)
    >>> round(float(z.std()), 1)
    2.0
    """
    return normal_request(shape, mean, std, dtype=dtype, out=out).draw(seed, out, threads)


def truncated_normal(shape: ShapeLike, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                     b: float = 2.0, *, dtype: DTypeLike = None, seed: SeedLike = None,
                     out: Optional[np.ndarray] = None,
                     threads: Optional[int] = None) -> np.ndarray:
    """Normal(mean, std**2) samples conditioned on lying in ``[a, b]``.

    As ``torch.nn.init.trunc_normal_``: `a` and `b` are absolute bounds,
    not multiples of `std` (Keras and JAX truncate at two standard
    deviations: ``a=-2*std, b=2*std``, as :func:`variance_scaling` does).

    Parameters
    ----------
    shape, dtype, seed, out, threads
        As for :func:`uniform`.
    mean, std : float
        The normal's parameters before truncation: finite, ``std >= 0``
        (``std == 0`` gives `mean`, which must then lie in ``[a, b]``).
    a, b : float
        Bounds, ``a < b``; either may be infinite.  The interval must hold
        at least ``2**-40`` of the normal's mass.

    Notes
    -----
    Sampled by inversion, with no rejection: each value comes from one
    uniform ``u``, mapped into ``[Phi(alpha), Phi(beta)]`` (alpha, beta the
    standardized bounds) and through the normal quantile of Wichura's
    AS 241, computed so that tail probabilities stay accurate.  Values are
    clamped to ``[a, b]`` as the dtype holds them, so none lies outside.
    float32 uses 24 random bits per value, float64 53.

    Examples
    --------
    >>> import xavier
    >>> w = xavier.truncated_normal((256, 256), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool((abs(w) <= 0.04).all())
    True
    """
    return truncated_normal_request(shape, mean, std, a, b, dtype=dtype, out=out).draw(
        seed, out, threads)


# ---- configuration ----------------------------------------------------------

def config() -> Dict[str, Any]:
    """Build and run-time facts as a dict (see :func:`show_config`)."""
    return {
        "version": __version__,
        "stream_version": _core.STREAM_VERSION,
        "openmp": _core.openmp_enabled(),
        "default_threads": max(1, _core.max_threads()),
        "simd_path": _core.simd_path(),
        "simd_paths": _core.simd_paths(),
        "numpy": np.__version__,
    }


def show_config() -> None:
    """Print xavier's version, OpenMP status, default threads and SIMD path.

    Examples
    --------
    >>> import xavier
    >>> xavier.show_config()  # doctest: +SKIP
    xavier 0.1.0
      stream version  : 2
      OpenMP          : on
      default threads : 2
      SIMD path       : avx512bf16 (supported here: baseline, avx2, avx512, avx512bf16)
      numpy           : 2.4.6
    """
    c = config()
    print(f"xavier {c['version']}")
    print(f"  stream version  : {c['stream_version']}")
    print(f"  OpenMP          : {'on' if c['openmp'] else 'off (default threads 1)'}")
    print(f"  default threads : {c['default_threads']}")
    print(f"  SIMD path       : {c['simd_path']} (supported here: {', '.join(c['simd_paths'])})")
    print(f"  numpy           : {c['numpy']}")
