"""Tests of the Python API layer: fans, Xavier presets, out=, seeds, threads,
argument validation and configuration reporting.

Expected values are written out literally (fan tables) or derived from the
documented formulas, never from the code under test.
"""
import math
import warnings

import numpy as np
import pytest

import xavier

F32, F64 = np.float32, np.float64
DTYPES = [F32, F64]

BLOCK = 65536  # elements per block of the core stream


def _key(x):
    return np.asarray(x).tobytes()


# ---- 1. fan tables -----------------------------------------------------------

# Keras rule (keras.src.initializers.random_initializers.compute_fans):
#   0-D -> (1, 1); 1-D (n,) -> (n, n); 2-D (in, out) -> (in, out);
#   N-D (..., in, out) -> (in * rf, out * rf), rf = prod(leading dims).
KERAS_FANS = [
    ((), (1, 1)),
    ((7,), (7, 7)),
    (9, (9, 9)),                        # an int is a 1-D shape
    ((784, 256), (784, 256)),           # Dense
    ([4, 6], (4, 6)),                   # a list works too
    ((1, 1), (1, 1)),
    ((5, 16, 32), (80, 160)),           # Conv1D (k, in, out)
    ((3, 3, 64, 128), (576, 1152)),     # Conv2D (kh, kw, in, out)
    ((1, 1, 64, 128), (64, 128)),       # 1x1 Conv2D
    ((7, 5, 3, 8), (105, 280)),         # non-square Conv2D
    ((3, 3, 3, 16, 32), (432, 864)),    # Conv3D (kd, kh, kw, in, out)
    ((2, 3, 4, 5, 6, 7), (720, 840)),   # 6-D: rf = 120
    ((0,), (0, 0)),
    ((0, 5), (0, 5)),
    ((2, 0, 4), (0, 8)),
    ((5, 7, 0, 4), (0, 140)),
]

# torch.nn.init._calculate_fan_in_and_fan_out: (out, in, *kernel),
#   fan_in = in * rf, fan_out = out * rf, rf = prod(kernel).
TORCH_FANS = [
    ((256, 784), (784, 256)),           # Linear(784, 256).weight
    ((10, 20), (20, 10)),
    ((1, 1), (1, 1)),
    ((16, 8, 5), (40, 80)),             # Conv1d(8, 16, 5)
    ((128, 64, 3, 3), (576, 1152)),     # Conv2d(64, 128, 3)
    ((64, 32, 3, 3), (288, 576)),       # Conv2d(32, 64, 3)
    ((32, 64, 4, 4), (1024, 512)),      # ConvTranspose2d(32, 64, 4): (in, out, k, k)
    ((8, 4, 3, 3, 3), (108, 216)),      # Conv3d(4, 8, 3)
    ((6, 5, 4, 3, 2, 1), (120, 144)),   # 6-D: rf = 24
    ((0, 5), (5, 0)),
    ((3, 4, 0), (0, 0)),
]


@pytest.mark.parametrize("shape, expected", KERAS_FANS, ids=repr)
def test_compute_fans_keras(shape, expected):
    assert xavier.compute_fans(shape, "keras") == expected
    # "keras" is the default layout
    assert xavier.compute_fans(shape) == expected


@pytest.mark.parametrize("shape, expected", TORCH_FANS, ids=repr)
def test_compute_fans_torch(shape, expected):
    assert xavier.compute_fans(shape, layout="torch") == expected


@pytest.mark.parametrize("shape", [(), (5,), 5, (0,)], ids=repr)
def test_compute_fans_torch_needs_two_dims(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        xavier.compute_fans(shape, layout="torch")


@pytest.mark.parametrize("layout", ["keras", "torch"])
@pytest.mark.parametrize("shape", [(3, 4), (np.int64(3), np.int32(4)), np.array([3, 4]),
                                   (2, 3, 4, 5), (np.uint8(2), 3, 4, 5)], ids=repr)
def test_compute_fans_returns_python_ints(shape, layout):
    fans = xavier.compute_fans(shape, layout)
    assert isinstance(fans, tuple) and len(fans) == 2
    assert all(type(f) is int for f in fans)


@pytest.mark.parametrize("shape", [
    (784, 256), (256, 784), (1, 1), (0, 5), (5, 0),
    (16, 8, 5), (1, 3, 7),
    (128, 64, 3, 3), (64, 32, 3, 3), (32, 64, 4, 4), (3, 2, 1, 7), (5, 0, 3, 3),
    (8, 4, 3, 3, 3), (2, 3, 5, 7, 11),
], ids=repr)
def test_compute_fans_torch_matches_pytorch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert xavier.compute_fans(shape, layout="torch") == tuple(expected)


# ---- 2. Xavier formulas ------------------------------------------------------

def _a(gain, fan_in, fan_out):
    return gain * math.sqrt(6 / (fan_in + fan_out))


def _s(gain, fan_in, fan_out):
    return gain * math.sqrt(2 / (fan_in + fan_out))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gain", [1.0, 2.5, 0.1])
def test_glorot_uniform_range_and_limit(dtype, gain):
    shape = (1000, 1000)  # keras fans (1000, 1000)
    a = _a(gain, 1000, 1000)
    w = xavier.glorot_uniform(shape, gain, dtype=dtype, seed=11)
    assert w.shape == shape and w.dtype == dtype
    lo, hi = dtype(-a), dtype(a)  # the bounds as the dtype holds them
    assert w.min() >= lo
    assert w.max() < hi
    assert np.abs(w).max() > 0.99 * a
    # roughly symmetric and uniform: mean ~ 0, var ~ a^2 / 3
    n = w.size
    assert abs(float(w.mean(dtype=np.float64))) < 6 * a / math.sqrt(3 * n)
    assert float(w.var(dtype=np.float64)) == pytest.approx(a * a / 3, rel=0.01)


def test_glorot_uniform_default_dtype_is_float32():
    assert xavier.glorot_uniform((3, 4), seed=0).dtype == np.float32
    assert xavier.glorot_normal((3, 4), seed=0).dtype == np.float32
    assert xavier.uniform((3, 4), seed=0).dtype == np.float32
    assert xavier.normal((3, 4), seed=0).dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gain", [1.0, 3.0])
def test_glorot_normal_std(dtype, gain):
    shape = (1024, 1024)  # 2**20 elements, keras fans (1024, 1024)
    s = _s(gain, 1024, 1024)
    w = xavier.glorot_normal(shape, gain, dtype=dtype, seed=5)
    assert w.shape == shape and w.dtype == dtype
    n = w.size
    # sample std has relative sd 1/sqrt(2n) ~ 7e-4; allow ~7 sigma
    assert float(w.std(dtype=np.float64)) == pytest.approx(s, rel=0.005)
    assert abs(float(w.mean(dtype=np.float64))) < 6 * s / math.sqrt(n)
    # Normal, not truncated: about 4.55% of |z| > 2 sigma
    frac = float((np.abs(w) > 2 * s).mean())
    assert frac == pytest.approx(0.0455, abs=0.002)


@pytest.mark.parametrize("fans", [(10, 20), (1, 1), (5000, 3000), [7, 0]], ids=repr)
def test_fans_override_changes_scale(fans):
    shape = (1000, 1000)
    fi, fo = fans
    a = _a(1.0, fi, fo)
    w = xavier.glorot_uniform(shape, fans=fans, dtype=F64, seed=2)
    assert w.min() >= -a and w.max() < a
    assert np.abs(w).max() > 0.99 * a
    assert np.array_equal(w, xavier.uniform(shape, -a, a, dtype=F64, seed=2))
    # the override wins over the layout
    assert np.array_equal(w, xavier.glorot_uniform(shape, fans=fans, layout="torch",
                                                   dtype=F64, seed=2))
    s = _s(1.0, fi, fo)
    z = xavier.glorot_normal(shape, fans=fans, dtype=F64, seed=2)
    assert float(z.std()) == pytest.approx(s, rel=0.005)
    assert np.array_equal(z, xavier.normal(shape, 0.0, s, dtype=F64, seed=2))


def test_fans_override_accepts_numpy_ints():
    a = _a(1.0, 10, 20)
    w = xavier.glorot_uniform((50, 60), fans=(np.int64(10), np.uint16(20)), seed=1)
    assert np.array_equal(w, xavier.uniform((50, 60), -a, a, seed=1))
    w2 = xavier.glorot_uniform((50, 60), fans=np.array([10, 20]), seed=1)
    assert np.array_equal(w, w2)


def test_layout_keras_vs_torch_use_their_own_fans():
    shape = (64, 32, 3, 3)
    # keras reads it as (kh=64, kw=32, in=3, out=3): rf = 2048 -> (6144, 6144)
    # torch reads it as (out=64, in=32, 3, 3): rf = 9 -> (288, 576)
    a_keras = _a(1.0, 6144, 6144)
    a_torch = _a(1.0, 288, 576)
    wk = xavier.glorot_uniform(shape, dtype=F64, seed=3)  # default layout: keras
    wt = xavier.glorot_uniform(shape, dtype=F64, seed=3, layout="torch")
    assert np.abs(wk).max() < a_keras and np.abs(wk).max() > 0.99 * a_keras
    assert np.abs(wt).max() < a_torch and np.abs(wt).max() > 0.99 * a_torch
    # same stream, different scale: the ratio is the ratio of the limits
    np.testing.assert_allclose(wt, wk * (a_torch / a_keras), rtol=1e-12, atol=1e-15)

    zk = xavier.glorot_normal(shape, dtype=F64, seed=3, layout="keras")
    zt = xavier.glorot_normal(shape, dtype=F64, seed=3, layout="torch")
    assert np.array_equal(zk, xavier.normal(shape, 0, _s(1.0, 6144, 6144), dtype=F64, seed=3))
    assert np.array_equal(zt, xavier.normal(shape, 0, _s(1.0, 288, 576), dtype=F64, seed=3))


@pytest.mark.parametrize("fn", [xavier.glorot_uniform, xavier.glorot_normal])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gain_zero_gives_zeros(fn, dtype):
    w = fn((300, 200), 0.0, dtype=dtype, seed=1)
    assert w.shape == (300, 200) and w.dtype == dtype
    assert not np.any(w)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout, shape, fans", [
    ("keras", (784, 256), (784, 256)),
    ("keras", (3, 3, 64, 128), (576, 1152)),
    ("keras", (300,), (300, 300)),
    ("torch", (256, 784), (784, 256)),
    ("torch", (128, 64, 3, 3), (576, 1152)),
    ("torch", (8, 4, 3, 3, 3), (108, 216)),
], ids=repr)
@pytest.mark.parametrize("gain", [1.0, 0.5, math.sqrt(2)])
def test_glorot_equals_generic_sampler(dtype, layout, shape, fans, gain):
    fi, fo = fans
    for seed in (0, 12345):
        u = xavier.glorot_uniform(shape, gain, dtype=dtype, seed=seed, layout=layout)
        a = _a(gain, fi, fo)
        assert np.array_equal(u, xavier.uniform(shape, -a, a, dtype=dtype, seed=seed))
        z = xavier.glorot_normal(shape, gain, dtype=dtype, seed=seed, layout=layout)
        s = _s(gain, fi, fo)
        assert np.array_equal(z, xavier.normal(shape, 0.0, s, dtype=dtype, seed=seed))


def test_gain_accepts_numpy_and_int_scalars():
    ref = xavier.glorot_uniform((40, 30), 2.0, seed=4)
    for g in (2, np.float32(2.0), np.float64(2.0), np.int64(2)):
        assert np.array_equal(xavier.glorot_uniform((40, 30), g, seed=4), ref)


# ---- 3. out= semantics -------------------------------------------------------

SAMPLERS = {
    "uniform": lambda shape, **kw: xavier.uniform(shape, -2.0, 3.0, **kw),
    "normal": lambda shape, **kw: xavier.normal(shape, 1.0, 2.0, **kw),
    "glorot_uniform": lambda shape, **kw: xavier.glorot_uniform(shape, 1.5, **kw),
    "glorot_normal": lambda shape, **kw: xavier.glorot_normal(shape, 0.7, **kw),
    "glorot_uniform_torch": lambda shape, **kw: xavier.glorot_uniform(shape, layout="torch", **kw),
    "glorot_normal_torch": lambda shape, **kw: xavier.glorot_normal(shape, layout="torch", **kw),
}
SAMPLER_IDS = list(SAMPLERS)


@pytest.mark.parametrize("name", SAMPLER_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(300, 200), (3, 5, 7, 11), (BLOCK + 3, 2)], ids=repr)
def test_out_returns_same_object_and_values(name, dtype, shape):
    fn = SAMPLERS[name]
    out = np.full(shape, np.nan, dtype=dtype)
    r = fn(shape, dtype=dtype, seed=21, out=out)
    assert r is out
    ref = fn(shape, dtype=dtype, seed=21)
    assert ref.dtype == dtype and ref.shape == shape
    assert np.array_equal(out, ref)
    assert not np.isnan(out).any()


@pytest.mark.parametrize("name", SAMPLER_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_out_dtype_inferred_when_dtype_none(name, dtype):
    fn = SAMPLERS[name]
    shape = (64, 48)
    out = np.empty(shape, dtype=dtype)
    r = fn(shape, seed=9, out=out)  # dtype=None
    assert r is out and r.dtype == dtype
    assert np.array_equal(out, fn(shape, dtype=dtype, seed=9))
    # explicit matching dtype is fine too
    out2 = np.empty(shape, dtype=dtype)
    assert fn(shape, dtype=dtype, seed=9, out=out2) is out2
    assert np.array_equal(out2, out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_memmap(tmp_path, dtype):
    shape = (500, 300)
    path = tmp_path / "w.dat"
    mm = np.memmap(path, dtype=dtype, mode="w+", shape=shape)
    r = xavier.glorot_uniform(shape, out=mm, seed=8)
    assert r is mm
    ref = xavier.glorot_uniform(shape, dtype=dtype, seed=8)
    assert np.array_equal(np.asarray(mm), ref)
    mm.flush()
    del r, mm
    back = np.memmap(path, dtype=dtype, mode="r", shape=shape)
    assert np.array_equal(np.asarray(back), ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_open_memmap(tmp_path, dtype):
    shape = (70, 30, 3, 3)
    path = tmp_path / "w.npy"
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    r = xavier.xavier_normal_(mm, seed=3)
    assert r is mm
    mm.flush()
    ref = xavier.glorot_normal(shape, dtype=dtype, seed=3, layout="torch")
    assert np.array_equal(np.asarray(mm), ref)
    del r, mm
    assert np.array_equal(np.load(path), ref)


def _views(dtype):
    """(name, parent, view, mask of the parent that the view covers)."""
    res = []
    # transposed view: shape (1100, 1000) > 2**20 elements -> several chunks
    base = np.full((1000, 1100), -7.0, dtype=dtype)
    res.append(("transposed", base, base.T, np.ones(base.shape, bool)))
    # strided slice
    big = np.full((1100, 1400), -7.0, dtype=dtype)
    mask = np.zeros(big.shape, bool)
    mask[:, ::2] = True
    res.append(("strided", big, big[:, ::2], mask))
    # interior window of a larger buffer
    win = np.full((310, 220), -7.0, dtype=dtype)
    mask = np.zeros(win.shape, bool)
    mask[3:-4, 5:-6] = True
    res.append(("window", win, win[3:-4, 5:-6], mask))
    # reversed (negative strides)
    rev = np.full((257, 333), -7.0, dtype=dtype)
    res.append(("reversed", rev, rev[::-1, ::-1], np.ones(rev.shape, bool)))
    # every third element of a 1-D buffer, odd size spanning several blocks
    n = BLOCK * 3 + 17
    flat = np.full(3 * n, -7.0, dtype=dtype)
    mask = np.zeros(flat.shape, bool)
    mask[::3] = True
    res.append(("step3", flat, flat[::3], mask))
    # Fortran order (the array itself, nothing outside it)
    f = np.full((900, 1300), -7.0, dtype=dtype, order="F")
    res.append(("fortran", f, f, np.ones(f.shape, bool)))
    return res


@pytest.mark.parametrize("name", ["uniform", "normal", "glorot_uniform", "glorot_normal"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_out_non_contiguous(name, dtype):
    fn = SAMPLERS[name]
    for vname, parent, view, mask in _views(dtype):
        assert not view.flags.c_contiguous, vname
        r = fn(view.shape, dtype=dtype, seed=77, out=view)
        assert r is view, vname
        ref = fn(view.shape, dtype=dtype, seed=77)
        assert ref.flags.c_contiguous
        assert np.array_equal(view, ref), vname
        # the parent buffer outside the view is untouched
        assert np.all(parent[~mask] == -7.0), vname


@pytest.mark.parametrize("name", ["uniform", "normal", "glorot_uniform", "glorot_normal"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [BLOCK * 3 + 17, 1001], ids=repr)
def test_out_misaligned(name, dtype, n):
    fn = SAMPLERS[name]
    item = np.dtype(dtype).itemsize
    buf = bytearray(item * n + 2)
    buf[0] = 0xAB
    buf[-1] = 0xCD
    arr = np.frombuffer(buf, dtype=dtype, count=n, offset=1)
    if not arr.flags.writeable:
        arr.setflags(write=True)
    assert not arr.flags.aligned
    r = fn((n,), dtype=dtype, seed=123, out=arr)
    assert r is arr
    assert np.array_equal(arr, fn((n,), dtype=dtype, seed=123))
    assert buf[0] == 0xAB and buf[-1] == 0xCD


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(256, 784), (64, 32, 3, 3), (8, 4, 3, 3, 3)], ids=repr)
def test_inplace_fills_with_torch_layout(dtype, shape):
    arr = np.full(shape, np.nan, dtype=dtype)
    r = xavier.xavier_uniform_(arr, seed=7)
    assert r is arr
    assert np.array_equal(arr, xavier.glorot_uniform(shape, dtype=dtype, seed=7, layout="torch"))
    arr2 = np.full(shape, np.nan, dtype=dtype)
    r = xavier.xavier_normal_(arr2, 2.0, seed=7)
    assert r is arr2
    assert np.array_equal(arr2, xavier.glorot_normal(shape, 2.0, dtype=dtype, seed=7,
                                                     layout="torch"))
    # layout can be overridden
    arr3 = np.empty(shape, dtype=dtype)
    xavier.xavier_uniform_(arr3, 0.5, seed=7, layout="keras", threads=1)
    assert np.array_equal(arr3, xavier.glorot_uniform(shape, 0.5, dtype=dtype, seed=7))


def test_inplace_non_contiguous():
    big = np.full((200, 3000), -1.0, dtype=F32)
    view = big[:, 1::3]  # (200, 1000), torch Linear(1000, 200)
    assert xavier.xavier_uniform_(view, seed=1) is view
    assert np.array_equal(view, xavier.glorot_uniform((200, 1000), layout="torch", seed=1))
    assert np.all(big[:, 0::3] == -1.0) and np.all(big[:, 2::3] == -1.0)


# ---- 4. zero-size and 0-D shapes --------------------------------------------

ZERO_SHAPES = [(0,), (0, 5), (3, 0, 2), (5, 0)]


@pytest.mark.parametrize("name", SAMPLER_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ZERO_SHAPES, ids=repr)
def test_zero_size_shapes(name, dtype, shape):
    fn = SAMPLERS[name]
    if name.endswith("_torch") and len(shape) < 2:
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            fn(shape, dtype=dtype, seed=1)
        return
    r = fn(shape, dtype=dtype, seed=1)
    assert isinstance(r, np.ndarray)
    assert r.shape == shape and r.dtype == dtype and r.size == 0
    out = np.empty(shape, dtype=dtype)
    assert fn(shape, seed=1, out=out) is out
    assert fn(shape, seed=None, dtype=dtype).shape == shape


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_size_inplace(dtype):
    arr = np.empty((0, 4, 3, 3), dtype=dtype)
    assert xavier.xavier_uniform_(arr, seed=0) is arr
    assert xavier.xavier_normal_(arr, seed=0) is arr


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_dim_shape(dtype):
    u = xavier.uniform((), -1.0, 1.0, dtype=dtype, seed=4)
    assert isinstance(u, np.ndarray) and u.shape == () and u.dtype == dtype
    assert -1.0 <= float(u) < 1.0
    z = xavier.normal((), dtype=dtype, seed=4)
    assert z.shape == () and z.dtype == dtype and np.isfinite(z)
    # keras: a 0-D weight has fans (1, 1) -> a = sqrt(3), s = 1
    gu = xavier.glorot_uniform((), dtype=dtype, seed=4)
    assert gu.shape == () and abs(float(gu)) < math.sqrt(3)
    assert np.array_equal(gu, xavier.uniform((), -math.sqrt(3), math.sqrt(3), dtype=dtype, seed=4))
    gn = xavier.glorot_normal((), dtype=dtype, seed=4)
    assert np.array_equal(gn, xavier.normal((), 0.0, 1.0, dtype=dtype, seed=4))
    # element 0 of the stream, like the first element of a 1-D request
    assert u == xavier.uniform(5, -1.0, 1.0, dtype=dtype, seed=4)[0]
    assert z == xavier.normal(6, dtype=dtype, seed=4)[0]
    out = np.full((), np.nan, dtype=dtype)
    assert xavier.glorot_uniform((), dtype=dtype, seed=4, out=out) is out
    assert out == gu


# ---- 5. seeds ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["uniform", "normal", "glorot_uniform", "glorot_normal"])
def test_seed_reproducible_and_distinct(name):
    fn = SAMPLERS[name]
    shape = (100, 50)
    a = fn(shape, seed=1)
    assert np.array_equal(a, fn(shape, seed=1))
    b = fn(shape, seed=2)
    assert not np.array_equal(a, b)
    # a different seed shares (almost) no values
    assert np.mean(a == b) < 0.01
    n1, n2 = fn(shape, seed=None), fn(shape, seed=None)
    assert not np.array_equal(n1, n2)
    n3 = fn(shape)  # default seed is None
    assert not np.array_equal(n1, n3)


def test_huge_seeds():
    outs = {}
    for seed in (0, 2**32, 2**63, 2**64 - 1, 2**64, 2**200, 3**300):
        a = xavier.uniform(1000, seed=seed)
        assert np.array_equal(a, xavier.uniform(1000, seed=seed))
        outs[seed] = _key(a)
    assert len(set(outs.values())) == len(outs)


@pytest.mark.parametrize("value", [0, 5, 123456789, 2**63 - 1])
def test_numpy_int_seeds_equal_python_int(value):
    ref = xavier.normal(777, seed=value)
    assert np.array_equal(xavier.normal(777, seed=np.int64(value)), ref)
    assert np.array_equal(xavier.normal(777, seed=np.uint64(value)), ref)
    if value < 2**31:
        assert np.array_equal(xavier.normal(777, seed=np.int32(value)), ref)


def test_uint64_max_seed():
    v = 2**64 - 1
    assert np.array_equal(xavier.uniform(300, seed=np.uint64(v)), xavier.uniform(300, seed=v))


def test_seed_sequence_equals_int_seed():
    ss = np.random.SeedSequence(5)
    for fn in (xavier.uniform, xavier.normal, xavier.glorot_uniform, xavier.glorot_normal):
        ref = fn((30, 20), seed=5)
        assert np.array_equal(fn((30, 20), seed=ss), ref)
        # reusing the same SeedSequence gives the same values again
        assert np.array_equal(fn((30, 20), seed=ss), ref)
    assert not np.array_equal(xavier.uniform(100, seed=np.random.SeedSequence(6)),
                              xavier.uniform(100, seed=5))


def test_seed_independent_of_dtype_call_path():
    # inplace and out= paths use the seed the same way as new arrays
    arr = np.empty((40, 30))
    xavier.xavier_uniform_(arr, seed=np.random.SeedSequence(99))
    assert np.array_equal(arr, xavier.glorot_uniform((40, 30), dtype=F64, seed=99,
                                                     layout="torch"))


# ---- 6. threads --------------------------------------------------------------

@pytest.mark.parametrize("name", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1000, 700), (BLOCK * 3 + 17,), (BLOCK - 1,), (BLOCK + 1,),
                                   (7,)], ids=repr)
def test_threads_do_not_change_values(name, dtype, shape):
    fn = SAMPLERS[name]
    ref = fn(shape, dtype=dtype, seed=31)
    for t in (1, 2, 3, 64, np.int64(2)):
        assert np.array_equal(fn(shape, dtype=dtype, seed=31, threads=t), ref), t


@pytest.mark.parametrize("dtype", DTYPES)
def test_threads_with_out_and_non_contiguous(dtype):
    shape = (1000, 700)
    ref = xavier.glorot_normal(shape, dtype=dtype, seed=3)
    for t in (1, 3, 64):
        out = np.empty(shape, dtype=dtype)
        xavier.glorot_normal(shape, dtype=dtype, seed=3, threads=t, out=out)
        assert np.array_equal(out, ref)
        tv = np.empty(shape[::-1], dtype=dtype).T
        xavier.glorot_normal(shape, dtype=dtype, seed=3, threads=t, out=tv)
        assert np.array_equal(tv, ref)
        w = np.empty(shape, dtype=dtype)
        xavier.xavier_normal_(w, seed=3, threads=t, layout="keras")
        assert np.array_equal(w, ref)


# ---- 7. bad input ------------------------------------------------------------

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


def test_torch_tensor_out_rejected():
    torch = pytest.importorskip("torch")
    t = torch.zeros(4, 5)
    with pytest.raises(TypeError, match="out"):
        xavier.uniform((4, 5), out=t)
    with pytest.raises(TypeError, match="out"):
        xavier.glorot_uniform((4, 5), out=t, dtype=F32)
    with pytest.raises(TypeError, match="array"):
        xavier.xavier_uniform_(t)
    assert not t.any()


def _readonly(shape, dtype):
    a = np.full(shape, 42.0, dtype=dtype)
    a.setflags(write=False)
    return a


# (description, out factory, call(out), exception, match)
OUT_ERRORS = [
    ("wrong dtype f64 vs f32", lambda: np.full((4, 5), 42.0, F64),
     lambda o: xavier.uniform((4, 5), dtype=F32, out=o), TypeError, "out"),
    ("wrong dtype f32 vs f64", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.glorot_normal((4, 5), dtype=F64, out=o), TypeError, "out"),
    ("int out, dtype None", lambda: np.full((4, 5), 42, np.int32),
     lambda o: xavier.uniform((4, 5), out=o), TypeError, "out"),
    ("int64 out, dtype None, glorot", lambda: np.full((4, 5), 42, np.int64),
     lambda o: xavier.glorot_uniform((4, 5), out=o), TypeError, "out"),
    ("uint16 out, dtype None", lambda: np.full((4, 5), 42, np.uint16),
     lambda o: xavier.normal((4, 5), out=o), TypeError, "out"),
    ("float16 out, dtype float32", lambda: np.full((4, 5), 42, np.float16),
     lambda o: xavier.normal((4, 5), dtype=F32, out=o), TypeError, "out"),
    ("byte-swapped out", lambda: np.full((4, 5), 42, np.dtype(F32).newbyteorder()),
     lambda o: xavier.uniform((4, 5), out=o), TypeError, "out"),
    ("wrong shape", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.uniform((5, 4), out=o), ValueError, "out"),
    ("wrong shape glorot", lambda: np.full((4, 5), 42.0, F64),
     lambda o: xavier.glorot_uniform((4, 5, 1), out=o), ValueError, "out"),
    ("wrong ndim", lambda: np.full((20,), 42.0, F32),
     lambda o: xavier.normal((4, 5), out=o), ValueError, "out"),
    ("read-only", lambda: _readonly((4, 5), F32),
     lambda o: xavier.uniform((4, 5), out=o), ValueError, "out"),
    ("read-only glorot", lambda: _readonly((4, 5), F64),
     lambda o: xavier.glorot_normal((4, 5), out=o), ValueError, "out"),
    ("read-only inplace", lambda: _readonly((4, 5), F32),
     lambda o: xavier.xavier_uniform_(o), ValueError, "read-only"),
    ("int inplace", lambda: np.full((4, 5), 42, np.int32),
     lambda o: xavier.xavier_normal_(o), TypeError, "dtype"),
    # other bad arguments with a good out: nothing may be written either
    ("threads 0 with out", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.uniform((4, 5), out=o, threads=0), ValueError, "threads"),
    ("seed -1 with out", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.normal((4, 5), out=o, seed=-1), ValueError, "seed"),
    ("gain nan with out", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.glorot_uniform((4, 5), math.nan, out=o), ValueError, "gain"),
    ("layout with out", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.glorot_normal((4, 5), out=o, layout="tf"), ValueError, "layout"),
    ("fans with out", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.glorot_normal((4, 5), out=o, fans=(1,)), TypeError, "fans"),
    ("low > high with out", lambda: np.full((4, 5), 42.0, F64),
     lambda o: xavier.uniform((4, 5), 2.0, 1.0, out=o), ValueError, "low"),
    ("std < 0 with out", lambda: np.full((4, 5), 42.0, F64),
     lambda o: xavier.normal((4, 5), 0.0, -1.0, out=o), ValueError, "std"),
    ("f32 overflow with out", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.uniform((4, 5), -3e38, 3e38, out=o), ValueError, "high - low"),
    ("inplace threads", lambda: np.full((4, 5), 42.0, F32),
     lambda o: xavier.xavier_uniform_(o, threads=-1), ValueError, "threads"),
    ("inplace 1-D torch", lambda: np.full((20,), 42.0, F32),
     lambda o: xavier.xavier_normal_(o), ValueError, "fewer than 2 dimensions"),
]


@pytest.mark.parametrize("make, call, exc, match", [c[1:] for c in OUT_ERRORS],
                         ids=[c[0] for c in OUT_ERRORS])
def test_out_errors_write_nothing(make, call, exc, match):
    out = make()
    before = out.copy()
    with pytest.raises(exc, match=match):
        call(out)
    assert np.array_equal(out, before)
    assert out.dtype == before.dtype


def test_out_errors_write_nothing_memmap(tmp_path):
    mm = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=F32, shape=(6, 7))
    mm[...] = 5.0
    with pytest.raises(ValueError, match="out"):
        xavier.uniform((7, 6), out=mm, seed=0)
    with pytest.raises(TypeError, match="out"):
        xavier.uniform((6, 7), dtype=F64, out=mm, seed=0)
    with pytest.raises(ValueError, match="seed"):
        xavier.uniform((6, 7), out=mm, seed=-5)
    assert np.all(mm == 5.0)


# ---- 8. configuration --------------------------------------------------------

def test_config_keys_and_values():
    c = xavier.config()
    expected = {"version", "stream_version", "openmp", "default_threads", "simd_path",
                "simd_paths", "numpy"}
    assert expected <= set(c)
    assert c["version"] == xavier.__version__
    assert isinstance(c["openmp"], bool)
    assert isinstance(c["default_threads"], int) and c["default_threads"] >= 1
    if not c["openmp"]:
        assert c["default_threads"] == 1
    assert isinstance(c["simd_path"], str) and c["simd_path"]
    assert c["simd_path"] in c["simd_paths"]
    assert c["numpy"] == np.__version__
    assert isinstance(c["stream_version"], int)


def test_show_config(capsys):
    assert xavier.show_config() is None
    text = capsys.readouterr().out
    c = xavier.config()
    lines = text.splitlines()
    assert any(xavier.__version__ in line for line in lines)
    assert any("OpenMP" in line for line in lines)
    threads_lines = [line for line in lines if "thread" in line.lower()]
    assert threads_lines and any(str(c["default_threads"]) in line for line in threads_lines)
    simd_lines = [line for line in lines if "SIMD" in line]
    assert simd_lines and any(c["simd_path"] in line for line in simd_lines)


# ---- 9. statistical sanity of xavier_uniform_ on a torch conv weight ---------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_xavier_uniform_torch_conv_limit(dtype, gain):
    w = np.empty((64, 32, 3, 3), dtype=dtype)  # Conv2d(32, 64, 3): fan_in 288, fan_out 576
    xavier.xavier_uniform_(w, gain, seed=2024)
    a = gain * math.sqrt(6.0 / (288 + 576))
    m = float(np.abs(w).max())
    assert m <= dtype(a) and w.max() < dtype(a) and w.min() >= dtype(-a)
    assert m > 0.99 * a  # 18432 samples: P(max < 0.99a) ~ 1e-80
    # variance of U(-a, a) is a^2/3; relative sd of the sample variance ~ 0.7%
    assert float(w.var(dtype=np.float64)) == pytest.approx(a * a / 3, rel=0.04)
    # and clearly not the keras-layout limit of the same shape (fans 6144, 6144)
    assert m > 2 * math.sqrt(6.0 / 12288) * gain


def test_xavier_uniform_matches_torch_bound():
    torch = pytest.importorskip("torch")
    t = torch.empty(64, 32, 3, 3, dtype=torch.float64)
    torch.manual_seed(0)
    torch.nn.init.xavier_uniform_(t)
    w = xavier.xavier_uniform_(np.empty((64, 32, 3, 3)), seed=0)
    a = math.sqrt(6.0 / (288 + 576))
    # both lie in the same interval and both reach close to its ends
    for x in (t.numpy(), w):
        assert np.abs(x).max() <= a and np.abs(x).max() > 0.99 * a
    z = xavier.xavier_normal_(np.empty((256, 512, 3, 3)), seed=0)
    tz = torch.empty(256, 512, 3, 3, dtype=torch.float64)
    torch.nn.init.xavier_normal_(tz)
    s = math.sqrt(2.0 / (512 * 9 + 256 * 9))
    assert float(z.std()) == pytest.approx(s, rel=0.01)
    assert float(tz.std()) == pytest.approx(float(z.std()), rel=0.01)
