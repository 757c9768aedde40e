"""Known-answer tests of xoshiro256++, SplitMix64, the jump, and the
Xoshiro256 BitGenerator."""
import copy
import pickle

import numpy as np
import pytest

import xavier
from support import reference as ref
from xavier import _core


def _bg(words):
    bg = xavier.Xoshiro256()
    bg.state = {"bit_generator": "Xoshiro256", "state": {"s": list(words)}}
    return bg


def test_xoshiro256pp_known_answer():
    # the reference C code from state {1, 2, 3, 4}
    assert _bg([1, 2, 3, 4]).random_raw(3).tolist() == [41943041, 58720359, 3588806011781223]


def test_xoshiro256pp_matches_python_reference():
    words = [0x0123456789ABCDEF, 0xFEDCBA9876543210, 0xDEADBEEFCAFEBABE, 7]
    expected = ref.xoshiro256pp(list(words), 1000)
    assert _bg(words).random_raw(1000).tolist() == expected
    assert ref.xoshiro256pp([1, 2, 3, 4], 3) == [41943041, 58720359, 3588806011781223]


def test_splitmix64_known_answer():
    # SplitMix64 from seed 0; a zero key makes lane 0 of block 0 exactly that
    expected = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert ref.splitmix64(0, 3) == expected
    state = _core.lane_state(np.zeros(4, np.uint64), 0, 0).tolist()
    assert state[:3] == expected
    assert state[3] == ref.splitmix64(0, 4)[3]


# State (1, 2, 3, 4) jumped by 2**128 and 2**256 steps: the same linear engine
# and jump polynomial as randomgen 2.5.1's Xoshiro256.jumped(), which gave these.
JUMP1 = [0x8C7A153956B5F3D1, 0x701F1A713401D85E, 0x6527F66A65469085, 0x8386B786C4408050]
JUMP2 = [0x46F0982578DE9FF7, 0xB1BA9F06C0B88626, 0x0F85ED0825D9669D, 0x9764A25D66E64F2C]


def test_jump_known_answer():
    bg = _bg([1, 2, 3, 4])
    assert bg.jumped().state["state"]["s"].tolist() == JUMP1
    assert bg.jumped(2).state["state"]["s"].tolist() == JUMP2
    assert bg.jumped().jumped().state["state"]["s"].tolist() == JUMP2
    assert bg.jumped(0).state["state"]["s"].tolist() == [1, 2, 3, 4]
    # the original is unchanged
    assert bg.state["state"]["s"].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="jumps"):
        bg.jumped(-1)


def test_bit_generator_with_numpy_generator():
    g = np.random.Generator(xavier.Xoshiro256(7))
    x = g.standard_normal(10_000)
    assert np.isfinite(x).all() and abs(x.mean()) < 0.05
    g2 = np.random.Generator(xavier.Xoshiro256(7))
    np.testing.assert_array_equal(g2.standard_normal(10_000), x)
    assert not np.array_equal(np.random.Generator(xavier.Xoshiro256(8)).standard_normal(10), x[:10])


def test_next_double_uses_top_53_bits():
    raw = xavier.Xoshiro256(3).random_raw(100)
    dbl = np.random.Generator(xavier.Xoshiro256(3)).random(100)
    np.testing.assert_array_equal(dbl, (raw >> np.uint64(11)).astype(np.float64) * 2.0**-53)


def test_seed_goes_through_seed_sequence():
    words = np.random.SeedSequence(12345).generate_state(4, np.uint64)
    assert xavier.Xoshiro256(12345).state["state"]["s"].tolist() == words.tolist()
    assert (xavier.Xoshiro256(np.random.SeedSequence(12345)).state["state"]["s"] == words).all()


def test_random_raw_dtype_and_state_roundtrip():
    bg = xavier.Xoshiro256(1)
    st = bg.state
    assert st["bit_generator"] == "Xoshiro256"
    assert st["state"]["s"].dtype == np.uint64 and st["state"]["s"].shape == (4,)
    a = bg.random_raw(5)
    assert a.dtype == np.uint64
    bg.state = st
    np.testing.assert_array_equal(bg.random_raw(5), a)


@pytest.mark.parametrize(
    "state, exc",
    [
        ("nope", TypeError),
        ({"bit_generator": "PCG64", "state": {"s": [1, 2, 3, 4]}}, ValueError),
        ({"bit_generator": "Xoshiro256"}, ValueError),
        ({"bit_generator": "Xoshiro256", "state": {"s": [1, 2, 3]}}, ValueError),
        ({"bit_generator": "Xoshiro256", "state": {"s": [0, 0, 0, 0]}}, ValueError),
        ({"bit_generator": "Xoshiro256", "state": {"s": [-1, 2, 3, 4]}}, ValueError),
        ({"bit_generator": "Xoshiro256", "state": {"s": [2**64, 2, 3, 4]}}, ValueError),
        ({"bit_generator": "Xoshiro256", "state": {"s": np.array([1.5, 2, 3, 4])}}, TypeError),
    ],
)
def test_bad_state_rejected(state, exc):
    bg = xavier.Xoshiro256(1)
    before = bg.state["state"]["s"].copy()
    with pytest.raises(exc, match="state"):
        bg.state = state
    np.testing.assert_array_equal(bg.state["state"]["s"], before)


def test_pickle_and_deepcopy_continue_the_stream():
    bg = xavier.Xoshiro256(99)
    bg.random_raw(3)
    for clone in (pickle.loads(pickle.dumps(bg)), copy.deepcopy(bg)):
        assert type(clone) is xavier.Xoshiro256
        np.testing.assert_array_equal(clone.random_raw(10), copy.deepcopy(bg).random_raw(10))


def test_int_seed_keys_are_numpys_seed_sequence():
    """The core's direct hash of int seeds is NumPy's SeedSequence, word for
    word: every length of entropy (1 to 40 words, and the edges between)."""
    import random

    rng = random.Random(7)
    seeds = [0, 1, 2**32 - 1, 2**32, 2**64 - 1, 2**64, 2**126 + 12345, 2**128 - 1, 2**128,
             3**500] + [rng.getrandbits(rng.randint(1, 1280)) for _ in range(3000)]
    for s in seeds:
        want = np.random.SeedSequence(s).generate_state(4, np.uint64)
        assert _core.int_seed_key(s).tolist() == want.tolist(), s
        assert xavier._seeds.seed_key(s).tolist() == want.tolist(), s
