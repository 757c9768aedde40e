"""Stream version 2: the specification in docs/stream.md, its invariances (threads,
SIMD paths, sub-ranges) and pinned first values."""
import os
import shutil
import subprocess

import numpy as np
import pytest

from support import reference as ref
import xavier
from xavier import _core
from xavier._seeds import seed_key

# every kind, with the dtype its output array takes (bfloat16 bits as uint16,
# so that these tests need no ml_dtypes) and its parameters
UNIFORM_P, NORMAL_P, TRUNC_P = (-0.75, 1.5), (0.25, 2.0), (0.25, 2.0, -1.0, 3.5)
KINDS = {
    _core.UNIFORM_F32: (np.float32, UNIFORM_P),
    _core.UNIFORM_F64: (np.float64, UNIFORM_P),
    _core.UNIFORM_F16: (np.float16, UNIFORM_P),
    _core.UNIFORM_BF16: (np.uint16, UNIFORM_P),
    _core.NORMAL_F32: (np.float32, NORMAL_P),
    _core.NORMAL_F64: (np.float64, NORMAL_P),
    _core.NORMAL_F16: (np.float16, NORMAL_P),
    _core.NORMAL_BF16: (np.uint16, NORMAL_P),
    _core.TRUNCNORM_F32: (np.float32, TRUNC_P),
    _core.TRUNCNORM_F64: (np.float64, TRUNC_P),
    _core.TRUNCNORM_F16: (np.float16, TRUNC_P),
    _core.TRUNCNORM_BF16: (np.uint16, TRUNC_P),
}
BLOCK = _core.BLOCK


def fill(kind, n, start=0, key=None, threads=1, isa=None, params=None):
    dtype, default = KINDS[kind]
    out = np.empty(n, dtype=dtype)
    key = seed_key(2024) if key is None else key
    return _core.fill(out, key, kind, default if params is None else params, start, threads, isa)


def bits(x):
    """The bytes of an array, for exact comparisons (NaN-safe, dtype-blind)."""
    return np.ascontiguousarray(x).view(np.uint8)


def test_constants():
    assert _core.STREAM_VERSION == 2
    assert _core.LANES == ref.LANES and _core.BLOCK == ref.BLOCK
    # kind = 4 * distribution + output type
    for dist in (_core.UNIFORM, _core.NORMAL, _core.TRUNCNORM):
        for typ in (_core.F32, _core.F64, _core.F16, _core.BF16):
            assert 4 * dist + typ in KINDS


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fill_rejects_arrays_of_the_wrong_type(kind):
    dtype, params = KINDS[kind]
    for other in (np.float32, np.float64, np.float16, np.int32, np.complex64):
        if np.dtype(other) == np.dtype(dtype) or (dtype is np.uint16 and other is np.float16):
            continue
        with pytest.raises(TypeError, match="out"):
            _core.fill(np.empty(8, other), seed_key(1), kind, params)
    with pytest.raises(ValueError, match="kind"):
        _core.fill(np.empty(8, dtype), seed_key(1), 12, params)


# ---- the specification, checked against the pure-Python reference -------------

@pytest.mark.parametrize("block", [0, 1, 12345, 2**40 + 3])
def test_raw_stream_matches_reference(block):
    key = seed_key(31337)
    np.testing.assert_array_equal(_core.raw_block(key, block, 200), ref.raw_block(key, block, 200))
    for lane in range(8):
        assert _core.lane_state(key, block, lane).tolist() == ref.lane_state(key, block, lane)


def test_seed_key_is_seed_sequence():
    from xavier import _seeds
    for seed in (5, 5, 0, 2**64 - 1, 2**64, 2**126 + 3, np.uint64(7), np.random.SeedSequence(9)):
        want = np.random.SeedSequence(seed if not isinstance(seed, np.random.SeedSequence)
                                      else 9).generate_state(4, np.uint64)
        assert seed_key(seed).tolist() == want.tolist()
    # int seeds below 2**64 keep their key, shared and read-only; the store is bounded
    assert seed_key(5) is seed_key(5) and not seed_key(5).flags.writeable
    assert 2**64 not in _seeds._KEYS and seed_key(2**64) is not seed_key(2**64)
    for seed in range(1000, 1000 + _seeds._KEYS_MAX + 10):
        seed_key(seed)
    assert len(_seeds._KEYS) <= _seeds._KEYS_MAX


@pytest.mark.parametrize("block", [0, 3])
def test_uniform_values_follow_spec_exactly(block):
    key = seed_key(77)
    raw = _core.raw_block(key, block, BLOCK // 2)     # a float32 value per 32-bit word
    start = block * BLOCK
    got32 = fill(_core.UNIFORM_F32, BLOCK, start=start, key=key)
    np.testing.assert_array_equal(got32, ref.uniform_f32(raw, *UNIFORM_P))
    got64 = fill(_core.UNIFORM_F64, BLOCK // 2, start=start, key=key)
    np.testing.assert_array_equal(got64, ref.uniform_f64(raw, *UNIFORM_P))


def test_normal_f32_matches_float64_box_muller():
    key = seed_key(5)
    n = 4 * BLOCK
    unit = _core.fill(np.empty(n, np.float32), key, _core.NORMAL_F32, (0.0, 1.0), 0, 2)
    scaled = fill(_core.NORMAL_F32, n, key=key)     # mean 0.25, std 2
    for blk in range(4):
        raw = _core.raw_block(key, blk, BLOCK // 2)
        z, u1 = ref.normal_f32_values(raw)
        assert u1.min() > 0 and u1.max() <= 1
        got = unit[blk * BLOCK:(blk + 1) * BLOCK].astype(np.float64)
        # relative error <= 1e-6 everywhere: the octant's angles stay off the axes
        assert (np.abs(got - z) <= 1e-6 * np.abs(z)).all()
        # mean + (std * r) * trig: a float32 rounding or two away from exact
        part = scaled[blk * BLOCK:(blk + 1) * BLOCK].astype(np.float64)
        err = np.abs(part - (0.25 + 2.0 * z)) / (0.25 + 2.0 * np.abs(z))
        assert err.max() < 1.5e-6, err.max()


def test_normal_f64_matches_float64_box_muller():
    key = seed_key(6)
    got = fill(_core.NORMAL_F64, 2 * BLOCK, key=key)
    for blk in range(2):
        raw = _core.raw_block(key, blk, BLOCK)
        u1, u2 = ref.normal_f64_uniforms(raw)
        z = ref.box_muller(u1, u2, 8)
        part = (got[blk * BLOCK:(blk + 1) * BLOCK] - 0.25) / 2.0
        np.testing.assert_allclose(part, z, rtol=1e-12, atol=1e-14)


# truncated normal: (mean, std, a, b) cases, from the Keras/JAX two-sigma case
# to one-sided and far-tail intervals
TRUNC_CASES = [(0.0, 1.0, -2.0, 2.0), (0.25, 2.0, -1.0, 3.5), (0.0, 1.0, 3.0, 6.0),
               (0.0, 0.02, -2.0, 2.0), (0.0, 1.0, -np.inf, -5.0), (1.0, 0.5, 4.0, np.inf),
               (0.0, 1.0, -np.inf, np.inf), (-3.0, 1.0, -0.5, 0.5)]


@pytest.mark.parametrize("case", TRUNC_CASES, ids=repr)
def test_truncnorm_f32_follows_spec(case):
    """float32: the quantile of (k + 1/2) / 2**24 mapped into [Phi(alpha),
    Phi(beta)], within PPND7's accuracy, clamped to [a, b]."""
    key = seed_key(91)
    got = fill(_core.TRUNCNORM_F32, BLOCK, start=2 * BLOCK, key=key, params=case)
    k = ref.truncnorm_k(_core.raw_block(key, 2, BLOCK // 2), 24)
    want = ref.truncnorm_values(k, 24, *case)
    mean, std, a, b = case
    assert (got >= np.float32(a)).all() and (got <= np.float32(b)).all()
    # PPND7 (~1e-7) plus a few float32 roundings: measured <= 4.5e-7 |z|
    _assert_close_on_z_scale(got, want, mean, std, 1e-6)


def _assert_close_on_z_scale(got, want, mean, std, tol):
    """|got - want| <= tol * (|mean| + std * max(1, |z|)): errors of z, and the
    rounding of mean + std * z, which is relative to its terms."""
    z = (want - mean) / std
    scale = abs(mean) + std * np.maximum(1.0, np.abs(z))
    err = np.abs(got.astype(np.float64) - want)
    assert (err <= tol * scale).all(), float((err / scale).max())


@pytest.mark.parametrize("case", TRUNC_CASES, ids=repr)
def test_truncnorm_f64_follows_spec(case):
    key = seed_key(92)
    got = fill(_core.TRUNCNORM_F64, BLOCK // 4, start=3 * BLOCK, key=key, params=case)
    k = ref.truncnorm_k(_core.raw_block(key, 3, BLOCK // 4), 53)
    want = ref.truncnorm_values(k, 53, *case)
    mean, std, a, b = case
    assert (got >= a).all() and (got <= b).all()
    # PPND16 (~1e-16) plus float64 roundings: measured <= 1.2e-15 |z|
    _assert_close_on_z_scale(got, want, mean, std, 4e-15)


def test_truncnorm_is_odd_for_symmetric_bounds():
    """With mean 0 and a = -b, k and 2**24 - 1 - k give exactly opposite
    values (float32: a block of 65536 24-bit k holds ~128 such pairs)."""
    key = seed_key(5)
    got = fill(_core.TRUNCNORM_F32, 4 * BLOCK, key=key, params=(0.0, 1.3, -2.6, 2.6))
    k = np.concatenate([ref.truncnorm_k(_core.raw_block(key, blk, BLOCK // 2), 24)
                        for blk in range(4)]).astype(np.int64)
    order = np.argsort(k)
    comp = np.searchsorted(k[order], 2**24 - 1 - k)
    comp = np.minimum(comp, k.size - 1)
    has = k[order][comp] == 2**24 - 1 - k
    i, j = np.nonzero(has)[0], order[comp[has]]
    assert i.size > 100
    np.testing.assert_array_equal(got[i], -got[j])


@pytest.mark.parametrize("dist", ["normal", "truncnorm"])
@pytest.mark.parametrize("half", ["f16", "bf16"])
def test_half_precision_is_the_float32_stream_rounded(dist, half, hooks):
    f32 = getattr(_core, f"{dist.upper()}_F32")
    kind = getattr(_core, f"{dist.upper()}_{half.upper()}")
    # std 1e-6 puts float16 values deep in its subnormal range
    for params in ({"normal": (0.25, 2.0), "truncnorm": (0.25, 2.0, -1.0, 3.5)}[dist],
                   {"normal": (0.0, 1e-6), "truncnorm": (0.0, 1e-6, -3e-6, 1e-6)}[dist]):
        n = 2 * BLOCK + 1001
        x = fill(f32, n, params=params)
        got = fill(kind, n, params=params)
        want = hooks.round_half(x, bfloat16=(half == "bf16"))
        np.testing.assert_array_equal(got.view(np.uint16), want)


@pytest.mark.parametrize("path", _core.simd_paths())
def test_bfloat16_of_subnormal_float32_values(path, hooks):
    """Values below 2**-126 (float32 subnormals) round as the integer code does
    on every path (vcvtneps2bf16 would read them as zero)."""
    n = BLOCK + 777
    for kind, f32, params in ((_core.NORMAL_BF16, _core.NORMAL_F32, (0.0, 1e-38)),
                              (_core.NORMAL_BF16, _core.NORMAL_F32, (1e-30, 1e-36)),
                              (_core.TRUNCNORM_BF16, _core.TRUNCNORM_F32,
                               (0.0, 1e-38, -2e-38, 1e-38))):
        x = fill(f32, n, params=params)
        got = fill(kind, n, params=params, isa=path)
        np.testing.assert_array_equal(got.view(np.uint16), hooks.round_half(x, bfloat16=True))
    # uniform: the same bits as the baseline path (values rounding to high are capped)
    x = fill(_core.UNIFORM_F32, n, params=(-3e-38, 2e-38))
    assert (np.abs(x[x != 0]) < 2.0**-126).mean() > 0.3  # many float32 subnormals
    np.testing.assert_array_equal(fill(_core.UNIFORM_BF16, n, params=(-3e-38, 2e-38), isa=path),
                                  fill(_core.UNIFORM_BF16, n, params=(-3e-38, 2e-38),
                                       isa="baseline"))


# Parameters around the bounds of the kernels' shorter forms (plain_uniform and
# plain_normal in stream.c: span and |low| >= 2**-102, std >= 2**-64, |mean| >=
# 2**-102), on both sides, and ordinary ones.
PLAIN_UNIFORM = [(-0.75, 1.5), (-2.0**-102, 2.0**-102), (-2.0**-103, 2.0**-103),
                 (0.0, 2.0**-102), (0.0, 2.0**-103), (2.0**-102, 2.0**-101),
                 (0.0, 3e-33), (-1e-33, 2e-33), (-1e38, 1e38), (1.0, 1.0 + 2.0**-23)]
PLAIN_NORMAL = [(0.0, 2.0**-64), (0.0, 2.0**-65), (2.0**-102, 2.0**-64), (-2.0**-103, 1.0),
                (3.0, 0.0)]


@pytest.mark.parametrize("path", _core.simd_paths())
@pytest.mark.parametrize("low, high", PLAIN_UNIFORM)
def test_uniform_near_the_plain_bounds_follows_spec(path, low, high):
    """Where the kernels may take the shorter form (one multiply, the cap as a
    minimum, no subnormal check before vcvtne2ps2bf16) and just outside it:
    float32 values are the specification's on every path, half values are
    the baseline path's, and float32 subnormals appear only outside it."""
    key = seed_key(21)
    raw = _core.raw_block(key, 0, BLOCK // 2)
    x = fill(_core.UNIFORM_F32, BLOCK, key=key, params=(low, high), isa=path)
    np.testing.assert_array_equal(x, ref.uniform_f32(raw, low, high))
    if abs(low) >= 2.0**-102 or (low == 0 and high >= 2.0**-102):
        assert not ((x != 0) & (np.abs(x) < 2.0**-126)).any()
    for kind in (_core.UNIFORM_F16, _core.UNIFORM_BF16):
        np.testing.assert_array_equal(
            bits(fill(kind, BLOCK + 48, key=key, params=(low, high), isa=path)),
            bits(fill(kind, BLOCK + 48, key=key, params=(low, high), isa="baseline")))


@pytest.mark.parametrize("path", _core.simd_paths())
@pytest.mark.parametrize("mean, std", PLAIN_NORMAL)
def test_bfloat16_normal_near_the_plain_bounds_is_the_float32_stream_rounded(path, mean, std,
                                                                             hooks):
    n = BLOCK + 96
    x = fill(_core.NORMAL_F32, n, params=(mean, std), isa=path)
    if std >= 2.0**-64 and (mean == 0 or abs(mean) >= 2.0**-102):
        assert not ((x != 0) & (np.abs(x) < 2.0**-126)).any()
    got = fill(_core.NORMAL_BF16, n, params=(mean, std), isa=path)
    np.testing.assert_array_equal(got.view(np.uint16), hooks.round_half(x, bfloat16=True))


def test_bounded_bfloat16_normal_premises_hold_over_every_input(hooks):
    """The AVX-512 bfloat16 normal kernel keeps round(x') for an approximation
    x' of each float32 value x unless x' is within 16 float32 steps of a
    rounding boundary (kernels_bf16_avx512.h).  That is exact only if its ln and
    sin/cos stay within the bounds its step count assumes: measured here
    over all 2**32 radius words and all 2**21 angles."""
    got = hooks.fast_normal_bounds()
    if got is None:
        pytest.skip("no AVX-512 on this CPU or in this build")
    assert got["zeros"] == 0
    assert 0 < got["ln_err"] <= got["ln_bound"] <= 2.0**-21.5
    assert 0 < got["trig_err"] <= got["trig_bound"] <= 2.0**-22


# mean 0 and 2**-40 <= std <= 2**40 take the bounded kernel (make_params), the
# rest the exact one
BOUNDED_NORMAL = [(0.0, 0.02), (-0.0, 0.02), (0.0, 1.0), (0.0, 3.7e-4), (0.0, 2.0**-40),
                  (0.0, 2.0**40), (0.0, 2.0**-40 * 0.999), (0.0, 2.0**40 * 1.001),
                  (1e-3, 0.02)]


@pytest.mark.parametrize("path", _core.simd_paths())
@pytest.mark.parametrize("mean, std", BOUNDED_NORMAL)
def test_bfloat16_normal_is_the_float32_stream_rounded_at_scale(path, mean, std, hooks):
    """Enough values (2**20, about 400 exactly recomputed 32-value groups on
    the bounded kernel) that a wrong tolerance would show: with none, about
    one value in 16000 rounds the other way."""
    n = 2**20 + 48
    key = seed_key(77)
    x = fill(_core.NORMAL_F32, n, key=key, params=(mean, std), isa=path, threads=2)
    got = fill(_core.NORMAL_BF16, n, key=key, params=(mean, std), isa=path, threads=2)
    np.testing.assert_array_equal(got.view(np.uint16), hooks.round_half(x, bfloat16=True))


@pytest.mark.parametrize("half", ["f16", "bf16"])
@pytest.mark.parametrize("low, high", [(-0.75, 1.5), (-0.3, 0.7), (0.0, 1.0), (1e-5, 3e-5),
                                       (-1.0, -0.999), (1.0, 1.0001), (2.0, 2.0),
                                       # high a tie that rounds up (to even) while the
                                       # float32 just below it rounds down: float16, bfloat16
                                       (1.0, 1.00146484375), (1.0, 1.01171875),
                                       (-1.01171875, -1.0)])
def test_half_precision_uniform_is_rounded_and_capped_below_high(half, low, high, hooks):
    """Each value is the float32 value rounded, except those that round to
    high (as the type holds it): they become the largest value below it.
    When low and high round to the same value, every value is low's."""
    kind = getattr(_core, f"UNIFORM_{half.upper()}")
    bf = half == "bf16"
    n = 3 * BLOCK
    x = fill(_core.UNIFORM_F32, n, params=(low, high))
    got = fill(kind, n, params=(low, high)).view(np.uint16)
    rounded = hooks.round_half(x, bfloat16=bf)
    hb = int(hooks.round_half(np.float32(high), bfloat16=bf)[0])
    lb = int(hooks.round_half(np.float32(low), bfloat16=bf)[0])

    def value(b):  # a half's bits as a float
        b = np.asarray(b, np.uint16)
        return (b.astype(np.uint32) << 16).view(np.float32) if bf else b.view(np.float16)

    if value(hb) > value(lb):
        below = (np.int64(hb) - 1) if value(hb) > 0 \
            else (np.int64(hb) + 1 if hb & 0x8000 else 0x8001)
        capped = rounded == hb
        np.testing.assert_array_equal(got[~capped], rounded[~capped])
        assert (got[capped] == below).all()
        assert (value(got) < value(hb)).all() and (value(got) >= value(lb)).all()
    else:
        assert (got == lb).all()


# ---- the math kernels against numpy ------------------------------------------

def _check_turn(k, bits, c, s, rtol, atol):
    """cos/sin of 2*pi*k/2^bits against numpy in float64: relative error <= rtol
    except within `atol` of the zeros (numpy's own 2*pi*k rounding is ~1e-16)."""
    theta = 2 * np.pi * (k.astype(np.float64) / 2.0**bits)
    for got, want in ((c, np.cos(theta)), (s, np.sin(theta))):
        err = np.abs(got.astype(np.float64) - want)
        assert (err <= rtol * np.abs(want) + atol).all()
        away = np.abs(want) > 1e-6
        assert (err[away] / np.abs(want[away])).max() < rtol


def test_octant_sincos_f32_exhaustive(hooks):
    """All 2**21 angles (pi/2) (j + 1/2) / 2**22 of the float32 normal."""
    j = np.arange(2**21, dtype=np.uint32)
    sn, cs = hooks.sincos_octant(j)
    theta = np.pi / 2 * (j.astype(np.float64) + 0.5) / 2.0**22
    assert np.abs(sn / np.sin(theta) - 1).max() < 1.4e-7
    assert np.abs(cs / np.cos(theta) - 1).max() < 1.5e-7
    assert (sn > 0).all() and (cs > 0.7).all()


def test_cossin_f64_accuracy(hooks):
    rng = np.random.default_rng(0)
    k = np.concatenate([rng.integers(0, 2**53, 10**6, dtype=np.uint64),
                        np.arange(0, 2**53, 2**40, dtype=np.uint64),
                        np.arange(2**51 - 1000, 2**51 + 1000, dtype=np.uint64)])
    c, s = hooks.cossin_turn(k)
    # numpy's 2*pi*k/2^53 has an absolute error ~1e-16 that is large relative
    # to cos near its zeros; reduce exactly instead: theta = (pi/2) * (q + f)
    ki = k.astype(np.int64)
    q = (ki + 2**50) >> 51
    phi = np.pi / 2 * ((ki - (q << 51)).astype(np.float64) / 2.0**51)
    rot = [(np.cos(phi), np.sin(phi)), (-np.sin(phi), np.cos(phi)),
           (-np.cos(phi), -np.sin(phi)), (np.sin(phi), -np.cos(phi))]
    want_c = np.choose(q % 4, [r[0] for r in rot])
    want_s = np.choose(q % 4, [r[1] for r in rot])
    for got, want in ((c, want_c), (s, want_s)):
        nz = want != 0
        assert (got[~nz] == 0).all()
        assert (np.abs(got[nz] - want[nz]) / np.abs(want[nz])).max() < 1e-15


def test_log_f32_accuracy(hooks):
    u = np.concatenate([
        np.arange(1, 2**20, dtype=np.float32) * np.float32(2.0**-32),
        np.linspace(2.0**-32, 1, 4 * 10**6, dtype=np.float32),
        np.float32(1) - np.arange(1, 2**16, dtype=np.float32) * np.float32(2.0**-24),
    ])
    got = hooks.log(u).astype(np.float64)
    want = np.log(u.astype(np.float64))
    nz = u != 1
    assert (got[~nz] == 0).all()
    assert (np.abs(got[nz] - want[nz]) / np.abs(want[nz])).max() < 3e-7


def test_log_f64_accuracy(hooks):
    u = np.concatenate([np.arange(1, 2**18) * 2.0**-53, np.linspace(2.0**-53, 1, 10**6),
                        1 - np.arange(1, 2**16) * 2.0**-53])
    got = hooks.log(u)
    nz = u != 1
    assert (np.abs(got[nz] - np.log(u[nz])) / np.abs(np.log(u[nz]))).max() < 1e-15


def test_ndtr_setup_math(hooks):
    """The CDF that sets up the truncated normal, against SciPy (whose own
    error grows as x**2 in the far tail) and, when available, mpmath."""
    from scipy import special
    x = np.concatenate([-np.linspace(0, 37, 20001), np.linspace(0, 37, 20001)])
    got, want = hooks.ndtr(x), special.ndtr(x)
    low = x <= 0
    rel = np.abs(got[low] / want[low] - 1)
    assert (rel <= 1e-15 * (2 + x[low] ** 2)).all()
    assert np.abs(got[~low] - want[~low]).max() <= 2.3e-16
    assert hooks.ndtr(np.array([-np.inf, -38.0, 0.0, 38.0, np.inf])).tolist() == [0, 0, 0.5, 1, 1]
    try:
        import mpmath
    except ImportError:
        return
    mpmath.mp.dps = 40
    for xi in (-36.6, -30.0, -20.0, -10.0, -5.0, -2.5, -2.0, -1.999, -1.0, -0.3):
        assert abs(hooks.ndtr(np.array([xi]))[0] / float(mpmath.ncdf(xi)) - 1) < 2e-15


@pytest.mark.parametrize("case", TRUNC_CASES, ids=repr)
def test_truncnorm_mass_is_the_interval_probability(case):
    """The mass the core samples with (and truncated_normal checks against 2**-40)."""
    from scipy import stats
    mean, std, a, b = case
    d = stats.norm(mean, std)
    want = d.sf(a) - d.sf(b) if a >= mean else d.cdf(b) - d.cdf(a)
    assert _core.truncnorm_mass(mean, std, a, b) == pytest.approx(want, rel=1e-13)

def _half_test_values():
    """float32s of every exponent with random mantissas, both signs, plus the
    halfway points and their neighbours of float16 and bfloat16."""
    rng = np.random.default_rng(7)
    exps = np.repeat(np.arange(255, dtype=np.uint32), 4096)
    bits = (exps << 23) | rng.integers(0, 1 << 23, exps.size, dtype=np.uint32)
    ties = np.concatenate([(np.arange(1, 1 << 16, dtype=np.uint32) << 16) | 0x8000,
                           (np.arange(1, 0x7C00, dtype=np.uint32) << 13) + 0x38000000 + 0x1000])
    bits = np.concatenate([bits, ties, ties - 1, ties + 1])
    bits = bits[(bits & 0x7F800000) != 0x7F800000]           # no inf or NaN
    return np.concatenate([bits, bits | 0x80000000]).view(np.float32)


def test_round_to_float16_is_ieee_rounding(hooks):
    x = _half_test_values()
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).view(np.uint16)
    np.testing.assert_array_equal(hooks.round_half(x), want)


def test_round_to_bfloat16_is_ieee_rounding(hooks):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = _half_test_values()
    want = x.astype(ml_dtypes.bfloat16).view(np.uint16)
    np.testing.assert_array_equal(hooks.round_half(x, bfloat16=True), want)


# ---- invariances ---------------------------------------------------------------

N_ODD = 3 * BLOCK + 12345


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_thread_count_invariance(kind):
    base = bits(fill(kind, N_ODD, threads=1))
    for threads in (2, 3, 4, 64):
        np.testing.assert_array_equal(bits(fill(kind, N_ODD, threads=threads)), base)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_simd_paths_agree(kind):
    paths = _core.simd_paths()
    assert "baseline" in paths and _core.simd_path() in paths
    base = bits(fill(kind, N_ODD, start=1001, isa="baseline"))
    for path in paths:
        np.testing.assert_array_equal(bits(fill(kind, N_ODD, start=1001, isa=path)), base,
                                      err_msg=path)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_sub_ranges_equal_slices_of_the_whole(kind):
    whole = fill(kind, 2 * BLOCK + 100)
    rng = np.random.default_rng(0)
    cases = [(0, 1), (1, 1), (15, 2), (31, 3), (BLOCK - 5, 10), (BLOCK, 33), (17, 2 * BLOCK + 83),
             (2 * BLOCK + 99, 1), (BLOCK - 1, 1), (BLOCK + 1, BLOCK - 2)]
    cases += [(int(s), int(rng.integers(1, 2 * BLOCK + 100 - s)))
              for s in rng.integers(0, 2 * BLOCK + 99, size=20)]
    for start, n in cases:
        np.testing.assert_array_equal(bits(fill(kind, n, start=start)),
                                      bits(whole[start:start + n]),
                                      err_msg=f"start={start} n={n}")


def _runs_fill(kind, starts, length, threads=1, isa=None):
    dtype, params = KINDS[kind]
    out = np.empty((len(starts), length), dtype=dtype)
    return _core.fill_runs(out, seed_key(2024), kind, params, np.asarray(starts, np.uint64),
                           threads, isa)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_runs_equal_the_same_elements_of_one_fill(kind):
    # sub-blocks of a C-order array: runs inside one block, across blocks,
    # with gaps shorter than a group (the lanes are re-seeded) and longer
    whole = fill(kind, 3 * BLOCK + 50)
    cases = [(0, 1, 1), (0, 5, 5), (3, 7, 10), (1, 1, 2), (5, 3, 40), (BLOCK - 6, 9, 11),
             (100, 700, 1000),
             (7, 33, 34), (0, 32, 32), (2, BLOCK // 2, BLOCK // 2 + 13), (31, 1, BLOCK // 3)]
    for first, length, stride in cases:
        nruns = (3 * BLOCK + 50 - first - length) // stride + 1
        starts = first + stride * np.arange(nruns)
        want = whole[starts[:, None] + np.arange(length)]
        for threads in (1, 2, 3):
            np.testing.assert_array_equal(bits(_runs_fill(kind, starts, length, threads)),
                                          bits(want), err_msg=f"{first} {length} {stride}")
    for path in _core.simd_paths():
        np.testing.assert_array_equal(bits(_runs_fill(kind, [3, 40, 41 + BLOCK], 17, 2, path)),
                                      bits(np.stack([whole[s:s + 17]
                                                     for s in (3, 40, 41 + BLOCK)])))


def test_runs_must_increase_without_overlap():
    with pytest.raises(ValueError, match="increase"):
        _runs_fill(_core.UNIFORM_F32, [10, 5], 3)
    with pytest.raises(ValueError, match="increase"):
        _runs_fill(_core.UNIFORM_F32, [0, 2], 3)
    with pytest.raises(ValueError, match="increase"):
        _runs_fill(_core.UNIFORM_F32, [2**64 - 2], 3)
    out = np.empty(7, np.float32)
    with pytest.raises(ValueError, match="multiple"):
        _core.fill_runs(out, seed_key(1), _core.UNIFORM_F32, UNIFORM_P, [0, 10])
    with pytest.raises(TypeError, match="cannot hold"):
        _core.fill_runs(np.empty(4, np.float64), seed_key(1), _core.UNIFORM_F32, UNIFORM_P, [0])
    assert _core.fill_runs(np.empty(0, np.float32), seed_key(1), _core.UNIFORM_F32, UNIFORM_P,
                           []).size == 0


@pytest.mark.parametrize("kind", [_core.UNIFORM_F32, _core.UNIFORM_F64])
def test_large_fills_with_streaming_stores_give_the_same_values(kind):
    """Fills of >= 32 MiB use non-temporal stores: from registers into 16-byte
    aligned memory, through a buffer otherwise; pieces below that size use
    neither.  Same values on every SIMD path, for outputs 64-byte aligned,
    16-byte aligned, or one element off, and for a start that leaves a
    partial first group."""
    dtype = KINDS[kind][0]
    item = np.dtype(dtype).itemsize
    n = (40 << 20) // item + 5
    for start in (0, 3):
        thirds = ((0, n // 3), (n // 3, n // 3), (2 * (n // 3), n - 2 * (n // 3)))
        pieces = np.concatenate([fill(kind, m, start=start + s, threads=2) for s, m in thirds])
        raw = np.empty(n * item + 128, dtype=np.uint8)
        for path in _core.simd_paths():
            for skew in (0, 16, 48, item):
                off = (-raw.ctypes.data) % 64 + skew
                out = raw[off:off + n * item].view(dtype)
                out.fill(0)
                _core.fill(out, seed_key(2024), kind, KINDS[kind][1], start, 2, path)
                np.testing.assert_array_equal(out, pieces, err_msg=f"{path} {skew} {start}")


def test_sub_range_far_into_the_stream():
    start = 10**12 + 7
    far = fill(_core.UNIFORM_F32, 1000, start=start)
    pieces = np.concatenate([fill(_core.UNIFORM_F32, 400, start=start),
                             fill(_core.UNIFORM_F32, 600, start=start + 400)])
    np.testing.assert_array_equal(far, pieces)
    blk, off = divmod(start, BLOCK)
    raw = _core.raw_block(seed_key(2024), blk, (off + 1000) // 2 + 1)
    np.testing.assert_array_equal(far, ref.uniform_f32(raw, *UNIFORM_P)[off:off + 1000])


def test_values_depend_on_index_not_on_request_size():
    big = xavier.uniform(BLOCK * 2 + 7, seed=11)
    small = xavier.uniform(1000, seed=11)
    np.testing.assert_array_equal(big[:1000], small)


def test_shape_does_not_change_the_flat_stream():
    a = xavier.normal((6, 10), seed=3)
    b = xavier.normal((60,), seed=3)
    np.testing.assert_array_equal(a.ravel(), b)


# ---- pinned values: an accidental change of stream version 2 fails here ---------

PINNED = [
    (lambda: xavier.glorot_uniform((4, 5), seed=0),
     ["-0x1.7144960000000p-1", "0x1.6185f00000000p-1", "-0x1.d27d180000000p-3",
      "0x1.77775c0000000p-1", "-0x1.32da000000000p-6", "0x1.a01ea00000000p-3"]),
    (lambda: xavier.glorot_normal((3, 3, 8, 16), seed=1),
     ["-0x1.200a6e0000000p-4", "-0x1.c472f20000000p-3", "0x1.fe4cc80000000p-5",
      "-0x1.f00bfe0000000p-5", "-0x1.9ca4b00000000p-5", "0x1.0698f80000000p-5"]),
    (lambda: xavier.uniform(6, -2.0, 3.0, dtype=np.float64, seed=2**70),
     ["0x1.05461f2661db4p+1", "0x1.57a71f94badfcp+1", "0x1.a6a8712ef258cp+0",
      "0x1.184375b33e116p+1", "0x1.08a20ecf9cb48p-1", "-0x1.6044c068b9d0dp+0"]),
    (lambda: xavier.normal(6, 1.0, 0.5, dtype=np.float64, seed=7),
     ["0x1.dc33acd059567p+0", "0x1.6bee314256258p-4", "0x1.6f656ce41021ep+0",
      "0x1.67f30a46cc983p-1", "0x1.ecd17c84323d6p-1", "0x1.af25b283bb6fcp-3"]),
]


PINNED += [
    (lambda: xavier.truncated_normal((4, 5), seed=3),
     ["0x1.73a75c0000000p-5", "-0x1.3e8da20000000p+0", "0x1.fc490a0000000p-1",
      "-0x1.f708bc0000000p+0", "-0x1.8a9f4e0000000p+0", "0x1.645a900000000p-4"]),
    (lambda: xavier.truncated_normal(6, 0.5, 2.0, -1.0, 4.0, dtype=np.float64, seed=4),
     ["-0x1.521314de16c50p-1", "-0x1.c408f1a7f859ap-2", "0x1.413d33349ce5dp+1",
      "0x1.4daf5218d229ap+0", "0x1.a7b2a2e3605c6p-1", "0x1.eb405afb2ede4p-1"]),
    (lambda: xavier.normal(6, dtype=np.float16, seed=5),
     ["-0x1.3800000000000p-1", "-0x1.c180000000000p-3", "0x1.45c0000000000p-1",
      "0x1.7580000000000p-1", "-0x1.3f00000000000p-3", "-0x1.9c40000000000p-2"]),
]


@pytest.mark.parametrize("call, expected", PINNED)
def test_pinned_first_values(call, expected):
    got = call().ravel()[:6]
    assert [float(x).hex() for x in got] == expected


def test_pinned_bfloat16_bits():
    got = _core.fill(np.empty(6, np.uint16), seed_key(6), _core.UNIFORM_BF16, (-1.0, 1.0))
    assert got.tolist() == [48714, 16230, 15543, 48973, 48951, 16077]


# ---- the build: vectorized kernels ----------------------------------------------

def _disassemble(symbol):
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump not available")
    so = _core.__file__
    syms = subprocess.run([objdump, "-t", so], capture_output=True, text=True).stdout
    if symbol not in syms:
        pytest.skip(f"{symbol} not in the symbol table (stripped build)")
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", f"--disassemble={symbol}", so],
                         capture_output=True, text=True).stdout
    return out


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86-64 SIMD paths")
@pytest.mark.parametrize("kernel", ["xv_uniform_f32", "xv_uniform_f64", "xv_normal_f32",
                                    "xv_normal_f64", "xv_truncnorm_f32", "xv_truncnorm_f64",
                                    "xv_uniform_bf16", "xv_normal_f16", "xv_truncnorm_bf16"])
@pytest.mark.parametrize("path, reg, ops", [
    ("avx2", "%ymm", ("vcvtdq2ps", "vmulps", "vmulpd", "vpsllq")),
    ("avx512", "%zmm", ("vcvtdq2ps", "vmulps", "vmulpd", "vprolq", "vpsllq")),
    ("avx512bf16", "%zmm", ("vcvtdq2ps", "vmulps", "vmulpd", "vprolq", "vpsllq")),
])
def test_hot_loops_are_vectorized(kernel, path, reg, ops):
    asm = _disassemble(f"{kernel}_{path}")
    lines = [ln for ln in asm.splitlines() if "\t" in ln]
    wide = [ln for ln in lines if reg in ln]
    # the loop body works on full-width registers: many packed instructions
    assert len(wide) >= 20, f"{kernel}_{path}: only {len(wide)} {reg} instructions"
    assert any(op in ln for ln in wide for op in ops)
    if "normal" in kernel or "truncnorm" in kernel:
        assert any(("vsqrtps" in ln or "vsqrtpd" in ln) and reg in ln for ln in lines)
        assert any(("vdivps" in ln or "vdivpd" in ln) and reg in ln for ln in lines)
