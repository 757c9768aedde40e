"""The samplers uniform, normal and truncated_normal (and the Glorot presets
through them): dtypes (float16 and bfloat16 as rounded float32), out= (same
object, same values, views, memmaps, misaligned buffers), the in-place
xavier_*_ on NumPy arrays, and out= buffers left untouched by any error."""
import math
import sys

import numpy as np
import pytest

import xavier
from support.samplers import BLOCK, DTYPES, SAMPLER_IDS, SAMPLERS

F32, F64 = np.float32, np.float64


# ---- dtypes ------------------------------------------------------------------------------

def test_glorot_uniform_default_dtype_is_float32():
    assert xavier.glorot_uniform((3, 4), seed=0).dtype == np.float32
    assert xavier.glorot_normal((3, 4), seed=0).dtype == np.float32
    assert xavier.uniform((3, 4), seed=0).dtype == np.float32
    assert xavier.normal((3, 4), seed=0).dtype == np.float32


# ---- out= semantics ----------------------------------------------------------------------

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


# ---- out= and errors: nothing written ----------------------------------------------------

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


# ---- truncated_normal ----------------------------------------------------------------

def test_truncated_normal_defaults_are_torch_ones():
    w = xavier.truncated_normal((500, 500), seed=1, dtype=np.float64)
    assert w.min() >= -2.0 and w.max() <= 2.0
    np.testing.assert_array_equal(w, xavier.truncated_normal((500, 500), 0.0, 1.0, -2.0, 2.0,
                                                             seed=1, dtype=np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_truncated_normal_bounds_hold_in_every_dtype(dtype):
    # bounds that are not representable: the clamp uses them as the dtype holds them
    w = xavier.truncated_normal(2**18, 0.1, 1.0, -0.3, 0.7, dtype=dtype, seed=4)
    assert w.dtype == dtype
    assert w.min() >= dtype(-0.3) and w.max() <= dtype(0.7)
    assert w.min() < dtype(-0.29) and w.max() > dtype(0.69)


def test_truncated_normal_std_zero():
    w = xavier.truncated_normal(10, 0.5, 0.0, 0.0, 1.0, seed=1)
    assert (w == np.float32(0.5)).all()


TRUNC_ERRORS = [
    (lambda: xavier.truncated_normal(3, a=1.0, b=1.0), ValueError, "a must be < b"),
    (lambda: xavier.truncated_normal(3, a=2.0, b=1.0), ValueError, "a must be < b"),
    (lambda: xavier.truncated_normal(3, a=float("nan")), ValueError, "a"),
    (lambda: xavier.truncated_normal(3, b=float("nan")), ValueError, "b"),
    (lambda: xavier.truncated_normal(3, a="x"), TypeError, "a"),
    (lambda: xavier.truncated_normal(3, b=None), TypeError, "b"),
    (lambda: xavier.truncated_normal(3, std=-1.0), ValueError, "std"),
    (lambda: xavier.truncated_normal(3, mean=math.inf), ValueError, "mean"),
    (lambda: xavier.truncated_normal(3, 3.0, 0.0, 0.0, 1.0), ValueError, "mean"),
    (lambda: xavier.truncated_normal(3, 0.0, 1.0, 9.0, 10.0), ValueError, "2\\*\\*-40"),
    (lambda: xavier.truncated_normal(3, 0.0, 1.0, -10.0, -9.0), ValueError, "2\\*\\*-40"),
    (lambda: xavier.truncated_normal(3, 0.0, 1e4, -math.inf, math.inf, dtype=np.float16),
     ValueError, "overflow"),
    (lambda: xavier.truncated_normal(3, 0.0, 1.0, 1e300, math.inf, dtype=np.float64),
     ValueError, "2\\*\\*-40"),
]


@pytest.mark.parametrize("call, exc, match", TRUNC_ERRORS)
def test_truncated_normal_errors(call, exc, match, monkeypatch):
    calls = []
    monkeypatch.setattr(xavier._core, "fill", lambda *a, **k: calls.append(a))
    with pytest.raises(exc, match=match):
        call()
    assert calls == []


def test_truncated_normal_far_intervals_are_allowed():
    # 7 std out: mass ~1e-12 > 2**-40
    w = xavier.truncated_normal(1000, 0.0, 1.0, 7.0, math.inf, dtype=np.float64, seed=2)
    assert w.min() >= 7.0 and w.max() < 9.0 and np.isfinite(w).all()
    w = xavier.truncated_normal(1000, 0.0, 1.0, -7.0, -6.9, seed=3)
    assert w.min() >= np.float32(-7.0) and w.max() <= np.float32(-6.9)


# ---- float16 / bfloat16 through the API ------------------------------------------------

HALF_CALLS = {
    "normal": lambda **k: xavier.normal((300, 301), 0.1, 0.7, **k),
    "truncated_normal": lambda **k: xavier.truncated_normal((300, 301), 0.0, 0.5, -1.0, 0.8, **k),
    "glorot_normal": lambda **k: xavier.glorot_normal((300, 301), truncated=True, **k),
    "he_normal": lambda **k: xavier.he_normal((3, 3, 30, 40), **k),
}


@pytest.mark.parametrize("name", sorted(HALF_CALLS))
def test_float16_is_rounded_float32(name):
    call = HALF_CALLS[name]
    x32 = call(dtype=np.float32, seed=11)
    x16 = call(dtype=np.float16, seed=11)
    assert x16.dtype == np.float16
    np.testing.assert_array_equal(x16, x32.astype(np.float16))


@pytest.mark.parametrize("name", sorted(HALF_CALLS))
def test_bfloat16_is_rounded_float32(name):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    call = HALF_CALLS[name]
    x32 = call(dtype=np.float32, seed=12)
    for dt in ("bfloat16", ml_dtypes.bfloat16, np.dtype(ml_dtypes.bfloat16)):
        xb = call(dtype=dt, seed=12)
        assert xb.dtype == np.dtype(ml_dtypes.bfloat16)
        np.testing.assert_array_equal(xb.view(np.uint16),
                                      x32.astype(ml_dtypes.bfloat16).view(np.uint16))


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_half_uniform_stays_below_high(half):
    if half == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        dt = np.dtype(ml_dtypes.bfloat16)
    else:
        dt = np.dtype(np.float16)
    a = math.sqrt(6 / (700 + 300))
    w = xavier.glorot_uniform((700, 300), dtype=dt, seed=13).astype(np.float64)
    w32 = xavier.glorot_uniform((700, 300), dtype=np.float32, seed=13)
    hi = float(np.asarray(np.float32(a)).astype(dt))
    lo = float(np.asarray(np.float32(-a)).astype(dt))
    assert w.min() >= lo and w.max() < hi
    rounded = w32.astype(dt).astype(np.float64)
    same = rounded == w
    # only values that rounded to high itself differ, and they became the value below it
    assert (rounded[~same] == hi).all()
    assert np.unique(w[~same]).size <= 1
    assert (~same).mean() < 0.01


def test_half_out_buffers_and_views():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    bf = np.dtype(ml_dtypes.bfloat16)
    ref = xavier.normal((64, 90), dtype=bf, seed=3)
    out = np.zeros((64, 90), dtype=bf)
    assert xavier.normal((64, 90), out=out, seed=3) is out
    np.testing.assert_array_equal(out.view(np.uint16), ref.view(np.uint16))
    big = np.zeros((64, 180), dtype=bf)
    xavier.normal(None, out=big[:, ::2], seed=3)       # non-contiguous, shape from out
    np.testing.assert_array_equal(big[:, ::2].view(np.uint16), ref.view(np.uint16))
    assert not big[:, 1::2].view(np.uint16).any()
    h = np.zeros((90, 64), dtype=np.float16).T           # a transposed float16 view
    xavier.uniform((64, 90), out=h, seed=4)
    np.testing.assert_array_equal(h, xavier.uniform((64, 90), dtype=np.float16, seed=4))


def test_bfloat16_without_ml_dtypes_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)
    with pytest.raises(ImportError, match=r"xavier-init\[bfloat16\]"):
        xavier.uniform(3, dtype="bfloat16")


def test_half_overflow_is_refused():
    with pytest.raises(ValueError, match="float16"):
        xavier.normal(3, 0.0, 1e4, dtype=np.float16)
    with pytest.raises(ValueError, match="high"):
        xavier.uniform(3, 0.0, 7e4, dtype=np.float16)
