"""Argument checks shared by every entry point: numbers, thread counts,
dtypes, and the parameters of each distribution for an output type.

Each check raises TypeError or ValueError naming the argument, before any
work is done.
"""
from __future__ import annotations

import math
import numbers
import operator
import os
import sys
import types  # noqa: F401  (a type comment uses it)
import warnings
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from . import _core
from ._fans import show_int

DTypeLike = Any
# The checked parameters of a distribution for an output type code.
ParamsOf = Callable[[int], Tuple[float, ...]]

# Refused where a number is due: bools, and NumPy's timedeltas (np.integer
# subclasses that operator.index refuses).
NOT_NUMBERS = (bool, np.bool_, np.timedelta64)

# Output types of the core, by dtype (bfloat16 is added once ml_dtypes is loaded).
TYPE_CODES: Dict[np.dtype, int] = {np.dtype(np.float32): _core.F32,
                                   np.dtype(np.float64): _core.F64,
                                   np.dtype(np.float16): _core.F16}
DTYPE_NAMES = "float32, float64, float16 or bfloat16"
# Largest |z| of the normal samplers (float64 radius uniform >= 2**-53).
_NORMAL_REACH = math.sqrt(-2.0 * math.log(2.0**-53))
# Largest |z| of the truncated normal: its smallest tail probability is
# 2**-40 (least interval mass) * 2**-54 (least uniform), and z < 11.5 there.
_TRUNC_REACH = 12.0
_TRUNC_MIN_MASS = 2.0**-40


# ---- threads -------------------------------------------------------------------

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
    if isinstance(threads, NOT_NUMBERS) or not isinstance(threads, (numbers.Integral, np.integer)):
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
                "values", RuntimeWarning, stacklevel=caller_stacklevel())
            return cap
    return value


def caller_stacklevel() -> int:
    """The stacklevel of warnings.warn, called by our caller, that points at
    the user's line: the first frame outside this package."""
    level, frame = 1, sys._getframe(1)  # type: Tuple[int, Optional[types.FrameType]]
    here = os.path.dirname(os.path.abspath(__file__))
    while frame is not None and frame.f_code.co_filename.startswith(here):
        level, frame = level + 1, frame.f_back
    return level



# ---- numbers -------------------------------------------------------------------

def as_real(value: object, name: str) -> float:
    """`value` (the argument called `name`) as a float: any real number, bools excluded."""
    if isinstance(value, NOT_NUMBERS) or not isinstance(value, (numbers.Real, np.floating,
                                                                np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:  # an int or Fraction beyond floats: the infinity it rounds to
        return -math.inf if value < 0 else math.inf


def check_real(value: object, name: str) -> float:
    v = value if type(value) is float else as_real(value, name)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def check_nonneg(value: object, name: str) -> float:
    v = check_real(value, name)
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v



# ---- dtypes --------------------------------------------------------------------

def bfloat16_dtype() -> np.dtype:
    """NumPy's bfloat16 dtype, from the optional ml_dtypes package."""
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError("dtype bfloat16 needs ml_dtypes: "
                          "pip install 'xavier-init[bfloat16]'") from None
    dt: np.dtype = np.dtype(ml_dtypes.bfloat16)
    TYPE_CODES.setdefault(dt, _core.BF16)
    return dt


def type_code(dt: np.dtype) -> Optional[int]:
    """The core's output type for dtype `dt`, or None if it has none."""
    code = TYPE_CODES.get(dt)
    if code is None and dt.itemsize == 2 and dt.name == "bfloat16":  # (dt.name is slow)
        bfloat16_dtype()
        code = TYPE_CODES.get(dt)
    return code


def check_float_array(arr: np.ndarray, name: str) -> np.ndarray:
    """`arr` (the argument called `name`) must be a writable array of an output dtype."""
    if type_code(arr.dtype) is None:
        raise TypeError(f"{name} has dtype {arr.dtype}; dtype must be {DTYPE_NAMES}")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return arr


def check_dtype(dtype: DTypeLike, out: Optional[np.ndarray] = None) -> np.dtype:
    """The output dtype: `dtype`, or out's dtype when it is None, or float32.
    Accepts anything np.dtype does, and the name "bfloat16"."""
    if dtype is None:
        if out is not None and isinstance(out, np.ndarray):
            return check_float_array(out, "out").dtype
        return np.dtype(np.float32)
    if isinstance(dtype, str) and dtype.lower() == "bfloat16":
        return bfloat16_dtype()
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be {DTYPE_NAMES}, got {dtype!r}") from None
    if type_code(dt) is None:
        raise TypeError(f"dtype must be {DTYPE_NAMES}, got {dt}")
    return dt


# By output type: its name, its largest finite value, and the largest finite
# value of the type the kernels compute it in (float32 for the half types).
TYPE_NAMES = {_core.F32: "float32", _core.F64: "float64", _core.F16: "float16",
               _core.BF16: "bfloat16"}
MAX_VALUE = {_core.F32: float(np.finfo(np.float32).max), _core.F64: float(np.finfo(np.float64).max),
              _core.F16: float(np.finfo(np.float16).max), _core.BF16: float.fromhex("0x1.fep127")}
COMPUTE_MAX = {_core.F32: MAX_VALUE[_core.F32], _core.F64: MAX_VALUE[_core.F64],
                _core.F16: MAX_VALUE[_core.F32], _core.BF16: MAX_VALUE[_core.F32]}
# The type each output type's values are computed in.
COMPUTE_CODE = {_core.F32: _core.F32, _core.F64: _core.F64, _core.F16: _core.F32,
                _core.BF16: _core.F32}



# ---- distribution parameters ------------------------------------------------------

def uniform_params(low: object, high: object, code: int,
                   names: Tuple[str, str] = ("low", "high")) -> Tuple[float, float]:
    """Checked (low, high) for output type `code` (the arguments are called `names`)."""
    lo, hi = check_real(low, names[0]), check_real(high, names[1])
    if lo > hi:
        raise ValueError(f"{names[0]} must be <= {names[1]}, got {names[0]}={lo}, {names[1]}={hi}")
    # Python floats: no overflowing cast to float32
    if hi - lo > COMPUTE_MAX[code] or max(abs(lo), abs(hi)) > MAX_VALUE[code]:
        raise ValueError(f"{names[1]} - {names[0]} must be finite in {TYPE_NAMES[code]}, "
                         f"got {names[0]}={lo}, {names[1]}={hi}")
    return lo, hi


def normal_fits(mu: float, sd: float, code: int) -> bool:
    """True if every N(mu, sd**2) value of the samplers fits output type `code`
    (False for a NaN or infinite mean or std)."""
    return abs(mu) + _NORMAL_REACH * sd <= MAX_VALUE[code]


def normal_params(mean: object, std: object, code: int) -> Tuple[float, float]:
    mu, sd = check_real(mean, "mean"), check_nonneg(std, "std")
    if not normal_fits(mu, sd, code):
        raise ValueError(f"mean and std would overflow {TYPE_NAMES[code]}: mean={mu}, std={sd}")
    return mu, sd


def check_bound(value: object, name: str) -> float:
    v = as_real(value, name)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    return v


def truncnorm_params(mean: object, std: object, a: object, b: object,
                     code: int) -> Tuple[float, float, float, float]:
    mu, sd = check_real(mean, "mean"), check_nonneg(std, "std")
    lo, hi = check_bound(a, "a"), check_bound(b, "b")
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
    # The kernel computes mean + sd * z in the compute type, z in [alpha, beta]
    # (and within the reach): mean and sd * z must fit there, or the values
    # would be NaN (inf - inf) or clipped to a bound instead of sampled.
    zmax = _TRUNC_REACH if sd == 0 else min(_TRUNC_REACH, max(abs(lo - mu), abs(hi - mu)) / sd)
    top = COMPUTE_MAX[code]
    if abs(mu) > top or sd > top or sd * zmax > top:
        raise ValueError(f"mean, std and the bounds' distance from the mean (up to 12 std) "
                         f"must fit in {TYPE_NAMES[COMPUTE_CODE[code]]}, where {TYPE_NAMES[code]} "
                         f"values are computed: mean={mu}, std={sd}, a={lo}, b={hi}")
    reach_lo, reach_hi = max(lo, mu - _TRUNC_REACH * sd), min(hi, mu + _TRUNC_REACH * sd)
    if max(abs(reach_lo), abs(reach_hi)) > MAX_VALUE[code]:
        raise ValueError(f"mean, std, a and b would overflow {TYPE_NAMES[code]}: "
                         f"mean={mu}, std={sd}, a={lo}, b={hi}")
    return mu, sd, lo, hi


