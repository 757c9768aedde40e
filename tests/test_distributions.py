"""Distribution checks with scipy.stats: bounds, moments, KS, tails, and
correlations across block boundaries and across seeds.

All seeds are fixed, so each test is deterministic; thresholds are set so a
correct sampler passes with a wide margin (p-values > 1e-4)."""
import numpy as np
import pytest
from scipy import stats

import xavier
from xavier import _core

BLOCK = _core.BLOCK
N = 2**21          # samples per seed
SEEDS = [0, 1, 2**63 + 5, 123456789]
P_MIN = 1e-4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_distribution(dtype, seed):
    lo, hi = -0.3, 0.7
    x = xavier.uniform(N, lo, hi, dtype=dtype, seed=seed)
    assert x.dtype == dtype and np.isfinite(x).all()
    assert x.min() >= np.asarray(lo, dtype) and x.max() < np.asarray(hi, dtype)
    x64 = x.astype(np.float64)
    assert stats.kstest(x64, stats.uniform(lo, hi - lo).cdf).pvalue > P_MIN
    se = (hi - lo) / np.sqrt(12 * N)
    assert abs(x64.mean() - (lo + hi) / 2) < 5 * se
    assert abs(x64.var() / ((hi - lo) ** 2 / 12) - 1) < 5 * np.sqrt(0.8 / N)
    # excess kurtosis -1.2; delta-method variance of the estimator: 1.3166 / N
    assert abs(stats.kurtosis(x64) - (-1.2)) < 5 * np.sqrt(1.3166 / N)
    counts = np.histogram(x64, bins=1024, range=(lo, hi))[0]
    assert stats.chisquare(counts).pvalue > P_MIN


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_normal_distribution(dtype, seed):
    mean, std = 0.5, 1.5
    x = xavier.normal(N, mean, std, dtype=dtype, seed=seed)
    assert x.dtype == dtype and np.isfinite(x).all()
    z = (x.astype(np.float64) - mean) / std
    assert stats.kstest(z, "norm").pvalue > P_MIN
    assert abs(z.mean()) < 5 / np.sqrt(N)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / N)
    assert abs(stats.skew(z)) < 5 * np.sqrt(6 / N)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24 / N)


@pytest.mark.parametrize("dtype, reach", [(np.float32, 6.67), (np.float64, 8.58)])
def test_normal_tails_to_five_sigma(dtype, reach):
    n = 2**25
    z = xavier.normal(n, dtype=dtype, seed=99).astype(np.float64)
    az = np.abs(z)
    assert az.max() < reach
    for k in (1, 2, 3, 4, 5):
        count = int((az > k).sum())
        p = 2 * stats.norm.sf(k)
        assert stats.binomtest(count, n, p).pvalue > P_MIN, (k, count, n * p)
    # the distribution of the tail beyond 4 sigma, not only its mass
    tail = az[az > 4]
    cond = lambda t: (stats.norm.sf(4) - stats.norm.sf(t)) / stats.norm.sf(4)  # noqa: E731
    assert stats.kstest(tail, cond).pvalue > P_MIN


def test_glorot_scales_are_the_distributions():
    shape = (1024, 2048)
    a = np.sqrt(6 / (1024 + 2048))
    w = xavier.glorot_uniform(shape, seed=8, dtype=np.float64).ravel()
    assert stats.kstest(w, stats.uniform(-a, 2 * a).cdf).pvalue > P_MIN
    s = np.sqrt(2 / (1024 + 2048))
    w = xavier.glorot_normal(shape, seed=8, dtype=np.float64).ravel()
    assert stats.kstest(w, stats.norm(0, s).cdf).pvalue > P_MIN


def _corr(a, b):
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize("kind, dtype", [("uniform", np.float32), ("normal", np.float32),
                                         ("uniform", np.float64), ("normal", np.float64)])
def test_autocorrelation_of_the_flat_stream(kind, dtype):
    n = 40 * BLOCK
    x = getattr(xavier, kind)(n, dtype=dtype, seed=4).astype(np.float64)
    x -= x.mean()
    bound = 5 / np.sqrt(n)
    for lag in (1, 2, 3, 8, 15, 16, 17, 31, 32, 64, 1000, BLOCK - 1, BLOCK, BLOCK + 1):
        assert abs(_corr(x[:-lag], x[lag:])) < bound, lag
    # pairs straddling each block boundary: the end of block b against the
    # start of block b + 1, mirrored around the boundary
    m = 4096
    ends = np.concatenate([x[b * BLOCK - m:b * BLOCK][::-1] for b in range(1, 40)])
    starts = np.concatenate([x[b * BLOCK:b * BLOCK + m] for b in range(1, 40)])
    assert abs(_corr(ends, starts)) < 5 / np.sqrt(ends.size)
    # block means are independent draws: their spread is that of means
    means = x.reshape(40, BLOCK).mean(axis=1)
    sd = x.std() / np.sqrt(BLOCK)
    assert stats.kstest(means / sd, "norm").pvalue > P_MIN


@pytest.mark.parametrize("kind", ["uniform", "normal"])
def test_cross_seed_correlation(kind):
    n = 4 * BLOCK
    seeds = [0, 1, 2, 3, 4, 5, 6, 7, 2**32, 2**64 - 1]
    xs = np.stack([getattr(xavier, kind)(n, seed=s).astype(np.float64) for s in seeds])
    c = np.corrcoef(xs)
    off = c[~np.eye(len(seeds), dtype=bool)]
    assert np.abs(off).max() < 5 / np.sqrt(n)
    # the same index in adjacent seeds is not equal more often than chance
    assert (xs[0] == xs[1]).mean() < 1e-3


def test_lanes_of_one_block_are_uncorrelated():
    # float64 uniform: value j of each 8-value group comes from lane j
    x = xavier.uniform(64 * BLOCK, dtype=np.float64, seed=12).reshape(-1, 8)
    c = np.corrcoef(x.T)
    assert np.abs(c[~np.eye(8, dtype=bool)]).max() < 5 / np.sqrt(x.shape[0])


TRUNC_INTERVALS = [(0.0, 1.0, -2.0, 2.0), (0.3, 2.0, -1.0, 4.0), (0.0, 1.0, 1.5, 3.0),
                   (0.0, 1.0, -np.inf, -4.0), (0.0, 0.02, -2.0, 2.0), (5.0, 1.0, -np.inf, np.inf)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", TRUNC_INTERVALS, ids=repr)
def test_truncated_normal_distribution(dtype, case):
    mean, std, a, b = case
    d = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    n = 2**20
    for seed in (SEEDS[0], SEEDS[2]):
        x = xavier.truncated_normal(n, mean, std, a, b, dtype=dtype, seed=seed)
        assert x.dtype == dtype and np.isfinite(x).all()
        assert x.min() >= dtype(a) and x.max() <= dtype(b)
        x64 = x.astype(np.float64)
        assert stats.kstest(x64, d.cdf).pvalue > P_MIN
        se = d.std() / np.sqrt(n)
        assert abs(x64.mean() - d.mean()) < 5 * se
        # sample variance: sd of the estimator ~ var * sqrt((kurtosis + 2) / n)
        k = d.stats(moments="k")
        assert abs(x64.var() / d.var() - 1) < 5 * np.sqrt((float(k) + 2) / n)


def test_keras_truncated_normal_has_the_requested_variance():
    """A unit normal truncated to [-2, 2], divided by 0.8796...: variance 1."""
    sd = 1 / 0.87962566103423978
    x = xavier.truncated_normal(2**22, 0.0, sd, -2 * sd, 2 * sd, dtype=np.float64, seed=17)
    assert abs(x.var() - 1) < 5 * np.sqrt((stats.truncnorm(-2, 2).stats(moments="k") + 2) / x.size)
    assert np.abs(x).max() <= 2 * sd
    # the truncation: no values beyond, and the density at the edge is there
    assert (np.abs(x) > 1.99 * sd).mean() > 0
