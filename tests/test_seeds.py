"""Seeds and keys: reproducible and distinct streams, huge and NumPy integer
seeds, SeedSequences (also on the in-place path), and named_seed's derivation."""
import numpy as np
import pytest

import xavier
from support.samplers import SAMPLERS
from xavier import _core
from xavier._seeds import named_seed

F64 = np.float64


def _key(x):
    return np.asarray(x).tobytes()


@pytest.mark.parametrize("name", ["uniform", "normal", "glorot_uniform", "glorot_normal"])
def test_seed_reproducible_and_distinct(name):
    fn = SAMPLERS[name]
    shape = (100, 50)
    a = fn(shape, seed=1)
    assert np.array_equal(a, fn(shape, seed=1))
    b = fn(shape, seed=2)
    assert not np.array_equal(a, b)
    # a different seed shares (almost) no values
    assert np.mean(a == b) < 0.01
    n1, n2 = fn(shape, seed=None), fn(shape, seed=None)
    assert not np.array_equal(n1, n2)
    n3 = fn(shape)  # default seed is None
    assert not np.array_equal(n1, n3)


def test_huge_seeds():
    outs = {}
    for seed in (0, 2**32, 2**63, 2**64 - 1, 2**64, 2**200, 3**300):
        a = xavier.uniform(1000, seed=seed)
        assert np.array_equal(a, xavier.uniform(1000, seed=seed))
        outs[seed] = _key(a)
    assert len(set(outs.values())) == len(outs)


@pytest.mark.parametrize("value", [0, 5, 123456789, 2**63 - 1])
def test_numpy_int_seeds_equal_python_int(value):
    ref = xavier.normal(777, seed=value)
    assert np.array_equal(xavier.normal(777, seed=np.int64(value)), ref)
    assert np.array_equal(xavier.normal(777, seed=np.uint64(value)), ref)
    if value < 2**31:
        assert np.array_equal(xavier.normal(777, seed=np.int32(value)), ref)


def test_uint64_max_seed():
    v = 2**64 - 1
    assert np.array_equal(xavier.uniform(300, seed=np.uint64(v)), xavier.uniform(300, seed=v))


def test_seed_sequence_equals_int_seed():
    ss = np.random.SeedSequence(5)
    for fn in (xavier.uniform, xavier.normal, xavier.glorot_uniform, xavier.glorot_normal):
        ref = fn((30, 20), seed=5)
        assert np.array_equal(fn((30, 20), seed=ss), ref)
        # reusing the same SeedSequence gives the same values again
        assert np.array_equal(fn((30, 20), seed=ss), ref)
    assert not np.array_equal(xavier.uniform(100, seed=np.random.SeedSequence(6)),
                              xavier.uniform(100, seed=5))


def test_seed_independent_of_dtype_call_path():
    # inplace and out= paths use the seed the same way as new arrays
    arr = np.empty((40, 30))
    xavier.xavier_uniform_(arr, seed=np.random.SeedSequence(99))
    assert np.array_equal(arr, xavier.glorot_uniform((40, 30), dtype=F64, seed=99,
                                                     layout="torch"))


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
