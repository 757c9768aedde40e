#!/usr/bin/env python
"""Write xavier's raw stream to stdout, for external test batteries.

The bytes are the 64-bit outputs (little-endian) of the block/lane
construction in stream order: block 0's outputs (lane i % 8, step i // 8),
then block 1's, and so on: every lane of every block, each seeded from the
key through SplitMix64, interleaved as the kernels consume them.  Usage::

    python tests/support/raw_stream.py --seed 1 | dieharder -a -g 200
    python tests/support/raw_stream.py --seed 1 | RNG_test stdin64      (PractRand)
    python tests/support/raw_stream.py --seed 1 --gib 4 > stream.bin

Without --gib it writes until the reader closes the pipe.
"""
import argparse
import sys

import numpy as np

import xavier
from xavier import _core

BLOCKS_PER_WRITE = 16  # 8 MiB


def blocks(seed: int, first: int = 0):
    """Raw outputs of blocks first, first + 1, ... (uint64 arrays of one block each)."""
    key = xavier._seeds.seed_key(seed)
    b = first
    while True:
        yield _core.raw_block(key, b, int(_core.BLOCK))
        b += 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--first-block", type=int, default=0)
    p.add_argument("--gib", type=float, help="stop after this many GiB (default: never)")
    args = p.parse_args(argv)
    out = sys.stdout.buffer
    limit = None if args.gib is None else int(args.gib * 2**30)
    written = 0
    gen = blocks(args.seed, args.first_block)
    try:
        while limit is None or written < limit:
            data = np.concatenate([next(gen) for _ in range(BLOCKS_PER_WRITE)]).tobytes()
            if limit is not None:
                data = data[: limit - written]
            out.write(data)
            written += len(data)
        out.flush()
    except BrokenPipeError:
        sys.stderr.close()  # the reader has had enough
    return 0


if __name__ == "__main__":
    sys.exit(main())
