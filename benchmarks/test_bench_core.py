"""pytest-benchmark suite: the comparisons of ``xavier bench``, under pytest.

Run with::

    python -m pytest benchmarks/ --benchmark-only

Groups "uniform float32 8192" and "normal float32 8192" time one 8192 x 8192
float32 Glorot layer (256 MiB) with the very contenders of ``xavier bench``
(``xavier._bench.entries``: ``ndarray.fill``, xavier, NumPy's Generator alone
and in its multithreaded recipe, the seeds' ``np.random``, and torch,
randomgen and mkl_random where installed), at the default thread count, so
the ranking is the one ``xavier bench`` prints.  A peer that is not installed
is skipped.  Group "sizes" times ``xavier.glorot_uniform`` alone over a few
layer sizes.  Rounds are kept small: about a minute on 2 cores.
"""
from __future__ import annotations

import numpy as np
import pytest

import xavier
from xavier import _bench

N = 8192
THREADS = _bench.default_threads()
FAST = ("fill", "fill_threaded", "xavier")  # ~10-30 ms a call: 10 rounds, else 3
KEYS = [k for k in _bench.CONTENDERS if not (k.endswith("_threaded") and THREADS[0] == 1)]


@pytest.fixture(scope="module")
def buf():
    """The 256 MiB float32 output, allocated and paged in once per module."""
    b = np.empty((N, N), dtype=np.float32)
    b.fill(0.0)  # touch every page so no contender pays the first-touch faults
    return b


@pytest.fixture(scope="module")
def peers():
    return {name: _bench.import_peer(name)[0] for name in _bench.PEERS}


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("dist", _bench.DISTS)
def test_contender(benchmark, buf, peers, dist, key):
    case = _bench.Case(dist, "float32", N)
    es = _bench.entries(case, buf, THREADS, peers, only=[key])
    if not es:
        pytest.skip(f"{key} is not installed")
    (e,) = es
    try:
        benchmark.group = f"{dist} float32 {N}"
        benchmark.extra_info.update(bytes=case.nbytes, threads=e.threads, label=e.label)
        result = benchmark.pedantic(e.fn, rounds=10 if key in FAST else 3, iterations=1,
                                    warmup_rounds=1)
        e.check(result)  # the timed calls produced the right kind of values
    finally:
        e.cleanup()


@pytest.mark.parametrize("n", [256, 1024, 4096])
def test_sizes_xavier_uniform(benchmark, n):
    out = np.zeros((n, n), dtype=np.float32)
    benchmark.group = "sizes (xavier.glorot_uniform)"
    benchmark.extra_info["bytes"] = out.nbytes
    benchmark.pedantic(lambda: xavier.glorot_uniform(out.shape, out=out, seed=1),
                       rounds=max(5, min(200, (1 << 26) // out.size)),
                       iterations=1, warmup_rounds=1)
    bound = np.sqrt(6.0 / (2 * n))
    assert np.abs(out).max() <= bound
