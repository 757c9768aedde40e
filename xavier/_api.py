"""The public sampling API: validation, output buffers, and the Xavier presets.

Every function here is a thin layer over ``xavier._core.fill``; the values
are a pure function of (seed, element index, dtype, distribution,
parameters), as specified in README.md ("Stream specification").
"""
from __future__ import annotations

import math
import numbers
import operator
import sys
from typing import Any, Dict, Optional, Tuple, TypeVar, Union

import numpy as np

from . import _core
from ._fans import ShapeLike, check_layout, compute_fans, normalize_shape
from ._version import __version__

SeedLike = Union[None, int, np.integer, np.random.SeedSequence]
DTypeLike = Any
ArrayT = TypeVar("ArrayT", bound=np.ndarray)

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_UNIFORM_KIND: Dict[np.dtype, int] = {np.dtype(np.float32): _core.UNIFORM_F32, np.dtype(np.float64): _core.UNIFORM_F64}
_NORMAL_KIND: Dict[np.dtype, int] = {np.dtype(np.float32): _core.NORMAL_F32, np.dtype(np.float64): _core.NORMAL_F64}
# Largest |z| Box-Muller can produce (float64 radius uniform >= 2**-53).
_NORMAL_REACH = math.sqrt(-2.0 * math.log(2.0**-53))
# Elements per chunk when filling an `out` that the core cannot write directly.
_INDIRECT_CHUNK = 1 << 20
# New arrays above this size are checked against the memory available.
_MEMCHECK_BYTES = 1 << 30


# ---- argument checks --------------------------------------------------------

def seed_key(seed: SeedLike) -> np.ndarray:
    """The 256-bit stream key of `seed`: ``SeedSequence(seed).generate_state(4, uint64)``."""
    if isinstance(seed, np.random.SeedSequence):
        return seed.generate_state(4, np.uint64)
    if seed is None:
        return np.random.SeedSequence().generate_state(4, np.uint64)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(
            f"seed must be None, a non-negative int or a SeedSequence, got {type(seed).__name__}"
        )
    value = operator.index(seed)
    if value < 0:
        raise ValueError(f"seed must be non-negative, got {value}")
    return np.random.SeedSequence(value).generate_state(4, np.uint64)


def _check_threads(threads: Optional[int]) -> int:
    if threads is None:
        return max(1, _core.max_threads())
    if isinstance(threads, (bool, np.bool_)) or not isinstance(threads, (numbers.Integral, np.integer)):
        raise TypeError(f"threads must be None or an int >= 1, got {type(threads).__name__}")
    value = operator.index(threads)
    if value < 1:
        raise ValueError(f"threads must be >= 1, got {value}")
    return min(value, 1 << 16)


def _check_real(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _check_nonneg(value: object, name: str) -> float:
    v = _check_real(value, name)
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v


def _check_float_array(arr: np.ndarray, name: str) -> np.ndarray:
    """`arr` (the argument called `name`) must be a writable float32/float64 array."""
    if arr.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{name} has dtype {arr.dtype}; dtype must be float32 or float64")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return arr


def _check_dtype(dtype: DTypeLike, out: Optional[np.ndarray]) -> np.dtype:
    if dtype is None:
        if out is not None and isinstance(out, np.ndarray):
            return _check_float_array(out, "out").dtype
        return np.dtype(np.float32)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _available_memory() -> Optional[int]:
    """MemAvailable + SwapFree in bytes on Linux, else None."""
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return info["MemAvailable"] + info.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        return None


def _new_array(dims: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    size = math.prod(dims)
    nbytes = size * dtype.itemsize
    if nbytes > sys.maxsize or any(d > sys.maxsize for d in dims):
        raise ValueError(f"shape {dims} is too large: {nbytes} bytes of {dtype}")
    if nbytes > _MEMCHECK_BYTES:
        avail = _available_memory()
        if avail is not None and nbytes > avail:
            raise MemoryError(
                f"shape {dims} of {dtype} needs {nbytes / 2**30:.1f} GiB but only "
                f"{avail / 2**30:.1f} GiB is available; pass out= (e.g. a np.memmap) instead"
            )
    try:
        return np.empty(dims, dtype=dtype)
    except MemoryError:
        raise MemoryError(f"cannot allocate {nbytes} bytes for shape {dims} of {dtype}") from None


def _check_out(out: object, dims: Optional[Tuple[int, ...]], dtype: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}, but dtype {dtype} was requested")
    if dims is not None and out.shape != dims:
        raise ValueError(f"out has shape {out.shape}, but shape {dims} was requested")
    return _check_float_array(out, "out")


# ---- the fill ---------------------------------------------------------------

def _fill(arr: np.ndarray, kind: int, a: float, b: float, key: np.ndarray, threads: int) -> None:
    """Write the stream into `arr` in C order: directly when the core can write
    it, else chunk by chunk through a contiguous buffer (same values)."""
    if arr.size == 0:
        return
    if arr.flags.c_contiguous and arr.flags.aligned:
        _core.fill(arr, key, kind, a, b, 0, threads)
        return
    tmp = np.empty(min(arr.size, _INDIRECT_CHUNK), dtype=arr.dtype)
    flat = arr.flat
    for start in range(0, arr.size, tmp.size):
        part = tmp[: min(tmp.size, arr.size - start)]
        _core.fill(part, key, kind, a, b, start, threads)
        flat[start : start + part.size] = part


def _sample(shape: Optional[ShapeLike], kind_table: Dict[np.dtype, int], a: float, b: float, dtype: DTypeLike,
            seed: SeedLike, out: Optional[np.ndarray], threads: Optional[int]) -> np.ndarray:
    dims = None if (shape is None and out is not None) else normalize_shape(shape)
    dt = _check_dtype(dtype, out)
    nthreads = _check_threads(threads)
    key = seed_key(seed)
    if out is not None:
        arr = _check_out(out, dims, dt)
    else:
        assert dims is not None
        arr = _new_array(dims, dt)
    _fill(arr, kind_table[dt], a, b, key, nthreads)
    return arr


def _uniform_params(low: object, high: object, dtype: np.dtype) -> Tuple[float, float]:
    lo, hi = _check_real(low, "low"), _check_real(high, "high")
    if lo > hi:
        raise ValueError(f"low must be <= high, got low={lo}, high={hi}")
    fmax = float(np.finfo(dtype).max)  # a Python float: no overflowing cast to float32
    if hi - lo > fmax or max(abs(lo), abs(hi)) > fmax:
        raise ValueError(f"high - low must be finite in {dtype}, got low={lo}, high={hi}")
    return lo, hi


def _normal_params(mean: object, std: object, dtype: np.dtype) -> Tuple[float, float]:
    mu, sd = _check_real(mean, "mean"), _check_nonneg(std, "std")
    if abs(mu) + _NORMAL_REACH * sd > float(np.finfo(dtype).max):
        raise ValueError(f"mean and std would overflow {dtype}: mean={mu}, std={sd}")
    return mu, sd


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
    dtype : float32 or float64, optional
        Defaults to ``out.dtype`` when `out` is given, else float32.
    seed : None, int or SeedSequence, optional
        None draws fresh OS entropy; an int of any size (>= 0) or a
        ``numpy.random.SeedSequence`` gives reproducible output.
    out : numpy.ndarray, optional
        Writable array of the requested shape and dtype, filled in place and
        returned (np.memmap included).  C-contiguous aligned arrays are
        written directly, others through a chunked buffer (same values).
    threads : int, optional
        Threads to use; None means OpenMP's default (all cores, or
        OMP_NUM_THREADS).  The values never depend on it.

    Returns
    -------
    numpy.ndarray

    Notes
    -----
    float32 values use 24 random bits, float64 values 53: ``low + (high -
    low) * u`` with ``u = k * 2**-24`` (``2**-53``), capped just below `high`.

    Examples
    --------
    >>> import xavier
    >>> x = xavier.uniform((2, 3), -1.0, 1.0, seed=0)
    >>> x.dtype, bool(((x >= -1) & (x < 1)).all())
    (dtype('float32'), True)
    """
    dt = _check_dtype(dtype, out)
    lo, hi = _uniform_params(low, high, dt)
    return _sample(shape, _UNIFORM_KIND, lo, hi, dt, seed, out, threads)


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
    53 in float64 (``|z| <= 8.57``).

    Examples
    --------
    >>> import xavier
    >>> z = xavier.normal(100_000, 0.0, 2.0, seed=1)
    >>> round(float(z.std()), 1)
    2.0
    """
    dt = _check_dtype(dtype, out)
    mu, sd = _normal_params(mean, std, dt)
    return _sample(shape, _NORMAL_KIND, mu, sd, dt, seed, out, threads)


# ---- Xavier / Glorot --------------------------------------------------------

def _fan_sum(dims: Tuple[int, ...], layout: str, fans: Optional[Tuple[int, int]]) -> int:
    if fans is None:
        fan_in, fan_out = compute_fans(dims, layout)
    else:
        if isinstance(fans, (str, bytes)) or not hasattr(fans, "__len__") or len(fans) != 2:
            raise TypeError(f"fans must be a pair (fan_in, fan_out), got {fans!r}")
        fan_in, fan_out = normalize_shape(fans, "fans")
    return fan_in + fan_out


def _glorot_scale(dims: Tuple[int, ...], gain: object, layout: str,
                  fans: Optional[Tuple[int, int]], numerator: float) -> float:
    """gain * sqrt(numerator / (fan_in + fan_out)); 0 for empty shapes."""
    g = _check_nonneg(gain, "gain")
    layout = check_layout(layout)
    total = _fan_sum(dims, layout, fans)
    if math.prod(dims) == 0:
        return 0.0
    if total <= 0:
        raise ValueError(f"fan_in + fan_out must be positive, got {total}")
    return g * math.sqrt(numerator / total)


def glorot_uniform(shape: ShapeLike, gain: float = 1.0, *, dtype: DTypeLike = None,
                   seed: SeedLike = None, out: Optional[np.ndarray] = None,
                   threads: Optional[int] = None, layout: str = "keras",
                   fans: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Xavier/Glorot uniform weights: U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Parameters
    ----------
    shape : int or sequence of int
        Weight shape; its fans follow `layout` (see :func:`compute_fans`).
    gain : float, optional
        Finite, non-negative scale factor (PyTorch's `gain`).
    dtype, seed, out, threads
        As for :func:`uniform`.
    layout : {"keras", "torch"}, optional
        ``"keras"``: ``(..., in, out)``, the NumPy/Keras convention (default);
        ``"torch"``: ``(out, in, *kernel)``.
    fans : (int, int), optional
        ``(fan_in, fan_out)`` to use instead of those of `shape`.

    Returns
    -------
    numpy.ndarray
        A new array, or `out` itself.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.glorot_uniform((784, 256), seed=42)
    >>> a = np.sqrt(6 / (784 + 256))
    >>> bool(np.abs(w).max() < a)
    True
    >>> buf = np.empty((3, 3, 64, 128), dtype=np.float32)   # Keras Conv2D kernel
    >>> xavier.glorot_uniform(buf.shape, out=buf, seed=1) is buf
    True
    """
    dims = normalize_shape(out.shape if (shape is None and isinstance(out, np.ndarray)) else shape)
    a = _glorot_scale(dims, gain, layout, fans, 6.0)
    return uniform(dims, -a, a, dtype=dtype, seed=seed, out=out, threads=threads)


def glorot_normal(shape: ShapeLike, gain: float = 1.0, *, dtype: DTypeLike = None,
                  seed: SeedLike = None, out: Optional[np.ndarray] = None,
                  threads: Optional[int] = None, layout: str = "keras",
                  fans: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Xavier/Glorot normal weights: N(0, s^2), ``s = gain * sqrt(2 / (fan_in + fan_out))``.

    This is the untruncated normal of PyTorch's ``xavier_normal_`` and
    Glorot & Bengio; parameters are as for :func:`glorot_uniform`.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.glorot_normal((1000, 1000), seed=3, dtype=np.float64)
    >>> round(float(w.std() * np.sqrt(1000)), 2)
    1.0
    """
    dims = normalize_shape(out.shape if (shape is None and isinstance(out, np.ndarray)) else shape)
    s = _glorot_scale(dims, gain, layout, fans, 2.0)
    return normal(dims, 0.0, s, dtype=dtype, seed=seed, out=out, threads=threads)


def _inplace(array: ArrayT, fn: Any, gain: float, seed: SeedLike, layout: str,
             threads: Optional[int]) -> ArrayT:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array must be a numpy.ndarray, got {type(array).__name__}")
    _check_float_array(array, "array")
    fn(array.shape, gain, dtype=array.dtype, seed=seed, out=array, threads=threads, layout=layout)
    return array


def xavier_uniform_(array: ArrayT, gain: float = 1.0, *, seed: SeedLike = None,
                    layout: str = "torch", threads: Optional[int] = None) -> ArrayT:
    """Fill `array` in place with Glorot uniform values and return it.

    Named and laid out like ``torch.nn.init.xavier_uniform_``: the default
    layout is ``"torch"``, ``(out, in, *kernel)``.  Non-contiguous arrays
    get the same values as a contiguous array of their shape.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = np.empty((256, 784), dtype=np.float32)        # torch Linear(784, 256)
    >>> xavier.xavier_uniform_(w, seed=0) is w
    True
    """
    return _inplace(array, glorot_uniform, gain, seed, layout, threads)


def xavier_normal_(array: ArrayT, gain: float = 1.0, *, seed: SeedLike = None,
                   layout: str = "torch", threads: Optional[int] = None) -> ArrayT:
    """Fill `array` in place with Glorot normal values and return it.

    The in-place twin of :func:`glorot_normal`, like ``torch.nn.init.xavier_normal_``.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = np.empty((64, 32, 3, 3))                      # torch Conv2d(32, 64, 3)
    >>> xavier.xavier_normal_(w, seed=0).dtype
    dtype('float64')
    """
    return _inplace(array, glorot_normal, gain, seed, layout, threads)


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
      stream version  : 1
      OpenMP          : on
      default threads : 2
      SIMD path       : avx512 (supported here: baseline, avx2, avx512)
      numpy           : 2.4.6
    """
    c = config()
    print(f"xavier {c['version']}")
    print(f"  stream version  : {c['stream_version']}")
    print(f"  OpenMP          : {'on' if c['openmp'] else 'off (single-threaded build)'}")
    print(f"  default threads : {c['default_threads']}")
    print(f"  SIMD path       : {c['simd_path']} (supported here: {', '.join(c['simd_paths'])})")
    print(f"  numpy           : {c['numpy']}")
