"""pytest-benchmark suite: xavier against memory bandwidth and the usual peers.

Run with::

    python -m pytest benchmarks/ --benchmark-only

Groups "uniform" and "normal" time one 8192 x 8192 float32 layer (fans 8192,
8192; 256 MiB) filled into a preallocated buffer, side by side with:

* ``buf.fill(0.5)``: a memory-bandwidth reference (in both groups);
* NumPy's ``Generator`` filling the buffer in place, then scaling it;
* the tutorials' classic ``np.random.uniform`` / ``np.random.normal``
  (float64, then ``.astype(np.float32)``);
* ``torch.nn.init.xavier_uniform_`` / ``xavier_normal_`` on a CPU tensor
  (skipped when torch is not importable).

Group "sizes" times ``xavier.glorot_uniform`` alone over a few layer sizes.
Rounds are kept small so the whole suite runs in about a minute on 2 cores;
``benchmarks/compare.py`` prints the same comparison as a table.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import xavier

N = 8192
SHAPE = (N, N)
FANS = (N, N)
LIMIT = math.sqrt(6.0 / (FANS[0] + FANS[1]))  # Glorot uniform bound a
STD = math.sqrt(2.0 / (FANS[0] + FANS[1]))    # Glorot normal std s

# Rounds per contender (one extra warm-up round each, not counted).
FAST_ROUNDS = 10  # ~0.03-0.2 s per call: fill, xavier, Generator uniform, torch
SLOW_ROUNDS = 3   # ~0.3-3 s per call: Generator normal, classic np.random


def _run(benchmark, fn, rounds, group):
    benchmark.group = group
    benchmark.extra_info["bytes"] = N * N * 4
    return benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.fixture(scope="module")
def buf():
    """The 256 MiB float32 output, allocated and paged in once per module."""
    b = np.empty(SHAPE, dtype=np.float32)
    b.fill(0.0)  # touch every page so no contender pays the first-touch faults
    return b


@pytest.fixture(scope="module")
def tbuf(buf):
    """A torch CPU tensor sharing `buf`'s memory (skips without torch)."""
    torch = pytest.importorskip("torch")
    return torch.from_numpy(buf)


# ---- memory-bandwidth reference (both groups) --------------------------------

@pytest.mark.parametrize("group", ["uniform", "normal"])
def test_fill_reference(benchmark, buf, group):
    _run(benchmark, lambda: buf.fill(0.5), FAST_ROUNDS, group)
    assert buf[0, 0] == 0.5 and buf[-1, -1] == 0.5


# ---- uniform -----------------------------------------------------------------

def test_uniform_xavier(benchmark, buf):
    benchmark.extra_info["threads"] = xavier.config()["default_threads"]
    _run(benchmark, lambda: xavier.glorot_uniform(buf.shape, out=buf, seed=1),
         FAST_ROUNDS, "uniform")
    assert -LIMIT <= buf[:64].min() and buf[:64].max() < LIMIT


def test_uniform_numpy_generator(benchmark, buf):
    rng = np.random.default_rng(1)
    width = np.float32(2 * LIMIT)
    low = np.float32(LIMIT)

    def fn():
        rng.random(out=buf, dtype=np.float32)
        np.multiply(buf, width, out=buf)
        np.subtract(buf, low, out=buf)

    _run(benchmark, fn, FAST_ROUNDS, "uniform")
    assert -LIMIT <= buf[:64].min() and buf[:64].max() <= LIMIT


def test_uniform_numpy_classic(benchmark):
    np.random.seed(1)

    def fn():
        return np.random.uniform(-LIMIT, LIMIT, size=SHAPE).astype(np.float32)

    w = _run(benchmark, fn, SLOW_ROUNDS, "uniform")
    assert w.shape == SHAPE and w.dtype == np.float32


def test_uniform_torch(benchmark, tbuf):
    import torch

    benchmark.extra_info["threads"] = torch.get_num_threads()
    _run(benchmark, lambda: torch.nn.init.xavier_uniform_(tbuf), FAST_ROUNDS, "uniform")
    assert float(tbuf[:64].abs().max()) <= LIMIT


# ---- normal ------------------------------------------------------------------

def test_normal_xavier(benchmark, buf):
    benchmark.extra_info["threads"] = xavier.config()["default_threads"]
    _run(benchmark, lambda: xavier.glorot_normal(buf.shape, out=buf, seed=1),
         FAST_ROUNDS, "normal")
    assert abs(float(buf[:64].std()) / STD - 1.0) < 0.02


def test_normal_numpy_generator(benchmark, buf):
    rng = np.random.default_rng(1)
    std = np.float32(STD)

    def fn():
        rng.standard_normal(out=buf, dtype=np.float32)
        np.multiply(buf, std, out=buf)

    _run(benchmark, fn, SLOW_ROUNDS, "normal")
    assert abs(float(buf[:64].std()) / STD - 1.0) < 0.02


def test_normal_numpy_classic(benchmark):
    np.random.seed(1)

    def fn():
        return np.random.normal(0.0, STD, size=SHAPE).astype(np.float32)

    w = _run(benchmark, fn, SLOW_ROUNDS, "normal")
    assert w.shape == SHAPE and w.dtype == np.float32


def test_normal_torch(benchmark, tbuf):
    import torch

    benchmark.extra_info["threads"] = torch.get_num_threads()
    _run(benchmark, lambda: torch.nn.init.xavier_normal_(tbuf), FAST_ROUNDS, "normal")
    assert abs(float(tbuf[:64].std()) / STD - 1.0) < 0.02


# ---- xavier over layer sizes -------------------------------------------------

@pytest.mark.parametrize("n", [256, 1024, 4096])
def test_sizes_xavier_uniform(benchmark, n):
    out = np.zeros((n, n), dtype=np.float32)
    benchmark.group = "sizes (xavier.glorot_uniform)"
    benchmark.extra_info["bytes"] = out.nbytes
    benchmark.pedantic(lambda: xavier.glorot_uniform(out.shape, out=out, seed=1),
                       rounds=max(5, min(200, (1 << 26) // out.size)),
                       iterations=1, warmup_rounds=1)
