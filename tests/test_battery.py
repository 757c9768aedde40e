"""The statistical battery (tests/support/battery.py) on the raw stream, at CI size.

The battery must pass on xavier's stream for fixed seeds, and must fail on
weak streams that look plausible (negative controls), which shows that it
can see what it is meant to see.
"""
import numpy as np
import pytest

pytest.importorskip("scipy")
from support import battery  # noqa: E402

ALPHA = 1e-4  # with fixed seeds a pass is reproducible; this only bounds bad luck


@pytest.mark.parametrize("seed", [1, 2**64 - 1])
def test_raw_stream_passes(seed):
    res = battery.run(seed=seed, scale=1)
    assert set(res) == set(battery.TESTS)
    bad = {k: p for k, p in res.items() if not p > ALPHA}
    assert not bad, bad


def _weyl(b):
    i = np.arange(b * battery.BLOCK, (b + 1) * battery.BLOCK, dtype=np.uint64)
    return i * np.uint64(0x9E3779B97F4A7C15)


def _lcg(b):
    """Knuth's MMIX LCG from a per-block start: weak low bits."""
    a, c = np.uint64(6364136223846793005), np.uint64(1442695040888963407)
    x = np.empty(battery.BLOCK, np.uint64)
    v = np.uint64(b * 7919 + 1)
    with np.errstate(over="ignore"):
        # 8 interleaved LCG "lanes" with consecutive seeds, as a careless design would
        lanes = v + np.arange(8, dtype=np.uint64)
        for step in range(battery.BLOCK // 8):
            lanes = lanes * a + c
            x[step * 8:(step + 1) * 8] = lanes
    return x


def _same_lanes(b):
    """All 8 lanes of a block seeded alike (the classic mistake): each output 8 times."""
    return np.repeat(battery._core.raw_block(battery.xavier._seeds.seed_key(b), 0,
                                             battery.BLOCK // 8), 8)


def _repeated_blocks(b):
    """Every block the same (a block index that does not reach the seeding)."""
    return battery._core.raw_block(battery.xavier._seeds.seed_key(1), 0, battery.BLOCK)


@pytest.mark.parametrize("source", [_weyl, _lcg, _same_lanes, _repeated_blocks],
                         ids=lambda f: f.__name__.strip("_"))
def test_weak_streams_fail(source):
    res = battery.run(scale=1, source=source)
    assert min(res.values()) < 1e-10, res
