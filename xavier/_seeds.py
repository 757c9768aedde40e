"""Seeds: the 256-bit stream key of a seed, and the seeds of named tensors."""
from __future__ import annotations

import hashlib
import numbers
import operator
from typing import Dict, Union

import numpy as np

from . import _core
from ._checks import NOT_NUMBERS
from ._fans import show_int

SeedLike = Union[None, int, np.integer, np.random.SeedSequence]

_KEYS: Dict[int, np.ndarray] = {}   # keys of recent int seeds (read-only arrays)
_KEYS_MAX = 4096
_KEYS_BELOW = 1 << 64


def seed_key(seed: SeedLike) -> np.ndarray:
    """The 256-bit stream key of `seed`: ``SeedSequence(seed).generate_state(4, uint64)``.

    Int seeds skip the SeedSequence object (several microseconds, as much as
    filling a small layer): the core computes the same key directly.  Keys
    of int seeds below 2**64 (those people choose; drawn ones, as
    xavier.torch's 126-bit seeds, are rarely seen twice) are also kept.  The
    array returned may be shared and is read-only."""
    if type(seed) is int and seed >= 0:
        if seed >= _KEYS_BELOW:
            return _core.int_seed_key(seed)
        key = _KEYS.get(seed)
        if key is None:
            key = _core.int_seed_key(seed)
            key.flags.writeable = False
            if len(_KEYS) >= _KEYS_MAX:
                _KEYS.clear()
            _KEYS[seed] = key
        return key
    return as_seed_sequence(seed).generate_state(4, np.uint64)


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """`seed` (None, a non-negative int or a SeedSequence) as a SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, NOT_NUMBERS) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(
            f"seed must be None, a non-negative int or a SeedSequence, got {type(seed).__name__}"
        )
    value = operator.index(seed)
    if value < 0:
        raise ValueError(f"seed must be non-negative, got {show_int(value)}")
    return np.random.SeedSequence(value)


def named_seed(seed: SeedLike, name: str) -> np.random.SeedSequence:
    """The seed of the tensor called `name` in a model seeded with `seed`.

    ``SeedSequence(entropy, spawn_key=spawn_key + (h,))``, where `entropy`
    and `spawn_key` are those of ``as_seed_sequence(seed)`` and `h` is the
    128-bit little-endian integer of ``blake2b(name.encode("utf-8"),
    digest_size=16)``.  Each tensor's values depend on the seed and its own
    name only, so adding, removing or editing other tensors leaves them as
    they are.

    Examples
    --------
    >>> import xavier
    >>> a = xavier.uniform(3, seed=xavier.named_seed(7, "fc1.weight"))
    >>> b = xavier.uniform(3, seed=xavier.named_seed(7, "fc2.weight"))
    >>> bool((a != b).all())
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    base = as_seed_sequence(seed)
    h = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest(), "little")
    return np.random.SeedSequence(base.entropy, spawn_key=tuple(base.spawn_key) + (h,),
                                  pool_size=base.pool_size)


