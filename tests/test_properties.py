"""Property-based tests (hypothesis): the stream's invariants over generated requests.

For shapes of any rank (zero-size, and sizes around group, lane and block
boundaries), every dtype, layouts (Keras and PyTorch fans), gains, seeds (0, 2**64 - 1, huge ints,
SeedSequences), thread counts and ``out=`` buffers (contiguous, Fortran,
strided views, memmaps, torch tensors):

* the values do not depend on ``threads``, on ``out=`` versus a new array, or
  on which sub-range of the stream a fill covers;
* every value is finite and within the distribution's bounds;
* rejected input raises TypeError / ValueError naming the argument.
"""
import math
import os
import tempfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from support import hypothesis_settings, output_dtypes  # noqa: E402

import xavier  # noqa: E402
from xavier import _core  # noqa: E402

SETTINGS = hypothesis_settings(60, HealthCheck.data_too_large)

DTYPES = output_dtypes()

EDGES = [0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129]
BLOCK = int(_core.BLOCK)
MAX_ELEMS = 300_000

dims = st.one_of(st.sampled_from(EDGES), st.integers(0, 300))
shapes = st.lists(dims, min_size=0, max_size=4).map(tuple).filter(
    lambda s: math.prod(s) <= MAX_ELEMS)
# 1-D sizes straddling block boundaries (the partial groups at both ends)
block_sizes = st.builds(lambda k, d: max(0, k * BLOCK + d), st.integers(1, 4), st.integers(-40, 40))
seeds = st.one_of(st.sampled_from([0, 1, 2**32, 2**63, 2**64 - 1, 2**64, 10**40]),
                  st.integers(0, 2**128),
                  st.integers(0, 2**64).map(lambda s: np.random.SeedSequence(s)))
threads = st.sampled_from([None, 1, 2, 3, 4])
gains = st.one_of(st.sampled_from([0.0, 1.0, 5 / 3, math.sqrt(2)]),
                  st.floats(0.0, 100.0, allow_nan=False))


def _call(kind, shape, dtype, seed, t, out=None, **kw):
    """One sampler call, by name; returns the array (or `out`)."""
    fn = getattr(xavier, kind)
    return fn(shape, dtype=dtype, seed=seed, threads=t, out=out, **kw)


def _bounds(kind, shape, kw):
    """(low, high) every value must lie in (inclusive; None: unbounded)."""
    if kind == "uniform":
        return kw["low"], kw["high"]
    if kind == "truncated_normal":
        return kw["a"], kw["b"]
    if kind in ("glorot_uniform", "he_uniform", "lecun_uniform"):
        fan_in, fan_out = xavier.compute_fans(shape, layout=kw.get("layout"))
        n = {"glorot_uniform": (fan_in + fan_out) / 2}.get(kind, fan_in)
        scale = {"glorot_uniform": kw.get("gain", 1.0) ** 2, "he_uniform": 2.0}.get(kind, 1.0)
        a = math.sqrt(3.0 * scale / max(1.0, n))
        return -a, a
    return None, None


layouts = st.sampled_from([None, "keras", "torch"])
samplers = st.one_of(
    st.tuples(st.just("glorot_uniform"),
              st.fixed_dictionaries({"gain": gains, "layout": layouts})),
    st.tuples(st.just("glorot_normal"),
              st.fixed_dictionaries({"gain": gains, "truncated": st.booleans(),
                                     "layout": layouts})),
    st.tuples(st.just("he_uniform"), st.fixed_dictionaries({"layout": layouts})),
    st.tuples(st.just("he_normal"),
              st.fixed_dictionaries({"truncated": st.booleans(), "layout": layouts})),
    st.tuples(st.just("lecun_uniform"), st.fixed_dictionaries({"layout": layouts})),
    st.tuples(st.just("lecun_normal"), st.fixed_dictionaries({"layout": layouts})),
    st.tuples(st.just("uniform"),
              st.tuples(st.floats(-100, 100), st.floats(0, 50)).map(
                  lambda t: {"low": t[0], "high": t[0] + t[1]})),
    st.tuples(st.just("normal"),
              st.fixed_dictionaries({"mean": st.floats(-10, 10), "std": st.floats(0, 10)})),
    st.tuples(st.just("truncated_normal"),
              st.tuples(st.floats(-3, 3), st.floats(0.01, 3), st.floats(-4, 3.9),
                        st.floats(0.1, 4)).map(
                  lambda t: {"mean": t[0], "std": t[1], "a": t[0] + t[1] * t[2],
                             "b": t[0] + t[1] * (t[2] + t[3])})),
)


def _usable(kind, shape, kw):
    """Requests that are valid: the fan-based presets need fans > 0 at rank >= 1."""
    if kind in ("uniform", "normal", "truncated_normal"):
        return True
    try:
        fan_in, fan_out = xavier.compute_fans(shape, layout=kw.get("layout"))
    except (TypeError, ValueError):
        return False
    return fan_in > 0 and fan_out > 0


# a generated request: sampler and its options, shape, dtype, seed, threads
REQUESTS = given(sampler=samplers, shape=shapes, dtype=st.sampled_from(DTYPES), seed=seeds,
                 t=threads)


def _bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}")


def _reference(sampler, shape, dtype, seed):
    """The single-threaded result of a valid request, or None for a request
    the API rightly rejects (e.g. a float16 normal whose std overflows)."""
    kind, kw = sampler
    assume(_usable(kind, shape, kw))
    try:
        return _call(kind, shape, dtype, seed, 1, **kw)
    except ValueError as e:
        assert "dtype" in str(e) or "overflow" in str(e) or "mass" in str(e), e
        return None


@SETTINGS
@REQUESTS
def test_thread_invariance_and_bounds(sampler, shape, dtype, seed, t):
    kind, kw = sampler
    one = _reference(sampler, shape, dtype, seed)
    if one is None:
        return
    many = _call(kind, shape, dtype, seed, t, **kw)
    assert one.shape == shape and str(one.dtype) == dtype
    np.testing.assert_array_equal(_bits(one), _bits(many))
    x = one.astype(np.float64)
    assert np.isfinite(x).all()
    lo, hi = _bounds(kind, shape, kw)
    if x.size and lo is not None:
        eps = np.finfo(np.float16).eps if dtype in ("float16", "bfloat16") else 1e-6
        if dtype == "bfloat16":
            eps = 2.0**-7
        slack = eps * max(abs(lo), abs(hi), 1e-30)
        assert x.min() >= lo - slack and x.max() <= hi + slack


def _out_buffers(shape, dtype, tmpdir):
    """Writable buffers of `shape`/`dtype`: contiguous, Fortran, strided view, memmap."""
    dt = xavier._checks.check_dtype(dtype)
    yield "contiguous", np.empty(shape, dt)
    yield "fortran", np.empty(shape, dt, order="F")
    if shape:
        big = np.zeros(tuple(2 * d + 1 for d in shape), dt)
        yield "strided", big[tuple(slice(1, None, 2) for _ in shape)]
    if math.prod(shape) > 0:
        path = os.path.join(tmpdir, "m.dat")
        yield "memmap", np.memmap(path, dtype=dt, mode="w+", shape=shape)


@SETTINGS
@REQUESTS
def test_out_buffers_get_the_values_of_a_new_array(sampler, shape, dtype, seed, t):
    kind, kw = sampler
    ref = _reference(sampler, shape, dtype, seed)
    if ref is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, buf in _out_buffers(shape, dtype, tmp):
            got = _call(kind, shape, dtype, seed, t, out=buf, **kw)
            assert got is buf, name
            np.testing.assert_array_equal(_bits(np.ascontiguousarray(buf)), _bits(ref),
                                          err_msg=name)
            del got, buf


@SETTINGS
@given(kind=st.integers(0, 11),
       n=st.one_of(block_sizes, st.integers(0, 5000)), data=st.data(), seed=seeds,
       t=st.integers(1, 4))
def test_any_sub_range_equals_the_slice_of_the_whole(kind, n, data, seed, t):
    """_core.fill of elements [a, b) equals elements a..b of one fill from 0."""
    dtype = [np.float32, np.float64, np.float16, np.uint16][kind % 4]
    params = [(-1.5, 2.5), (0.5, 3.0), (0.0, 1.0, -0.7, 2.2)][kind // 4]
    key = xavier._seeds.seed_key(seed)
    whole = np.empty(n, dtype)
    _core.fill(whole, key, kind, params, 0, 1)
    a = data.draw(st.integers(0, n), label="a")
    b = data.draw(st.integers(a, n), label="b")
    part = np.empty(b - a, dtype)
    _core.fill(part, key, kind, params, a, t)
    np.testing.assert_array_equal(_bits(part), _bits(whole[a:b]))


@SETTINGS
@given(shape=st.lists(st.sampled_from([1, 2, 3, 16, 17, 33]), min_size=2, max_size=4).map(tuple),
       dtype=st.sampled_from(["float32", "float64", "float16", "bfloat16"]),
       gain=gains, seed=st.integers(0, 2**64 - 1), t=threads,
       fn=st.sampled_from(["xavier_uniform_", "xavier_normal_"]),
       transposed=st.booleans())
def test_torch_tensors_filled_in_place(shape, dtype, gain, seed, t, fn, transposed):
    torch = pytest.importorskip("torch")
    import xavier.torch as xt

    tensor = torch.empty(shape, dtype=getattr(torch, dtype))
    if transposed:
        tensor = tensor.transpose(0, 1)  # non-contiguous
    ptr = tensor.data_ptr()
    getattr(xt, fn)(tensor, gain, seed=seed, threads=t)
    assert tensor.data_ptr() == ptr
    again = torch.empty(tuple(tensor.shape), dtype=tensor.dtype)
    getattr(xt, fn)(again, gain, seed=seed, threads=1)
    assert torch.equal(tensor, again)
    assert bool(torch.isfinite(tensor.float()).all())


# ---- rejected input -------------------------------------------------------------

bad_threads = st.one_of(st.integers(max_value=0), st.floats(allow_nan=True),
                        st.just(True), st.text(max_size=3))
bad_seeds = st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=3),
                      st.just(True), st.lists(st.integers(), max_size=2))
bad_gains = st.one_of(st.floats(max_value=-1e-300), st.just(float("nan")), st.just(float("inf")),
                      st.text(max_size=3))
bad_shapes = st.one_of(st.lists(st.integers(-5, 5), min_size=1, max_size=3).filter(
    lambda s: min(s) < 0).map(tuple), st.just((2.5, 3)), st.just("3"))


@SETTINGS
@given(bad=st.one_of(st.tuples(st.just("threads"), bad_threads),
                     st.tuples(st.just("seed"), bad_seeds),
                     st.tuples(st.just("gain"), bad_gains),
                     st.tuples(st.just("shape"), bad_shapes),
                     st.tuples(st.just("dtype"), st.sampled_from(
                         [np.int32, np.complex64, "int8", "float128", object, "nope"]))))
def test_rejected_input_names_the_argument(bad):
    name, value = bad
    kw = {"threads": 1, "seed": 0, "gain": 1.0, "shape": (4, 5), "dtype": np.float32}
    kw[name] = value
    shape = kw.pop("shape")
    with pytest.raises((TypeError, ValueError)) as e:
        xavier.glorot_uniform(shape, **kw)
    assert name in str(e.value) or (name == "gain" and "gain" in str(e.value)), str(e.value)
