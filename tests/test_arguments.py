"""Hostile arguments: every public sampler, preset and initializer, every argument.

For each argument, values drawn from huge ints (±10**k, k up to 500, and
around 2**63), floats (inf, nan, 1e308, subnormals), Fractions, Decimals,
bools, strings, None, complex numbers, NumPy scalars of every kind, lists,
sets, dicts and generators: the call either succeeds, with finite values in
the distribution's range, or raises TypeError / ValueError whose message names
the argument; never OverflowError, ZeroDivisionError, AttributeError,
KeyError, a crash, or NaN / inf values.

Thread counts far above the machine (threads=10**9, 10**400, 2**63) are
clamped to ``xavier._checks.max_useful_threads()`` with a RuntimeWarning: same
values, and no more threads in the process than the cap.

A table of bad values (one or a few per argument of the samplers, presets,
in-place initializers and compute_fans) gives the exception and message each
must raise, with no warning on the way and before the core starts filling.
"""
import inspect
import json
import math
import operator
import os
import re
import subprocess
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from support import hypothesis_settings, output_dtypes  # noqa: E402

import xavier  # noqa: E402
from xavier import _checks, _seeds  # noqa: E402
from xavier import initializers as I  # noqa: E402

SETTINGS = hypothesis_settings(60, HealthCheck.data_too_large)

DTYPES = output_dtypes()

INF, NAN = float("inf"), float("nan")
SHAPE = (3, 4)
F32, F64 = np.float32, np.float64


# ---- hostile values -------------------------------------------------------------

def _powers(sign):
    return st.integers(0, 500).map(lambda k: sign * 10**k)


huge_ints = st.one_of(_powers(1), _powers(-1), st.integers(),
                      st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, -2**63, 2**64,
                                       2**64 - 1, 10**30, 2**1024, -2**1024, 2**1023 * 3]))
floats = st.one_of(st.floats(), st.sampled_from([INF, -INF, NAN, 1e308, -1e308,
                                                 1.7976931348623157e308, 5e-324, -5e-324,
                                                 2.2250738585072014e-308, 1e-310, 0.0, -0.0]))
fractions = st.one_of(st.fractions(), _powers(1).map(lambda p: Fraction(p, 3)),
                      _powers(1).map(lambda p: Fraction(-p, 7)),
                      _powers(1).map(lambda p: Fraction(1, p)))
decimals = st.one_of(st.decimals(), st.sampled_from([Decimal("1e400"), Decimal("-1e400"),
                                                     Decimal("NaN"), Decimal("sNaN"),
                                                     Decimal("Infinity"), Decimal("2.5")]))
NUMPY_SCALARS = [np.int8(-128), np.int8(3), np.uint8(255), np.int16(-3), np.uint16(7),
                 np.int32(-2**31), np.uint32(2**32 - 1), np.int64(2**63 - 1), np.int64(-2**63),
                 np.uint64(2**64 - 1), np.uint64(4), np.float16(65504), np.float16("inf"),
                 np.float16(6e-8), np.float32(3.4e38), np.float32("nan"), np.float32(0.5),
                 np.float64(1e308), np.float64(-5e-324), np.longdouble("1e4000"),
                 np.longdouble(2.0), np.complex64(1 + 2j), np.complex128(3), np.bool_(True),
                 np.str_("1"), np.bytes_(b"1"), np.datetime64(1, "s"), np.timedelta64(3, "s"),
                 np.void(b"x"), np.array(2.0), np.array([1.0, 2.0])]
numpy_scalars = st.one_of(st.sampled_from(NUMPY_SCALARS),
                          st.integers(-2**63, 2**63 - 1).map(np.int64),
                          st.floats(width=32).map(np.float32),
                          st.floats(width=16).map(np.float16))
others = st.one_of(st.sampled_from([True, False, None, "1", "nan", "", b"1", 1j, complex(INF, 0),
                                    [1.0], [], (2,), {1}, {"a": 1}, frozenset([2]), object()]),
                   st.lists(st.floats(), max_size=3), st.text(max_size=4))
reals = st.one_of(huge_ints, floats, fractions, decimals, numpy_scalars, others,
                  st.floats(-10.0, 10.0))  # (plain values too: the success path)


def _generator():
    return (d for d in (3, 4))


# For dims: containers of every kind, and tuples with a hostile entry
containers = st.one_of(
    st.sampled_from([{3, 4}, frozenset([3, 4]), {3: 1, 4: 2}, range(3, 5), np.array([3, 4]),
                     np.array([[3, 4]]), np.array(3), np.array(3.0), [3, 4], (), [0, 2**62, 2**62],
                     (0, 2**63)]),
    st.builds(_generator), st.builds(lambda: iter([3, 4])))
integers = st.one_of(reals, st.integers(-3, 64), containers,
                     st.tuples(st.integers(0, 5), st.one_of(reals, st.integers(-3, 64))))


def _no_big_array(value):
    """Dims either small or beyond any allocation: a shape must never ask
    for a large array that fits in memory (it would be filled)."""
    if isinstance(value, (list, tuple)):
        return all(_no_big_array(v) for v in value)
    try:
        d = operator.index(value)
    except TypeError:
        return True
    return abs(d) <= 64 or abs(d) >= 10**18


shapes = integers.filter(_no_big_array)


# ---- the property ---------------------------------------------------------------

def _names(msg, names):
    return any(re.search(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_])", msg) for n in names)


def _outcome(call, names, memory_error=False):
    """call()'s result, or None if it raised TypeError / ValueError naming one
    of `names` (or, with `memory_error`, the MemoryError that the docs
    promise for a new array larger than the memory available, before any
    work); anything else fails the test."""
    errors = (TypeError, ValueError, MemoryError) if memory_error else (TypeError, ValueError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (clamped threads, NumPy's overflow notes)
            return call()
    except errors as e:
        assert _names(str(e), names), f"{type(e).__name__} does not name {names}: {e}"
        return None


def _real(v):
    return _checks.as_real(v, "value")


def _check_values(out, bounds):
    values = np.asarray(out, dtype=np.float64)
    assert np.isfinite(values).all()
    if bounds is not None and values.size:
        lo, hi = bounds
        tol = 2**-7 * max(abs(lo), abs(hi)) + 2**-24  # the half types' rounding
        assert lo - tol <= values.min() and values.max() <= hi + tol, (bounds, values)


def _sampler(fn, arg):
    def call(value, dtype):
        return getattr(xavier, fn)(SHAPE, dtype=dtype, seed=0, threads=1, **{arg: value})
    return call


def _inplace(fn):
    def call(value, dtype):
        return getattr(xavier, fn)(np.zeros(SHAPE, _checks.check_dtype(dtype)), gain=value, seed=0,
                                   threads=1)
    return call


def _glorot_limit(v):
    a = _real(v) * math.sqrt(6 / sum(SHAPE))
    return -a, a


# name -> (call(value, dtype), (argument names its errors may give), bounds(value) or None)
REAL_ARGS = {
    "uniform low": (_sampler("uniform", "low"), ("low",), lambda v: (_real(v), 1.0)),
    "uniform high": (_sampler("uniform", "high"), ("high",), lambda v: (0.0, _real(v))),
    "normal mean": (_sampler("normal", "mean"), ("mean",), None),
    "normal std": (_sampler("normal", "std"), ("std",), None),
    "truncated_normal mean": (_sampler("truncated_normal", "mean"), ("mean",),
                              lambda v: (-2.0, 2.0)),
    "truncated_normal std": (_sampler("truncated_normal", "std"), ("std",), lambda v: (-2.0, 2.0)),
    "truncated_normal a": (_sampler("truncated_normal", "a"), ("a",),
                           lambda v: (max(_real(v), -1e300), 2.0)),
    "truncated_normal b": (_sampler("truncated_normal", "b"), ("b",),
                           lambda v: (-2.0, min(_real(v), 1e300))),
    "variance_scaling scale": (_sampler("variance_scaling", "scale"), ("scale",),
                               lambda v: (-math.sqrt(6 * _real(v) / sum(SHAPE)),
                                          math.sqrt(6 * _real(v) / sum(SHAPE)))),
    "glorot_uniform gain": (_sampler("glorot_uniform", "gain"), ("gain",), _glorot_limit),
    "glorot_normal gain": (_sampler("glorot_normal", "gain"), ("gain",), None),
    "xavier_uniform_ gain": (_inplace("xavier_uniform_"), ("gain",), _glorot_limit),
    "xavier_normal_ gain": (_inplace("xavier_normal_"), ("gain",), None),
    # Keras's initializers; errors at call time name the sampler's arguments
    "VarianceScaling scale": (lambda v, dt: I.VarianceScaling(v, seed=0)(SHAPE, dt),
                              ("scale",), None),
    "RandomUniform minval": (lambda v, dt: I.RandomUniform(minval=v, seed=0)(SHAPE, dt),
                             ("minval", "low"), lambda v: (_real(v), 0.05)),
    "RandomUniform maxval": (lambda v, dt: I.RandomUniform(maxval=v, seed=0)(SHAPE, dt),
                             ("maxval", "high"), lambda v: (-0.05, _real(v))),
    "RandomNormal mean": (lambda v, dt: I.RandomNormal(mean=v, seed=0)(SHAPE, dt),
                          ("mean",), None),
    "RandomNormal stddev": (lambda v, dt: I.RandomNormal(stddev=v, seed=0)(SHAPE, dt),
                            ("stddev", "std"), None),
    "TruncatedNormal mean": (lambda v, dt: I.TruncatedNormal(mean=v, seed=0)(SHAPE, dt),
                             ("mean",), lambda v: (_real(v) - 0.1, _real(v) + 0.1)),
    "TruncatedNormal stddev": (lambda v, dt: I.TruncatedNormal(stddev=v, seed=0)(SHAPE, dt),
                               ("stddev", "std"), lambda v: (-2 * _real(v), 2 * _real(v))),
}


@SETTINGS
@given(value=reals, dtype=st.sampled_from(DTYPES))
@pytest.mark.parametrize("case", sorted(REAL_ARGS))
def test_real_arguments(case, value, dtype):
    call, names, bounds = REAL_ARGS[case]
    out = _outcome(lambda: call(value, dtype), names)
    if out is not None:
        _check_values(out, bounds(value) if bounds else None)


# Every parameter of a sampler at once, from magnitudes across the output
# types' ranges (one argument at a time, above, leaves the others at their
# defaults and misses combinations: a mean and std beyond float32 whose
# truncated interval lies within it gave NaN).
MAGNITUDES = [0.0, 1e-300, 1e-45, 1e-30, 1e-5, 0.5, 1.0, 2.0, 12.0, 6e4, 1e5, 1e30, 1e38,
              3e38, 3.4e38, 1e39, 1e300, 1.7e308]
signed = st.sampled_from(MAGNITUDES).flatmap(lambda m: st.sampled_from([m, -m]))
JOINT = {
    "uniform": (2, lambda v: xavier.uniform((257,), v[0], v[1], seed=1, dtype=v[-1]),
                lambda v: (v[0], v[1])),
    "normal": (2, lambda v: xavier.normal((257,), v[0], v[1], seed=1, dtype=v[-1]), None),
    "truncated_normal": (4, lambda v: xavier.truncated_normal((257,), *v[:4], seed=1,
                                                              dtype=v[-1]),
                         lambda v: (v[2], v[3])),
}


try:
    from ml_dtypes import finfo as _finfo   # NumPy's finfo does not know bfloat16
except ImportError:
    _finfo = np.finfo


def test_truncated_normal_at_every_scale_gives_values_in_range_or_a_named_error():
    """mean, std, a and b at one scale, the interval a few std from the mean so
    that it holds mass whatever the scale (independent draws rarely do): every
    scale, every output type, means and stds beyond the type's range."""
    zs = [-13.0, -3.0, -1.0, -0.9, -0.7, -0.3, 0.0, 2.0, 13.0]
    for dtype in DTYPES:
        for scale in [m for m in MAGNITUDES if m]:
            for mean_f, std_f in [(0.0, 1.0), (1.0, 1.0), (-1.0, 3.0), (3.0, 0.1), (0.3, 1.0)]:
                mean, std = mean_f * scale, std_f * scale
                for za, zb in zip(zs, zs[1:] + [math.inf]):
                    v = (mean, std, mean + std * za, mean + std * zb if zb < 99 else zb)
                    out = _outcome(lambda: xavier.truncated_normal(
                        (64,), *v, seed=1, dtype=dtype), ("mean", "std", "a", "b"))
                    if out is None:
                        continue
                    _check_values(out, (v[2], v[3]))
                    # sampled, not clipped to a bound: where the type resolves the
                    # interval and the std, 64 values are not all one
                    info = _finfo(out.dtype)
                    lo, hi = (float(np.asarray(x, out.dtype)) for x in v[2:])
                    if min(std, hi - lo) > 2**10 * float(info.tiny) and hi - lo > 2**10 * float(
                            info.eps) * max(abs(lo), abs(hi)):
                        assert np.unique(out).size > 1, (v, dtype, out[:4])


@hypothesis_settings(300, HealthCheck.data_too_large)
@given(values=st.lists(signed, min_size=4, max_size=4), dtype=st.sampled_from(DTYPES))
@pytest.mark.parametrize("name", sorted(JOINT))
def test_joint_extreme_parameters_give_values_in_range_or_a_named_error(name, values, dtype):
    nargs, call, bounds = JOINT[name]
    v = (*values[:nargs], dtype)
    out = _outcome(lambda: call(v), ("low", "high", "mean", "std", "a", "b"))
    if out is not None:
        _check_values(out, bounds(v) if bounds else None)


@SETTINGS
@given(value=reals)
def test_calculate_gain_param(value):
    gain = _outcome(lambda: xavier.calculate_gain("leaky_relu", value),
                    ("param", "negative_slope"))
    if gain is not None:
        assert math.isfinite(gain) and 0 <= gain <= math.sqrt(2)


def _preset(fn, arg):
    def call(value, dtype):
        if arg == "shape":
            return getattr(xavier, fn)(value, dtype=dtype, seed=0, threads=1)
        return getattr(xavier, fn)(SHAPE, dtype=dtype, seed=0, threads=1, **{arg: value})
    return call


INT_ARGS = {
    "uniform shape": (_preset("uniform", "shape"), "shape"),
    "glorot_uniform shape": (_preset("glorot_uniform", "shape"), "shape"),
    "he_normal shape": (_preset("he_normal", "shape"), "shape"),
    "torch-layout shape": (lambda v, dt: xavier.glorot_normal(v, layout="torch", dtype=dt, seed=0),
                           "shape"),
    "GlorotUniform shape": (lambda v, dt: I.GlorotUniform(seed=0)(v, dt), "shape"),
    "glorot_uniform fans": (_preset("glorot_uniform", "fans"), "fans"),
    "variance_scaling fans": (_preset("variance_scaling", "fans"), "fans"),
    "uniform seed": (_preset("uniform", "seed"), "seed"),
    "glorot_normal seed": (_preset("glorot_normal", "seed"), "seed"),
    "uniform threads": (_preset("uniform", "threads"), "threads"),
    "glorot_uniform threads": (_preset("glorot_uniform", "threads"), "threads"),
    "xavier_uniform_ threads": (lambda v, dt: xavier.xavier_uniform_(
        np.zeros(SHAPE, _checks.check_dtype(dt)), seed=0, threads=v), "threads"),
}


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(DTYPES))
@pytest.mark.parametrize("case", sorted(INT_ARGS))
def test_integer_arguments(case, data, dtype):
    call, name = INT_ARGS[case]
    value = data.draw(shapes if name == "shape" else integers)
    out = _outcome(lambda: call(value, dtype), (name,), memory_error=name == "shape")
    if out is not None:
        _check_values(out, None)


@SETTINGS
@given(shape=shapes, layout=st.sampled_from([None, "keras", "torch"]))
def test_compute_fans_shape(shape, layout):
    fans = _outcome(lambda: xavier.compute_fans(shape, layout=layout), ("shape",))
    if fans is not None:
        assert all(type(f) is int and 0 <= f <= sys.maxsize for f in fans)


@SETTINGS
@given(seed=integers)
def test_named_seed_seed(seed):
    _outcome(lambda: _seeds.named_seed(seed, "w"), ("seed",))


# ---- the cases the hunt began with -----------------------------------------------

@pytest.mark.parametrize("call, exc, name", [
    (lambda: xavier.glorot_uniform((3, 4), gain=10**400), ValueError, "gain"),
    (lambda: xavier.glorot_uniform((3, 4), gain=-10**400), ValueError, "gain"),
    (lambda: xavier.glorot_uniform((3, 4), gain=Fraction(10**400)), ValueError, "gain"),
    (lambda: xavier.glorot_uniform((3, 4), gain=Decimal(1)), TypeError, "gain"),
    (lambda: xavier.glorot_uniform((3, 4), gain=1e308), ValueError, "gain"),
    (lambda: xavier.glorot_uniform((3, 4), gain=1e5, dtype="float16"), ValueError, "gain"),
    (lambda: xavier.variance_scaling((3, 4), 1e308), ValueError, "scale"),
    (lambda: xavier.glorot_uniform((3, 4), fans=(10**400, 1)), ValueError, "fans"),
    (lambda: xavier.glorot_uniform((3, 4), fans=(2**63, 1)), ValueError, "fans"),
    (lambda: xavier.glorot_uniform((3, 4), fans={3, 4}), TypeError, "fans"),
    (lambda: xavier.glorot_uniform((3, 4), fans=np.array(5)), TypeError, "fans"),
    (lambda: xavier.uniform((3, 4), low=-10**400), ValueError, "low"),
    (lambda: xavier.normal((3, 4), std=10**400), ValueError, "std"),
    (lambda: xavier.uniform((3, 4), seed=-10**5000), ValueError, "seed"),
    (lambda: xavier.uniform((3, 4), threads=np.timedelta64(2)), TypeError, "threads"),
    (lambda: xavier.uniform((3, 4), high=np.timedelta64(2)), TypeError, "high"),
    (lambda: I.RandomNormal(stddev=-1.0), ValueError, "stddev"),
    (lambda: I.RandomUniform(minval=float("nan")), ValueError, "minval"),
    (lambda: xavier.glorot_uniform((3, 4), layout=np.array(["torch", "keras"])), ValueError,
     "layout"),
])
def test_overflowing_arguments(call, exc, name):
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call()


def test_infinite_bounds_from_huge_ints():
    # a bound beyond floats is the infinity it rounds to, which truncated_normal takes
    got = xavier.truncated_normal((50,), a=-10**400, b=10**400, seed=3, dtype="float64")
    np.testing.assert_array_equal(
        got, xavier.truncated_normal((50,), a=-INF, b=INF, seed=3, dtype="float64"))


def test_degenerate_truncated_normal_initializer_gives_the_mean():
    for mean, stddev in ((0.5, 0.0), (1e10, 1e-10)):
        got = I.TruncatedNormal(mean=mean, stddev=stddev, seed=1)((4, 5), "float64")
        assert (got == mean).all()


def test_calculate_gain_huge_slopes():
    assert xavier.calculate_gain("leaky_relu", 1e200) == pytest.approx(math.sqrt(2) * 1e-200)
    assert xavier.calculate_gain("leaky_relu", 10**400) == 0.0
    assert xavier.calculate_gain("leaky_relu", -INF) == 0.0
    with pytest.raises(ValueError, match="negative_slope"):
        xavier.calculate_gain("leaky_relu", NAN)


@pytest.mark.parametrize("make", [lambda: {3, 4}, lambda: frozenset([3]), lambda: {3: 1, 4: 2},
                                  _generator, lambda: iter([3, 4]), lambda: np.array(3.0),
                                  lambda: np.void(b"x")],
                         ids=["set", "frozenset", "dict", "generator", "iterator", "0-d float",
                              "void"])
def test_unordered_or_one_shot_shapes_are_refused(make):
    with pytest.raises(TypeError, match="shape"):
        xavier.glorot_uniform(make())


@pytest.mark.parametrize("shape", [range(3, 5), np.array([3, 4]), [3, 4], (3, 4), np.int64(7),
                                   np.array(7)], ids=repr)
def test_sequences_are_shapes(shape):
    assert xavier.uniform(shape, seed=0).shape == tuple(np.atleast_1d(np.asarray(shape)))


@pytest.mark.parametrize("shape", [2**63, (3, 2**63), (2**32, 2**32), (0, 2**62, 2**62),
                                   (0, 2**63), (0, 2**61, 8), (1,) * 65, (3, 10**30)], ids=repr)
@pytest.mark.parametrize("fn", ["uniform", "glorot_uniform", "he_normal"])
def test_huge_shapes_are_refused_before_allocation(fn, shape):
    with pytest.raises(ValueError, match="shape"):
        getattr(xavier, fn)(shape, dtype="float64", seed=0)


# ---- one bad value per argument: the exception and its message ---------------------------

class _NotAnArray:
    shape = (3,)
    dtype = np.dtype(np.float32)


BAD_INPUTS = [
    # shape
    ("shape negative dim", lambda: xavier.uniform((3, -1)), ValueError, "shape"),
    ("shape negative int", lambda: xavier.uniform(-5), ValueError, "shape"),
    ("glorot shape negative", lambda: xavier.glorot_uniform((-2, 3)), ValueError, "shape"),
    ("shape float dim", lambda: xavier.uniform((2.5, 3)), TypeError, "shape"),
    ("shape float scalar", lambda: xavier.normal(2.0), TypeError, "shape"),
    ("shape str dim", lambda: xavier.uniform(("3", 4)), TypeError, "shape"),
    ("shape str", lambda: xavier.uniform("3"), TypeError, "shape"),
    ("shape bytes", lambda: xavier.uniform(b"34"), TypeError, "shape"),
    ("shape object", lambda: xavier.uniform(object()), TypeError, "shape"),
    ("shape None", lambda: xavier.uniform(None), TypeError, "shape"),
    ("shape bool dim", lambda: xavier.uniform((True, 3)), TypeError, "shape"),
    ("shape np.bool_ dim", lambda: xavier.normal((3, np.bool_(True))), TypeError, "shape"),
    ("shape bool", lambda: xavier.uniform(True), TypeError, "shape"),
    ("glorot shape str", lambda: xavier.glorot_normal("ab"), TypeError, "shape"),
    ("fans shape float", lambda: xavier.compute_fans((2.5, 3)), TypeError, "shape"),
    ("fans shape negative", lambda: xavier.compute_fans((2, -3)), ValueError, "shape"),
    ("fans shape object", lambda: xavier.compute_fans(object()), TypeError, "shape"),
    ("byte size overflow", lambda: xavier.uniform((2**40, 2**40)), (ValueError, MemoryError),
     "shape"),
    ("byte size overflow glorot", lambda: xavier.glorot_uniform((2**40, 2**40), dtype=F64),
     (ValueError, MemoryError), "shape"),
    ("too much memory", lambda: xavier.uniform((2**36, 2**4), dtype=F64), MemoryError, "shape"),
    ("too much memory glorot", lambda: xavier.glorot_normal((2**36, 2**4), dtype=F64),
     MemoryError, "shape"),
    # gain
    ("gain nan", lambda: xavier.glorot_uniform((3, 3), float("nan")), ValueError, "gain"),
    ("gain inf", lambda: xavier.glorot_uniform((3, 3), float("inf")), ValueError, "gain"),
    ("gain -inf", lambda: xavier.glorot_normal((3, 3), -math.inf), ValueError, "gain"),
    ("gain negative", lambda: xavier.glorot_normal((3, 3), -1.0), ValueError, "gain"),
    ("gain str", lambda: xavier.glorot_uniform((3, 3), "1"), TypeError, "gain"),
    ("gain None", lambda: xavier.glorot_uniform((3, 3), None), TypeError, "gain"),
    ("gain bool", lambda: xavier.glorot_uniform((3, 3), True), TypeError, "gain"),
    ("gain inplace nan", lambda: xavier.xavier_uniform_(np.zeros((3, 3)), float("nan")),
     ValueError, "gain"),
    # dtype
    ("dtype int32", lambda: xavier.uniform(3, dtype=np.int32), TypeError, "dtype"),
    ("dtype int64", lambda: xavier.normal(3, dtype=np.int64), TypeError, "dtype"),
    ("dtype complex64", lambda: xavier.uniform(3, dtype=np.complex64), TypeError, "dtype"),
    ("dtype uint16", lambda: xavier.glorot_uniform(3, dtype=np.uint16), TypeError, "dtype"),
    ("dtype timedelta", lambda: xavier.truncated_normal(3, dtype="m8[s]"), TypeError, "dtype"),
    ("dtype longdouble", lambda: xavier.normal(3, dtype=np.longdouble)
     if np.dtype(np.longdouble) != np.dtype(F64) else xavier.normal(3, dtype="i1"),
     TypeError, "dtype"),
    ("dtype bool", lambda: xavier.glorot_normal(3, dtype=bool), TypeError, "dtype"),
    ("dtype str", lambda: xavier.uniform(3, dtype="not a dtype"), TypeError, "dtype"),
    ("dtype object", lambda: xavier.uniform(3, dtype=object), TypeError, "dtype"),
    # out (non-array outs; outs that are arrays are in OUT_ERRORS below)
    ("out list", lambda: xavier.uniform(3, out=[0.0, 0.0, 0.0]), TypeError, "out"),
    ("out float", lambda: xavier.normal(3, out=1.0), TypeError, "out"),
    ("out str", lambda: xavier.glorot_uniform(3, out="abc"), TypeError, "out"),
    ("out array-like object", lambda: xavier.glorot_normal(3, out=_NotAnArray()), TypeError,
     "out"),
    ("out list glorot", lambda: xavier.glorot_uniform((2, 2), out=[[0.0, 0.0], [0.0, 0.0]]),
     TypeError, "out"),
    ("inplace list", lambda: xavier.xavier_uniform_([[0.0, 0.0], [0.0, 0.0]]), TypeError, "array"),
    ("inplace None", lambda: xavier.xavier_normal_(None), TypeError, "array"),
    # threads
    ("threads 0", lambda: xavier.uniform(3, threads=0), ValueError, "threads"),
    ("threads -1", lambda: xavier.normal(3, threads=-1), ValueError, "threads"),
    ("threads 1.5", lambda: xavier.uniform(3, threads=1.5), TypeError, "threads"),
    ("threads str", lambda: xavier.glorot_uniform(3, threads="2"), TypeError, "threads"),
    ("threads True", lambda: xavier.glorot_normal(3, threads=True), TypeError, "threads"),
    ("threads inplace 0", lambda: xavier.xavier_uniform_(np.zeros((2, 2)), threads=0),
     ValueError, "threads"),
    # seed
    ("seed -1", lambda: xavier.uniform(3, seed=-1), ValueError, "seed"),
    ("seed np -3", lambda: xavier.uniform(3, seed=np.int64(-3)), ValueError, "seed"),
    ("seed 1.5", lambda: xavier.normal(3, seed=1.5), TypeError, "seed"),
    ("seed str", lambda: xavier.glorot_uniform(3, seed="7"), TypeError, "seed"),
    ("seed True", lambda: xavier.glorot_normal(3, seed=True), TypeError, "seed"),
    ("seed np.bool_", lambda: xavier.uniform(3, seed=np.bool_(False)), TypeError, "seed"),
    ("seed Generator", lambda: xavier.uniform(3, seed=np.random.default_rng(0)), TypeError,
     "seed"),
    ("seed inplace -1", lambda: xavier.xavier_normal_(np.zeros((2, 2)), seed=-1), ValueError,
     "seed"),
    # layout
    ("layout tf", lambda: xavier.glorot_uniform((3, 3), layout="tf"), ValueError, "layout"),
    ("layout Keras", lambda: xavier.glorot_normal((3, 3), layout="Keras"), ValueError, "layout"),
    ("layout int", lambda: xavier.glorot_uniform((3, 3), layout=3), ValueError, "layout"),
    ("inplace layout None", lambda: xavier.xavier_uniform_(np.zeros((2, 2)), layout=None),
     ValueError, "layout"),
    ("compute_fans layout", lambda: xavier.compute_fans((3, 3), "tf"), ValueError, "layout"),
    ("inplace layout", lambda: xavier.xavier_uniform_(np.zeros((2, 2)), layout="jax"),
     ValueError, "layout"),
    ("torch layout 1-D", lambda: xavier.glorot_uniform((5,), layout="torch"), ValueError,
     "fewer than 2 dimensions"),
    ("torch layout 0-D inplace", lambda: xavier.xavier_uniform_(np.zeros(())), ValueError,
     "fewer than 2 dimensions"),
    # fans
    ("fans len 1", lambda: xavier.glorot_uniform((3, 3), fans=(1,)), TypeError, "fans"),
    ("fans len 3", lambda: xavier.glorot_uniform((3, 3), fans=(1, 2, 3)), TypeError, "fans"),
    ("fans str", lambda: xavier.glorot_uniform((3, 3), fans="ab"), TypeError, "fans"),
    ("fans int", lambda: xavier.glorot_normal((3, 3), fans=5), TypeError, "fans"),
    ("fans negative", lambda: xavier.glorot_uniform((3, 3), fans=(-1, 3)), ValueError, "fans"),
    ("fans float", lambda: xavier.glorot_normal((3, 3), fans=(1.5, 3)), TypeError, "fans"),
    ("fans bool", lambda: xavier.glorot_normal((3, 3), fans=(True, 3)), TypeError, "fans"),
    ("fans zero", lambda: xavier.glorot_uniform((3, 3), fans=(0, 0)), ValueError, "fan"),
    ("fans zero normal", lambda: xavier.glorot_normal((2, 2, 2), fans=[0, 0]), ValueError,
     "fan"),
    # uniform bounds
    ("low > high", lambda: xavier.uniform(3, 1.0, 0.0), ValueError, "low"),
    ("low nan", lambda: xavier.uniform(3, float("nan"), 1.0), ValueError, "low"),
    ("high nan", lambda: xavier.uniform(3, 0.0, float("nan")), ValueError, "high"),
    ("low -inf", lambda: xavier.uniform(3, -math.inf, 1.0), ValueError, "low"),
    ("high inf", lambda: xavier.uniform(3, 0.0, math.inf), ValueError, "high"),
    ("low str", lambda: xavier.uniform(3, "0", 1.0), TypeError, "low"),
    ("high None", lambda: xavier.uniform(3, 0.0, None), TypeError, "high"),
    ("f32 range overflow", lambda: xavier.uniform(3, -3e38, 3e38, dtype=F32), ValueError,
     "high - low"),
    ("f32 bound overflow", lambda: xavier.uniform(3, 0.0, 1e39, dtype=F32), ValueError, "high"),
    ("f64 range overflow", lambda: xavier.uniform(3, -1e308, 1e308, dtype=F64), ValueError,
     "high - low"),
    # normal parameters
    ("std negative", lambda: xavier.normal(3, 0.0, -1.0), ValueError, "std"),
    ("std nan", lambda: xavier.normal(3, 0.0, float("nan")), ValueError, "std"),
    ("std inf", lambda: xavier.normal(3, 0.0, math.inf), ValueError, "std"),
    ("mean nan", lambda: xavier.normal(3, float("nan"), 1.0), ValueError, "mean"),
    ("mean inf", lambda: xavier.normal(3, math.inf, 1.0), ValueError, "mean"),
    ("std str", lambda: xavier.normal(3, 0.0, "1"), TypeError, "std"),
    ("f32 normal overflow", lambda: xavier.normal(3, 0.0, 1e38, dtype=F32), ValueError, "std"),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in BAD_INPUTS],
                         ids=[c[0] for c in BAD_INPUTS])
def test_bad_input(call, exc, match, monkeypatch):
    # errors are raised up front: the core never starts filling
    calls = []
    monkeypatch.setattr(xavier._core, "fill", lambda *a, **k: calls.append(a))
    # a clean exception, with no warning on the way (e.g. an overflowing cast)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(exc, match=match):
            call()
    assert calls == []


# ---- threads ----------------------------------------------------------------------

HUGE_THREADS = {"1e9": 10**9, "1e10": 10**10, "1e400": 10**400, "2**31": 2**31, "2**63": 2**63,
                "uint64 max": np.uint64(2**64 - 1)}


def test_max_useful_threads():
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    assert _checks.max_useful_threads() == _checks.THREADS_PER_CPU * cpus


def test_check_threads():
    cap = _checks.max_useful_threads()
    assert _checks.check_threads(None) == max(1, xavier.config()["default_threads"])
    assert (_checks.check_threads(np.int64(2)) == 2
            and type(_checks.check_threads(np.int64(2))) is int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _checks.check_threads(cap) == cap  # no warning at the cap
    with pytest.warns(RuntimeWarning, match=rf"threads .* using {cap}\b"):
        assert _checks.check_threads(10**400) == cap
    with pytest.raises(ValueError, match="threads"):
        _checks.check_threads(-10**400)


@pytest.mark.parametrize("threads", HUGE_THREADS.values(), ids=HUGE_THREADS.keys())
def test_huge_thread_counts_are_clamped(threads):
    cap = _checks.max_useful_threads()
    shape = (4096, 1024)  # 64 blocks: OpenMP would start 64 threads if asked
    ref = xavier.glorot_uniform(shape, seed=5, threads=1)
    with pytest.warns(RuntimeWarning, match=rf"threads .* using {cap}\b") as w:
        got = xavier.glorot_uniform(shape, seed=5, threads=threads)
    assert w[0].filename == __file__  # the warning points at the caller's line
    np.testing.assert_array_equal(got, ref)


COUNT_THREADS = r"""
import json, os, warnings, numpy as np, xavier
from xavier import _checks
if hasattr(os, "sched_setaffinity"):  # one CPU: the cap is THREADS_PER_CPU
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
warnings.simplefilter("ignore", RuntimeWarning)
out = np.empty((4096, 1024), np.float32)  # 64 blocks: up to 64 threads
ref = xavier.glorot_uniform(out.shape, seed=1, threads=1)
base, peak, same = len(os.listdir("/proc/self/task")), 0, True
for t in (10**9, 10**10, 10**400, 2**31, 2**63):
    xavier.glorot_uniform(out.shape, out=out, seed=1, threads=t)
    same &= bool((out == ref).all())
    peak = max(peak, len(os.listdir("/proc/self/task")))
print(json.dumps({"cap": _checks.max_useful_threads(), "base": base, "peak": peak, "same": same,
                  "pinned": hasattr(os, "sched_setaffinity")}))
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_clamped_fills_start_no_more_threads_than_the_cap(tmp_path):
    # run outside the source tree, so the installed package is the one imported
    res = subprocess.run([sys.executable, "-c", COUNT_THREADS], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    if got["pinned"]:
        assert got["cap"] == _checks.THREADS_PER_CPU
    assert got["same"]
    # the main thread and at most cap - 1 pool helpers (plus a little slack)
    assert got["peak"] <= got["base"] + got["cap"] + 1, got


# ---- planned calls (the fast path of repeated fills into out=) -------------------

from xavier import _presets  # noqa: E402

PLAN_PRESETS = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                "lecun_normal", "variance_scaling"]
LOOK_ALIKES = {   # values equal (and hashing alike) to a plain one, with other meanings or none
    "gain": [1.0, 1, True, np.float64(1.0), np.float32(1.0), Fraction(1), Decimal(1), "1", None],
    "shape": [(6, 5), (np.int64(6), 5), (True, 5), [6, 5], (6.0, 5), (6, 5, 1), (5, 6), None],
    "dtype": [None, "float32", np.float32, np.dtype(np.float32), "float64", float],
    "layout": [None, "keras", "torch", 1],
    "threads": [None, 1, 2, True, 0, 10**10, 2.0],
    "seed": [3, True, 3.0, np.int64(3), -3, 2**70],
    # (each list ends with a valid value, which leaves a plan made)
    "scale": [0.0, -0.0, 0, False, np.float64(-0.0), True, 1, 1.0],
    "truncated": [False, 0, None, 1, True, np.bool_(True)],
    "mode": ["fan_in", "FAN_IN", 1, None, "fan_out"],
    "distribution": ["uniform", "UNIFORM", None, "untruncated_normal", "normal"],
}
OUTS = {
    "c": lambda: np.zeros((6, 5), np.float32),
    "f": lambda: np.zeros((6, 5), np.float32, order="F"),
    "read-only": lambda: np.zeros((6, 5), np.float32),
    "other shape": lambda: np.zeros((5, 6), np.float32),
    "float64": lambda: np.zeros((6, 5), np.float64),
    "strided": lambda: np.zeros((12, 5), np.float32)[::2],
}


def _planned_outcome(fn, arg, value, out_kind):
    out = OUTS[out_kind]()
    if out_kind == "read-only":
        out.flags.writeable = False
    kwargs = {"shape": (6, 5), "seed": 3, "out": out, arg: value}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = getattr(xavier, fn)(**kwargs)
        return ("ok", got.dtype.str, got.tobytes())
    except (TypeError, ValueError) as e:
        return (type(e).__name__, str(e))


@pytest.mark.parametrize("fn, arg", [
    (fn, arg) for fn in PLAN_PRESETS for arg in LOOK_ALIKES
    if arg in inspect.signature(getattr(xavier, fn)).parameters])
def test_a_planned_call_is_the_unplanned_call(fn, arg):
    """Whether an equal call made a plan before never changes a call's values
    or its error: every look-alike argument each preset takes, every kind of out=."""
    for value in LOOK_ALIKES[arg]:
        for out_kind in OUTS:
            _presets._PLANS.clear()
            cold = _planned_outcome(fn, arg, value, out_kind)
            _presets._PLANS.clear()   # (the cold call may have planned itself)
            for warm in LOOK_ALIKES[arg][:1] + [value]:   # a plain call, then this one
                _planned_outcome(fn, arg, warm, "c")
            assert _planned_outcome(fn, arg, value, out_kind) == cold, (value, out_kind)
    assert _presets._PLANS   # plans were made (the path under test ran)
