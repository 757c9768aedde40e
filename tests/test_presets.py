"""The variance-scaling family against the formulas of Keras, JAX and
PyTorch; JAX's fan axes; PyTorch's gains; the truncated normal sampler; and
float16/bfloat16 through the public API.

Each framework's formula is written out here from its documented source, not
taken from the code under test.
"""
import math
import sys

import numpy as np
import pytest

import xavier
from xavier import _core
from xavier._seeds import named_seed

SHAPES = [(784, 256), (5, 16, 32), (3, 3, 64, 128), (3, 3, 3, 16, 32), (7, 5, 3, 8), (2, 300)]
TRUNC_STD = 0.87962566103423978


# ---- the frameworks' formulas ---------------------------------------------------

def keras_fans(shape):
    """keras.src.initializers.random_initializers.compute_fans"""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = 1
    for d in shape[:-2]:
        rf *= d
    return shape[-2] * rf, shape[-1] * rf


def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """jax._src.nn.initializers._compute_fans"""
    def size(axis):
        return shape[axis] if isinstance(axis, int) else math.prod(shape[i] for i in axis)
    rf = math.prod(shape) / size(in_axis) / size(out_axis) / size(batch_axis)
    return size(in_axis) * rf, size(out_axis) * rf


def torch_fans(shape):
    """torch.nn.init._calculate_fan_in_and_fan_out"""
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def keras_variance_scaling(shape, scale, mode, distribution):
    """(kind, parameter): Keras's VarianceScaling.__call__."""
    fan_in, fan_out = keras_fans(shape)
    if mode == "fan_in":
        scale /= max(1.0, fan_in)
    elif mode == "fan_out":
        scale /= max(1.0, fan_out)
    else:
        scale /= max(1.0, (fan_in + fan_out) / 2.0)
    if distribution == "truncated_normal":
        return "truncated", math.sqrt(scale) / TRUNC_STD
    if distribution == "untruncated_normal":
        return "normal", math.sqrt(scale)
    return "uniform", math.sqrt(3.0 * scale)


def jax_variance_scaling(shape, scale, mode, distribution, **axes):
    fan_in, fan_out = jax_fans(shape, **axes)
    denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / denominator
    if distribution == "truncated_normal":
        return "truncated", math.sqrt(variance) / TRUNC_STD
    if distribution == "normal":
        return "normal", math.sqrt(variance)
    return "uniform", math.sqrt(3 * variance)


def torch_xavier(shape, gain, uniform):
    fan_in, fan_out = torch_fans(shape)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return ("uniform", math.sqrt(3.0) * std) if uniform else ("normal", std)


def torch_kaiming(shape, mode, uniform):
    """kaiming_*_ with nonlinearity='relu': gain sqrt(2)."""
    fan_in, fan_out = torch_fans(shape)
    std = math.sqrt(2.0) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    return ("uniform", math.sqrt(3.0) * std) if uniform else ("normal", std)


def same_stream(kind, param, shape, seed, dtype=np.float64):
    """What the generic samplers give for (kind, parameter)."""
    if kind == "uniform":
        return xavier.uniform(shape, -param, param, dtype=dtype, seed=seed)
    if kind == "normal":
        return xavier.normal(shape, 0.0, param, dtype=dtype, seed=seed)
    return xavier.truncated_normal(shape, 0.0, param, -2 * param, 2 * param, dtype=dtype,
                                   seed=seed)


def assert_matches(got, kind, param, shape, seed):
    """Same stream, scale equal to the formula's up to its last-bit rounding."""
    want = same_stream(kind, param, shape, seed)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    if kind == "uniform":
        assert np.abs(got).max() < param and np.abs(got).max() > 0.9 * param
    if kind == "truncated":
        assert np.abs(got).max() <= 2 * param


# ---- Keras --------------------------------------------------------------------

KERAS_PRESETS = [
    # (ours, Keras's scale, mode, distribution)
    (lambda s, **k: xavier.glorot_uniform(s, **k), 1.0, "fan_avg", "uniform"),
    (lambda s, **k: xavier.glorot_normal(s, truncated=True, **k), 1.0, "fan_avg", "truncated_normal"),
    (lambda s, **k: xavier.he_uniform(s, **k), 2.0, "fan_in", "uniform"),
    (lambda s, **k: xavier.he_normal(s, truncated=True, **k), 2.0, "fan_in", "truncated_normal"),
    (lambda s, **k: xavier.lecun_uniform(s, **k), 1.0, "fan_in", "uniform"),
    (lambda s, **k: xavier.lecun_normal(s, truncated=True, **k), 1.0, "fan_in", "truncated_normal"),
    (lambda s, **k: xavier.glorot_normal(s, **k), 1.0, "fan_avg", "untruncated_normal"),
    (lambda s, **k: xavier.he_normal(s, **k), 2.0, "fan_in", "untruncated_normal"),
]


@pytest.mark.parametrize("shape", SHAPES, ids=repr)
@pytest.mark.parametrize("i", range(len(KERAS_PRESETS)))
def test_presets_match_keras(shape, i):
    fn, scale, mode, dist = KERAS_PRESETS[i]
    got = fn(shape, dtype=np.float64, seed=i)
    assert_matches(got, *keras_variance_scaling(shape, scale, mode, dist), shape, i)


@pytest.mark.parametrize("shape", SHAPES, ids=repr)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("dist", ["uniform", "truncated_normal", "untruncated_normal"])
def test_variance_scaling_matches_keras(shape, mode, dist):
    got = xavier.variance_scaling(shape, 0.7, mode, dist, dtype=np.float64, seed=3)
    assert_matches(got, *keras_variance_scaling(shape, 0.7, mode, dist), shape, 3)


# ---- JAX ----------------------------------------------------------------------

JAX_AXES = [
    ((784, 256), {}),
    ((3, 3, 64, 128), {}),
    ((64, 128, 3, 3), {"in_axis": 0, "out_axis": 1}),
    ((8, 3, 3, 16, 32), {"batch_axis": (0,)}),
    ((8, 3, 3, 16, 32), {"batch_axis": 0}),
    ((2, 3, 4, 5), {"in_axis": (0, 1), "out_axis": -1}),
    ((4, 6, 5, 7, 2), {"in_axis": -3, "out_axis": (-2, -1), "batch_axis": (0,)}),
    ((10, 20), {"in_axis": 1, "out_axis": 0}),
]


@pytest.mark.parametrize("shape, axes", JAX_AXES, ids=repr)
@pytest.mark.parametrize("preset, scale, mode, dist", [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"), ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"), ("he_normal", 2.0, "fan_in", "truncated_normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"), ("lecun_normal", 1.0, "fan_in", "truncated_normal"),
])
def test_presets_match_jax(shape, axes, preset, scale, mode, dist):
    kw = {"truncated": True} if dist == "truncated_normal" else {}
    got = getattr(xavier, preset)(shape, dtype=np.float64, seed=5, **axes, **kw)
    assert_matches(got, *jax_variance_scaling(shape, scale, mode, dist, **axes), shape, 5)
    vs = xavier.variance_scaling(shape, scale, mode, dist, dtype=np.float64, seed=5, **axes)
    np.testing.assert_array_equal(vs, got)


@pytest.mark.parametrize("shape, axes", JAX_AXES, ids=repr)
def test_compute_fans_matches_jax(shape, axes):
    fi, fo = jax_fans(shape, **{k: v for k, v in axes.items()})
    assert xavier.compute_fans(shape, **axes) == (int(fi), int(fo))


def test_keras_layout_is_jax_default_from_2d():
    for shape in SHAPES:
        assert xavier.compute_fans(shape) == xavier.compute_fans(shape, in_axis=-2, out_axis=-1)


def test_jax_against_jax_itself():
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    from jax._src.nn.initializers import _compute_fans
    from jax import core
    for shape, axes in JAX_AXES:
        fi, fo = _compute_fans(core.as_named_shape(shape) if hasattr(core, "as_named_shape")
                               else shape, **axes)
        assert xavier.compute_fans(shape, **axes) == (int(fi), int(fo))
    del jax, jnp


# ---- PyTorch ------------------------------------------------------------------

TORCH_SHAPES = [(256, 784), (16, 8, 5), (128, 64, 3, 3), (8, 4, 3, 3, 3), (32, 64, 4, 4)]


@pytest.mark.parametrize("shape", TORCH_SHAPES, ids=repr)
@pytest.mark.parametrize("gain", [1.0, 5 / 3, math.sqrt(2)])
def test_glorot_matches_torch_xavier(shape, gain):
    for uniform, fn in ((True, xavier.glorot_uniform), (False, xavier.glorot_normal)):
        got = fn(shape, gain, layout="torch", dtype=np.float64, seed=7)
        assert_matches(got, *torch_xavier(shape, gain, uniform), shape, 7)


@pytest.mark.parametrize("shape", TORCH_SHAPES, ids=repr)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_he_matches_torch_kaiming_relu(shape, mode):
    for uniform, fn in ((True, xavier.he_uniform), (False, xavier.he_normal)):
        got = fn(shape, mode=mode, layout="torch", dtype=np.float64, seed=8)
        assert_matches(got, *torch_kaiming(shape, mode, uniform), shape, 8)


def test_preset_variances_are_the_requested_ones():
    """The whole point: Var(w) = scale / n, truncated or not (2**20 samples,
    relative sd of the sample variance ~0.14%)."""
    shape = (1024, 1024)
    for fn, scale in ((xavier.glorot_uniform, 1.0), (xavier.glorot_normal, 1.0)):
        w = fn(shape, dtype=np.float64, seed=1)
        assert float(w.var()) == pytest.approx(scale / 1024, rel=0.01)
    for truncated in (False, True):
        for fn, scale in ((xavier.he_normal, 2.0), (xavier.lecun_normal, 1.0),
                          (xavier.glorot_normal, 1.0)):
            w = fn(shape, truncated=truncated, dtype=np.float64, seed=2)
            assert float(w.var()) == pytest.approx(scale / 1024, rel=0.01), (fn, truncated)
    w = xavier.variance_scaling(shape, 3.0, "fan_out", "truncated_normal", dtype=np.float64, seed=3)
    assert float(w.var()) == pytest.approx(3.0 / 1024, rel=0.01)


# ---- axes and layouts: errors ----------------------------------------------------

AXIS_ERRORS = [
    (lambda: xavier.compute_fans((3, 4), "keras", in_axis=0), ValueError, "not both"),
    (lambda: xavier.glorot_uniform((3, 4), layout="torch", out_axis=0), ValueError, "not both"),
    (lambda: xavier.compute_fans((3, 4), in_axis=2), ValueError, "in_axis"),
    (lambda: xavier.compute_fans((3, 4), out_axis=-3), ValueError, "out_axis"),
    (lambda: xavier.compute_fans((3, 4, 5), in_axis=0, out_axis=0), ValueError, "share"),
    (lambda: xavier.compute_fans((3, 4, 5), batch_axis=-1), ValueError, "share"),
    (lambda: xavier.compute_fans((3, 4, 5), in_axis=(0, 0)), ValueError, "repeats"),
    (lambda: xavier.compute_fans((5,), in_axis=0), ValueError, "at least 2"),
    (lambda: xavier.compute_fans((3, 4), in_axis=1.0), TypeError, "in_axis"),
    (lambda: xavier.compute_fans((3, 4), batch_axis="0"), TypeError, "batch_axis"),
    (lambda: xavier.compute_fans((3, 4), in_axis=True), TypeError, "in_axis"),
    (lambda: xavier.variance_scaling((3, 4), mode="avg"), ValueError, "mode"),
    (lambda: xavier.variance_scaling((3, 4), distribution="gaussian"), ValueError, "distribution"),
    (lambda: xavier.variance_scaling((3, 4), distribution=None), ValueError, "distribution"),
    (lambda: xavier.variance_scaling((3, 4), -1.0), ValueError, "scale"),
    (lambda: xavier.variance_scaling((3, 4), float("nan")), ValueError, "scale"),
    (lambda: xavier.variance_scaling((3, 4), "2"), TypeError, "scale"),
    (lambda: xavier.he_normal((3, 4), truncated="yes"), TypeError, "truncated"),
    (lambda: xavier.he_uniform((3, 4), truncated=True), TypeError, "truncated"),
    (lambda: xavier.he_normal((3, 4), mode="fan"), ValueError, "mode"),
    (lambda: xavier.he_uniform((3, 4), fans=(0, 4)), ValueError, "fan_in"),
    (lambda: xavier.variance_scaling((3, 4), mode="fan_out", fans=(3, 0)), ValueError, "fan_out"),
]


@pytest.mark.parametrize("call, exc, match", AXIS_ERRORS)
def test_preset_errors(call, exc, match, monkeypatch):
    calls = []
    monkeypatch.setattr(xavier._core, "fill", lambda *a, **k: calls.append(a))
    with pytest.raises(exc, match=match):
        call()
    assert calls == []


def test_distribution_names_are_case_insensitive_and_keras_alias():
    a = xavier.variance_scaling((30, 40), distribution="Untruncated_Normal", seed=1)
    b = xavier.variance_scaling((30, 40), distribution="normal", seed=1)
    np.testing.assert_array_equal(a, b)
    c = xavier.variance_scaling((30, 40), mode="FAN_IN", seed=1)
    np.testing.assert_array_equal(c, xavier.variance_scaling((30, 40), mode="fan_in", seed=1))


def test_zero_size_and_zero_gain():
    for fn in (xavier.he_uniform, xavier.he_normal, xavier.lecun_normal):
        assert fn((0, 5), seed=1).shape == (0, 5)
    z = xavier.glorot_normal((20, 30), 0.0, truncated=True, seed=1)
    assert not z.any() and z.dtype == np.float32
    assert not xavier.variance_scaling((20, 30), 0.0, distribution="truncated_normal").any()


# ---- gains ------------------------------------------------------------------------

GAINS = [("linear", None, 1), ("conv1d", None, 1), ("conv2d", None, 1), ("conv3d", None, 1),
         ("conv_transpose1d", None, 1), ("conv_transpose2d", None, 1),
         ("conv_transpose3d", None, 1), ("sigmoid", None, 1), ("tanh", None, 5.0 / 3),
         ("relu", None, math.sqrt(2.0)), ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
         ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)), ("leaky_relu", 0, math.sqrt(2.0)),
         ("leaky_relu", 3, math.sqrt(2.0 / 10)), ("selu", None, 0.75), ("linear", 5.0, 1)]


@pytest.mark.parametrize("name, param, want", GAINS)
def test_calculate_gain_table(name, param, want):
    got = xavier.calculate_gain(name, param)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("name, param", [("gelu", None), ("ReLU", None), ("", None),
                                         ("leaky_relu", "0.1"), ("leaky_relu", True),
                                         ("leaky_relu", [0.1])])
def test_calculate_gain_errors(name, param):
    with pytest.raises(ValueError):
        xavier.calculate_gain(name, param)


def test_calculate_gain_equals_torch():
    torch = pytest.importorskip("torch")
    for name, param, _ in GAINS:
        assert xavier.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    for name, param in [("gelu", None), ("leaky_relu", "0.1"), ("leaky_relu", True)]:
        with pytest.raises(ValueError) as ours:
            xavier.calculate_gain(name, param)
        with pytest.raises(ValueError) as theirs:
            torch.nn.init.calculate_gain(name, param)
        assert str(ours.value) == str(theirs.value)


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
        np.testing.assert_array_equal(xb.view(np.uint16), x32.astype(ml_dtypes.bfloat16).view(np.uint16))


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
    with pytest.raises(ImportError, match=r"xavier\[bfloat16\]"):
        xavier.uniform(3, dtype="bfloat16")


def test_half_overflow_is_refused():
    with pytest.raises(ValueError, match="float16"):
        xavier.normal(3, 0.0, 1e4, dtype=np.float16)
    with pytest.raises(ValueError, match="high"):
        xavier.uniform(3, 0.0, 7e4, dtype=np.float16)


# ---- seeds -------------------------------------------------------------------------------

def test_named_seed_is_documented_derivation():
    import hashlib
    h = int.from_bytes(hashlib.blake2b(b"layer.0.weight", digest_size=16).digest(), "little")
    want = np.random.SeedSequence(42, spawn_key=(h,))
    got = named_seed(42, "layer.0.weight")
    assert got.entropy == want.entropy and got.spawn_key == want.spawn_key
    base = np.random.SeedSequence(7, spawn_key=(3,))
    assert named_seed(base, "x").spawn_key[:1] == (3,)
    a = xavier.uniform(1000, seed=named_seed(42, "a"))
    b = xavier.uniform(1000, seed=named_seed(42, "b"))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, xavier.uniform(1000, seed=named_seed(42, "a")))
    with pytest.raises(TypeError, match="name"):
        named_seed(1, 5)


def test_seed_sequence_seeds_everywhere():
    ss = np.random.SeedSequence(123, spawn_key=(4,))
    for fn in (xavier.glorot_uniform, xavier.he_normal, xavier.truncated_normal):
        np.testing.assert_array_equal(fn((20, 30), seed=ss), fn((20, 30), seed=ss))
    assert not np.array_equal(xavier.he_normal((20, 30), seed=ss),
                              xavier.he_normal((20, 30), seed=np.random.SeedSequence(123)))
    assert _core.STREAM_VERSION == 2
