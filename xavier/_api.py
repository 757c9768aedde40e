"""The samplers: argument checks, output buffers, seeds, and the fill.

Every function here is a thin layer over ``xavier._core.fill``; the values
are a pure function of (seed, element index, dtype, distribution,
parameters), as specified in README.md ("Stream specification").  The
Xavier/Glorot family built on them is in ``_presets.py``.
"""
from __future__ import annotations

import contextvars
import hashlib
import math
import numbers
import operator
import os
import sys
import types  # noqa: F401  (a type comment uses it)
import warnings
from typing import Any, Callable, Dict, NoReturn, Optional, Tuple, Union

import numpy as np

from . import _core
from ._fans import ShapeLike, normalize_shape, show_int
from ._version import __version__

SeedLike = Union[None, int, np.integer, np.random.SeedSequence]
DTypeLike = Any

# Output types of the core, by dtype (bfloat16 is added once ml_dtypes is loaded).
_TYPE_CODES: Dict[np.dtype, int] = {np.dtype(np.float32): _core.F32,
                                    np.dtype(np.float64): _core.F64,
                                    np.dtype(np.float16): _core.F16}
_DTYPE_NAMES = "float32, float64, float16 or bfloat16"
# Largest |z| of the normal samplers (float64 radius uniform >= 2**-53).
_NORMAL_REACH = math.sqrt(-2.0 * math.log(2.0**-53))
# Largest |z| of the truncated normal: its smallest tail probability is
# 2**-40 (least interval mass) * 2**-54 (least uniform), and z < 11.5 there.
_TRUNC_REACH = 12.0
_TRUNC_MIN_MASS = 2.0**-40
# Elements per chunk when filling an `out` that the core cannot write directly.
_INDIRECT_CHUNK = 1 << 20
# New arrays above this size are checked against the memory available.
_MEMCHECK_BYTES = 1 << 30


# ---- seeds ------------------------------------------------------------------

# Refused where a number is due: bools, and NumPy's timedeltas (np.integer
# subclasses that operator.index refuses).
_NOT_NUMBERS = (bool, np.bool_, np.timedelta64)

_KEYS: Dict[int, np.ndarray] = {}   # keys of recent int seeds (read-only arrays)
_KEYS_MAX = 4096
_KEYS_BELOW = 1 << 64


def seed_key(seed: SeedLike) -> np.ndarray:
    """The 256-bit stream key of `seed`: ``SeedSequence(seed).generate_state(4, uint64)``.

    Int seeds skip the SeedSequence object (several microseconds, as much as
    filling a small layer): the core computes the same key directly.  Keys
    of int seeds below 2**64 (those people choose; drawn ones, as
    xavier.torch's 126-bit seeds, are rarely seen twice) are also kept.  The
    array returned may be shared and is read-only."""
    if type(seed) is int and seed >= 0:
        if seed >= _KEYS_BELOW:
            return _core.int_seed_key(seed)
        key = _KEYS.get(seed)
        if key is None:
            key = _core.int_seed_key(seed)
            key.flags.writeable = False
            if len(_KEYS) >= _KEYS_MAX:
                _KEYS.clear()
            _KEYS[seed] = key
        return key
    return as_seed_sequence(seed).generate_state(4, np.uint64)


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """`seed` (None, a non-negative int or a SeedSequence) as a SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, _NOT_NUMBERS) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(
            f"seed must be None, a non-negative int or a SeedSequence, got {type(seed).__name__}"
        )
    value = operator.index(seed)
    if value < 0:
        raise ValueError(f"seed must be non-negative, got {show_int(value)}")
    return np.random.SeedSequence(value)


def named_seed(seed: SeedLike, name: str) -> np.random.SeedSequence:
    """The seed of the tensor called `name` in a model seeded with `seed`.

    ``SeedSequence(entropy, spawn_key=spawn_key + (h,))``, where `entropy`
    and `spawn_key` are those of ``as_seed_sequence(seed)`` and `h` is the
    128-bit little-endian integer of ``blake2b(name.encode("utf-8"),
    digest_size=16)``.  Each tensor's values depend on the seed and its own
    name only, so adding, removing or editing other tensors leaves them as
    they are.

    Examples
    --------
    >>> import xavier
    >>> from xavier._api import named_seed
    >>> a = xavier.uniform(3, seed=named_seed(7, "fc1.weight"))
    >>> b = xavier.uniform(3, seed=named_seed(7, "fc2.weight"))
    >>> bool((a != b).all())
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    base = as_seed_sequence(seed)
    h = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest(), "little")
    return np.random.SeedSequence(base.entropy, spawn_key=tuple(base.spawn_key) + (h,),
                                  pool_size=base.pool_size)


# ---- argument checks --------------------------------------------------------

# Threads per CPU that a fill may use (see max_useful_threads).
THREADS_PER_CPU = 4


def max_useful_threads() -> int:
    """The most threads a fill uses: THREADS_PER_CPU times the CPUs this
    process may run on (its affinity mask where the OS has one).

    A few threads per CPU cost nothing measurable, and let tests compare
    teams larger than a small machine; thousands (``threads=10**9`` on a
    large array) can exhaust memory while the threads start, which kills
    the process."""
    return THREADS_PER_CPU * usable_cpus()


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity masks (macOS, Windows)
        return os.cpu_count() or 1


def check_threads(threads: Optional[int]) -> int:
    """The thread count to fill with: None is OpenMP's default; an int >= 1
    above :func:`max_useful_threads` is clamped to it with a RuntimeWarning
    (the values never depend on threads).  Every entry point that takes a
    thread count checks it here."""
    if threads is None:
        return max(1, _core.max_threads())
    if isinstance(threads, _NOT_NUMBERS) or not isinstance(threads, (numbers.Integral, np.integer)):
        raise TypeError(f"threads must be None or an int >= 1, got {type(threads).__name__}")
    value = operator.index(threads)
    if value < 1:
        raise ValueError(f"threads must be >= 1, got {show_int(value)}")
    if value > THREADS_PER_CPU:  # (the cap is at least this: no system call below it)
        cap = max_useful_threads()
        if value > cap:
            warnings.warn(
                f"xavier: threads ({show_int(value)}) is more than the {cap} threads this process "
                f"can use ({THREADS_PER_CPU} per CPU it may run on); using {cap}, with the same "
                "values", RuntimeWarning, stacklevel=_caller_stacklevel())
            return cap
    return value


def _caller_stacklevel() -> int:
    """The stacklevel of warnings.warn, called by our caller, that points at
    the user's line: the first frame outside this package."""
    level, frame = 1, sys._getframe(1)  # type: Tuple[int, Optional[types.FrameType]]
    here = os.path.dirname(os.path.abspath(__file__))
    while frame is not None and frame.f_code.co_filename.startswith(here):
        level, frame = level + 1, frame.f_back
    return level


def as_real(value: object, name: str) -> float:
    """`value` (the argument called `name`) as a float: any real number, bools excluded."""
    if isinstance(value, _NOT_NUMBERS) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:  # an int or Fraction beyond floats: the infinity it rounds to
        return -math.inf if value < 0 else math.inf


def _check_real(value: object, name: str) -> float:
    v = value if type(value) is float else as_real(value, name)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _check_nonneg(value: object, name: str) -> float:
    v = _check_real(value, name)
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v


def bfloat16_dtype() -> np.dtype:
    """NumPy's bfloat16 dtype, from the optional ml_dtypes package."""
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError("dtype bfloat16 needs the ml_dtypes package: "
                          "pip install 'xavier[bfloat16]'") from None
    dt: np.dtype = np.dtype(ml_dtypes.bfloat16)
    _TYPE_CODES.setdefault(dt, _core.BF16)
    return dt


def type_code(dt: np.dtype) -> Optional[int]:
    """The core's output type for dtype `dt`, or None if it has none."""
    code = _TYPE_CODES.get(dt)
    if code is None and dt.itemsize == 2 and dt.name == "bfloat16":  # (dt.name is slow)
        bfloat16_dtype()
        code = _TYPE_CODES.get(dt)
    return code


def _check_float_array(arr: np.ndarray, name: str) -> np.ndarray:
    """`arr` (the argument called `name`) must be a writable array of an output dtype."""
    if type_code(arr.dtype) is None:
        raise TypeError(f"{name} has dtype {arr.dtype}; dtype must be {_DTYPE_NAMES}")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return arr


def check_dtype(dtype: DTypeLike, out: Optional[np.ndarray] = None) -> np.dtype:
    """The output dtype: `dtype`, or out's dtype when it is None, or float32.
    Accepts anything np.dtype does, and the name "bfloat16"."""
    if dtype is None:
        if out is not None and isinstance(out, np.ndarray):
            return _check_float_array(out, "out").dtype
        return np.dtype(np.float32)
    if isinstance(dtype, str) and dtype.lower() == "bfloat16":
        return bfloat16_dtype()
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be {_DTYPE_NAMES}, got {dtype!r}") from None
    if type_code(dt) is None:
        raise TypeError(f"dtype must be {_DTYPE_NAMES}, got {dt}")
    return dt


# By output type: its name, its largest finite value, and the largest finite
# value of the type the kernels compute it in (float32 for the half types).
_TYPE_NAMES = {_core.F32: "float32", _core.F64: "float64", _core.F16: "float16",
               _core.BF16: "bfloat16"}
_MAX_VALUE = {_core.F32: float(np.finfo(np.float32).max), _core.F64: float(np.finfo(np.float64).max),
              _core.F16: float(np.finfo(np.float16).max), _core.BF16: float.fromhex("0x1.fep127")}
_COMPUTE_MAX = {_core.F32: _MAX_VALUE[_core.F32], _core.F64: _MAX_VALUE[_core.F64],
                _core.F16: _MAX_VALUE[_core.F32], _core.BF16: _MAX_VALUE[_core.F32]}


def _available_memory() -> Optional[int]:
    """MemAvailable + SwapFree in bytes on Linux, else None."""
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return info["MemAvailable"] + info.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        return None


def _new_array(dims: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    nbytes = math.prod(dims) * dtype.itemsize
    # NumPy's limit, on the nonzero dims: zero-size shapes included
    if math.prod(d for d in dims if d) * dtype.itemsize > sys.maxsize:
        raise ValueError(f"shape {dims} is too large: over {sys.maxsize} bytes of {dtype}")
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
    except ValueError as e:  # NumPy's other limits (at most 64 dims)
        raise ValueError(f"shape {dims}: {e}") from None


def _check_out(out: object, dims: Optional[Tuple[int, ...]], dtype: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}, but dtype {dtype} was requested")
    if dims is not None and out.shape != dims:
        raise ValueError(f"out has shape {out.shape}, but shape {dims} was requested")
    return _check_float_array(out, "out")


# ---- the fill ---------------------------------------------------------------

def fill(arr: np.ndarray, kind: int, params: Tuple[float, ...], key: np.ndarray,
         threads: int) -> None:
    """Write the stream into `arr` in C order: directly when the core can write
    it, else chunk by chunk through a contiguous buffer (same values).  `arr`
    may be any array whose items the kind's type fits (bfloat16 bits may come
    as a 16-bit integer view)."""
    if arr.size == 0:
        return
    if arr.flags.c_contiguous and arr.flags.aligned:
        _core.fill(arr, key, kind, params, 0, threads)
        return
    bits = np.dtype(f"u{arr.dtype.itemsize}")
    tmp = np.empty(min(arr.size, _INDIRECT_CHUNK), dtype=arr.dtype)
    flat = arr.view(bits).flat  # copy bits, whatever the dtype
    for start in range(0, arr.size, tmp.size):
        part = tmp[: min(tmp.size, arr.size - start)]
        _core.fill(part, key, kind, params, start, threads)
        flat[start : start + part.size] = part.view(bits)


def _sample(shape: Optional[ShapeLike], dist: int, params: Tuple[float, ...], dt: np.dtype,
            seed: SeedLike, out: Optional[np.ndarray], threads: Optional[int]) -> np.ndarray:
    dims = None if (shape is None and out is not None) else normalize_shape(shape)
    nthreads = check_threads(threads)
    key = seed_key(seed)
    if out is not None:
        arr = _check_out(out, dims, dt)
    else:
        assert dims is not None
        arr = _new_array(dims, dt)
    fill(arr, 4 * dist + _TYPE_CODES[dt], params, key, nthreads)
    return arr


def uniform_params(low: object, high: object, code: int,
                   names: Tuple[str, str] = ("low", "high")) -> Tuple[float, float]:
    """Checked (low, high) for output type `code` (the arguments are called `names`)."""
    lo, hi = _check_real(low, names[0]), _check_real(high, names[1])
    if lo > hi:
        raise ValueError(f"{names[0]} must be <= {names[1]}, got {names[0]}={lo}, {names[1]}={hi}")
    # Python floats: no overflowing cast to float32
    if hi - lo > _COMPUTE_MAX[code] or max(abs(lo), abs(hi)) > _MAX_VALUE[code]:
        raise ValueError(f"{names[1]} - {names[0]} must be finite in {_TYPE_NAMES[code]}, "
                         f"got {names[0]}={lo}, {names[1]}={hi}")
    return lo, hi


def normal_params(mean: object, std: object, code: int) -> Tuple[float, float]:
    mu, sd = _check_real(mean, "mean"), _check_nonneg(std, "std")
    if abs(mu) + _NORMAL_REACH * sd > _MAX_VALUE[code]:
        raise ValueError(f"mean and std would overflow {_TYPE_NAMES[code]}: mean={mu}, std={sd}")
    return mu, sd


def _check_bound(value: object, name: str) -> float:
    v = as_real(value, name)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    return v


def truncnorm_params(mean: object, std: object, a: object, b: object,
                     code: int) -> Tuple[float, float, float, float]:
    mu, sd = _check_real(mean, "mean"), _check_nonneg(std, "std")
    lo, hi = _check_bound(a, "a"), _check_bound(b, "b")
    if not lo < hi:
        raise ValueError(f"a must be < b, got a={lo}, b={hi}")
    if sd == 0:
        if not lo <= mu <= hi:
            raise ValueError(f"with std=0, mean must lie in [a, b], got mean={mu}, a={lo}, b={hi}")
    else:
        mass = _core.truncnorm_mass(mu, sd, lo, hi)   # the mass the core samples with
        if not mass >= _TRUNC_MIN_MASS:
            raise ValueError(
                f"[a, b] = [{lo}, {hi}] holds {mass:.3g} of the normal(mean={mu}, std={sd}) "
                "mass; it must hold at least 2**-40 (bounds within about 7 std of the mean)")
    reach_lo, reach_hi = max(lo, mu - _TRUNC_REACH * sd), min(hi, mu + _TRUNC_REACH * sd)
    if max(abs(reach_lo), abs(reach_hi)) > _MAX_VALUE[code]:
        raise ValueError(f"mean, std, a and b would overflow {_TYPE_NAMES[code]}: "
                         f"mean={mu}, std={sd}, a={lo}, b={hi}")
    return mu, sd, lo, hi


ParamsOf = Callable[[int], Tuple[float, ...]]


# While set (by xavier._request.capture), sample() hands its checked request
# to this hook, which raises, instead of filling anything.
CAPTURE: contextvars.ContextVar[Optional[Callable[[int, ParamsOf, ShapeLike, DTypeLike], NoReturn]]] \
    = contextvars.ContextVar("xavier_capture", default=None)


def sample(dist: int, params_of: ParamsOf, shape: Optional[ShapeLike], dtype: DTypeLike,
           seed: SeedLike, out: Optional[np.ndarray], threads: Optional[int]) -> np.ndarray:
    """Check everything, then fill a new array or `out` with the stream of
    distribution `dist` and the parameters ``params_of(output type)``."""
    hook = CAPTURE.get()
    if hook is not None and out is None and shape is not None:
        hook(dist, params_of, shape, dtype)
    dt = check_dtype(dtype, out)
    params = params_of(_TYPE_CODES[dt])
    return _sample(shape, dist, params, dt, seed, out, threads)


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
        CPU this process may run on (``xavier._api.max_useful_threads()``):
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
    return sample(_core.UNIFORM, lambda code: uniform_params(low, high, code), shape, dtype, seed,
                  out, threads)


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
    return sample(_core.NORMAL, lambda code: normal_params(mean, std, code), shape, dtype, seed,
                  out, threads)


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
    return sample(_core.TRUNCNORM, lambda code: truncnorm_params(mean, std, a, b, code), shape,
                  dtype, seed, out, threads)


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
