"""The Glorot presets against Glorot & Bengio's formulas, and the
variance-scaling family against the formulas of Keras, JAX and PyTorch;
PyTorch's gains; the preset errors; xavier_uniform_ on a torch-layout conv weight.

Each formula is written out from its documented source (tests/support/frameworks.py),
not taken from the code under test.
"""
import math

import numpy as np
import pytest

import xavier
from support.frameworks import (JAX_AXES, SHAPES, jax_variance_scaling, keras_variance_scaling,
                                torch_kaiming, torch_xavier)
from support.frameworks import glorot_limit as _a
from support.frameworks import glorot_std as _s
from support.samplers import DTYPES


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


# ---- Glorot & Bengio's formulas ----------------------------------------------------------

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


# ---- Keras --------------------------------------------------------------------

KERAS_PRESETS = [
    # (ours, Keras's scale, mode, distribution)
    (lambda s, **k: xavier.glorot_uniform(s, **k), 1.0, "fan_avg", "uniform"),
    (lambda s, **k: xavier.glorot_normal(s, truncated=True, **k), 1.0, "fan_avg",
     "truncated_normal"),
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

@pytest.mark.parametrize("shape, axes", JAX_AXES, ids=repr)
@pytest.mark.parametrize("preset, scale, mode, dist", [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"),
    ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"), ("he_normal", 2.0, "fan_in", "truncated_normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"),
    ("lecun_normal", 1.0, "fan_in", "truncated_normal"),
])
def test_presets_match_jax(shape, axes, preset, scale, mode, dist):
    kw = {"truncated": True} if dist == "truncated_normal" else {}
    got = getattr(xavier, preset)(shape, dtype=np.float64, seed=5, **axes, **kw)
    assert_matches(got, *jax_variance_scaling(shape, scale, mode, dist, **axes), shape, 5)
    vs = xavier.variance_scaling(shape, scale, mode, dist, dtype=np.float64, seed=5, **axes)
    np.testing.assert_array_equal(vs, got)


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


# ---- xavier_uniform_ on a torch conv weight: statistical sanity --------------------------

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
