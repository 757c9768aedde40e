#!/usr/bin/env python
"""A statistical battery on xavier's raw stream (the block/lane construction).

Classic tests, written with NumPy and SciPy, on the 64-bit outputs of many
blocks in stream order (8 interleaved lanes per block, each seeded from the
key, block and lane through SplitMix64), so they see correlations between
lanes and between blocks as well as within one xoshiro256++ sequence:

=================  ==========================================================
words16            frequencies of 16-bit words (all four of each output)
bits               ones per bit position of the 64 (chi-square of 64 z-scores)
pairs, lag 1       consecutive outputs (neighbouring lanes): top bytes as
                   65536 cells
pairs, lag 8       outputs 8 apart (one lane's consecutive steps)
pairs, blocks      output i of block b against output i of block b + 1
triples            top 5 bits of three consecutive outputs, 32768 cells
gap                gaps between visits of u (top 32 bits) to [0, 1/16)
birthday spacings  Marsaglia's: 2^12 birthdays in 2^32 days (low and high
                   halves of the outputs), duplicate spacings ~ Poisson(4)
matrix rank        ranks over GF(2) of 32 x 32 bit matrices (32-bit words)
=================  ==========================================================

Each test gives a p-value (chi-square or its normal approximation, upper
tail).  ``scale`` multiplies the data: ``scale=1`` reads about 200 MiB
(CI); ``python tests/support/battery.py --scale 32`` about 6 GiB.
"""
import argparse
import sys
import time
from typing import Callable, Dict, List, Optional

import numpy as np
from scipy import stats

import xavier
from xavier import _core

BLOCK = int(_core.BLOCK)


class Stream:
    """Consecutive blocks of a stream: xavier's raw stream of `seed`, or any
    `source(block) -> BLOCK uint64 outputs` (the tests' negative controls)."""

    def __init__(self, seed: int = 1, first_block: int = 0,
                 source: Optional[Callable[[int], np.ndarray]] = None):
        key = xavier._seeds.seed_key(seed)
        self.source = source or (lambda b: _core.raw_block(key, b, BLOCK))
        self.next_block = first_block
        self.bytes = 0

    def take(self, nblocks: int) -> np.ndarray:
        """The outputs of the next `nblocks` blocks, in stream order."""
        out = np.concatenate([self.source(b)
                              for b in range(self.next_block, self.next_block + nblocks)])
        self.next_block += nblocks
        self.bytes += out.nbytes
        return out

    def blocks(self, nblocks: int) -> np.ndarray:
        """The next `nblocks` blocks as rows."""
        return self.take(nblocks).reshape(nblocks, BLOCK)


def _chi2(counts: np.ndarray, expected: np.ndarray) -> float:
    counts = counts.astype(np.float64).ravel()
    expected = np.broadcast_to(expected, counts.shape).astype(np.float64)
    stat = float(((counts - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(stat, counts.size - 1))


def words16(s: Stream, scale: int) -> float:
    x = s.take(64 * scale).view(np.uint16)
    counts = np.bincount(x, minlength=1 << 16)
    return _chi2(counts, np.full(1 << 16, x.size / 65536))


def bits(s: Stream, scale: int) -> float:
    x = s.take(64 * scale)
    n = x.size
    ones = np.array([int(np.count_nonzero((x >> np.uint64(b)) & np.uint64(1))) for b in range(64)])
    z = (ones - n / 2) / np.sqrt(n / 4)
    return float(stats.chi2.sf(float((z ** 2).sum()), 64))


def _pairs(a: np.ndarray, b: np.ndarray) -> float:
    cells = (a >> np.uint64(56)) * np.uint64(256) + (b >> np.uint64(56))
    counts = np.bincount(cells.astype(np.int64), minlength=1 << 16)
    return _chi2(counts, np.full(1 << 16, a.size / 65536))


def pairs_lag1(s: Stream, scale: int) -> float:
    x = s.take(32 * scale)
    return _pairs(x[0:-1:2], x[1::2])


def pairs_lag8(s: Stream, scale: int) -> float:
    x = s.take(32 * scale).reshape(-1, 16)  # rows: two steps of 8 lanes
    return _pairs(x[:, :8].ravel(), x[:, 8:].ravel())


def pairs_blocks(s: Stream, scale: int) -> float:
    x = s.blocks(32 * scale)
    return _pairs(x[0::2].ravel(), x[1::2].ravel())


def triples(s: Stream, scale: int) -> float:
    x = s.take(48 * scale)
    x = x[: x.size // 3 * 3].reshape(-1, 3) >> np.uint64(59)
    cells = (x[:, 0] << np.uint64(10)) | (x[:, 1] << np.uint64(5)) | x[:, 2]
    counts = np.bincount(cells.astype(np.int64), minlength=1 << 15)
    return _chi2(counts, np.full(1 << 15, x.shape[0] / 32768))


def gap(s: Stream, scale: int) -> float:
    u = (s.take(32 * scale) >> np.uint64(32)).astype(np.float64) / 2.0**32
    hits = np.flatnonzero(u < 1 / 16)
    gaps = np.diff(hits) - 1
    p, top = 1 / 16, 100
    observed = np.bincount(np.minimum(gaps, top), minlength=top + 1)
    probs = p * (1 - p) ** np.arange(top, dtype=np.float64)
    probs = np.append(probs, (1 - p) ** top)
    return _chi2(observed, probs * gaps.size)


def _birthdays(days: np.ndarray, group: int = 500) -> float:
    """Marsaglia's test: rows of m = 2^12 birthdays in n = 2^32 days; the
    duplicate spacings of a row are about Poisson(m^3 / 4n = 4) (2^12 in
    2^32 rather than Diehard's 2^10 in 2^24, where the Poisson law is off
    by about 1% in the mean: visible with many rows).  Each group of 500
    rows gives a chi-square p-value; groups are combined by a KS test of
    their p-values, as dieharder does."""
    days = np.sort(days, axis=1)
    spacings = np.sort(np.diff(days, axis=1, prepend=0), axis=1)
    dups = (np.diff(spacings, axis=1) == 0).sum(axis=1)
    lam, top = 4.0, 20
    probs = stats.poisson.pmf(np.arange(top), lam)
    probs = np.append(probs, stats.poisson.sf(top - 1, lam))
    keep = probs * group >= 5  # pool the sparse tails
    pvalues = []
    for g in range(dups.size // group):
        observed = np.bincount(np.minimum(dups[g * group:(g + 1) * group], top),
                               minlength=top + 1)
        obs = np.append(observed[keep], observed[~keep].sum())
        exp = np.append(probs[keep], probs[~keep].sum()) * group
        pvalues.append(_chi2(obs, exp))
    if len(pvalues) == 1:
        return pvalues[0]
    return float(stats.kstest(pvalues, "uniform").pvalue)


def birthdays_low(s: Stream, scale: int) -> float:
    x = s.take(32 * scale) & np.uint64(0xFFFFFFFF)
    return _birthdays(x.astype(np.int64).reshape(-1, 4096))


def birthdays_high(s: Stream, scale: int) -> float:
    x = s.take(32 * scale) >> np.uint64(32)
    return _birthdays(x.astype(np.int64).reshape(-1, 4096))


def _gf2_ranks(rows: np.ndarray) -> np.ndarray:
    """Ranks over GF(2) of matrices given as (n, 32) uint32 rows."""
    m = rows.copy()
    n = m.shape[0]
    rank = np.zeros(n, dtype=np.int64)
    idx = np.arange(n)
    for bit in range(31, -1, -1):
        mask = np.uint32(1 << bit)
        has = (m & mask) != 0
        # a pivot among the rows not yet used: rows rank..31
        usable = has & (np.arange(32)[None, :] >= rank[:, None])
        found = usable.any(axis=1)
        piv = np.argmax(usable, axis=1)
        sel = idx[found]
        pr, r = piv[found], rank[found]
        # swap the pivot row into place `rank`
        tmp = m[sel, pr].copy()
        m[sel, pr] = m[sel, r]
        m[sel, r] = tmp
        # clear the bit from every other row
        prow = m[sel, r][:, None]
        clear = ((m[sel] & mask) != 0)
        clear[np.arange(sel.size), r] = False
        m[sel] = np.where(clear, m[sel] ^ prow, m[sel])
        rank[found] += 1
    return rank


def matrix_rank(s: Stream, scale: int) -> float:
    words = s.take(16 * scale).view(np.uint32)
    rows = words[: words.size // 32 * 32].reshape(-1, 32)
    r = _gf2_ranks(rows)
    probs = np.array([0.0052854502, 0.1283502644, 0.5775761902, 0.2887880952])  # <=29, 30, 31, 32
    observed = np.array([(r <= 29).sum(), (r == 30).sum(), (r == 31).sum(), (r == 32).sum()])
    return _chi2(observed, probs * r.size)


TESTS: Dict[str, Callable[[Stream, int], float]] = {
    "words16": words16, "bits": bits, "pairs, lag 1": pairs_lag1, "pairs, lag 8": pairs_lag8,
    "pairs, blocks": pairs_blocks, "triples": triples, "gap": gap,
    "birthday spacings, low bits": birthdays_low, "birthday spacings, high bits": birthdays_high,
    "matrix rank 32x32": matrix_rank,
}


def run(seed: int = 1, scale: int = 1, report: Callable[[str, float, int], None]
        = lambda name, p, nbytes: None,
        source: Optional[Callable[[int], np.ndarray]] = None) -> Dict[str, float]:
    """Every test on fresh parts of the stream of `seed` (or of `source`);
    {name: p-value}."""
    s = Stream(seed, source=source)
    out = {}
    for name, fn in TESTS.items():
        before = s.bytes
        out[name] = fn(s, scale)
        report(name, out[name], s.bytes - before)
    return out


def main(argv: List[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=int, default=1, help="data multiplier (1: ~200 MiB)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    total = [0]

    def report(name: str, pv: float, nbytes: int) -> None:
        total[0] += nbytes
        print(f"| {name} | {nbytes / 2**20:.0f} MiB | {pv:.4f} |", flush=True)

    print("| test | data | p-value |\n|:---|---:|---:|")
    run(args.seed, args.scale, report)
    print(f"\nseed {args.seed}, scale {args.scale}: {total[0] / 2**30:.2f} GiB in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
