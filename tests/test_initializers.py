"""xavier.initializers: Keras-style objects, their formulas, seeds and configs."""
import json
import math

import numpy as np
import pytest

import xavier
from xavier import initializers as I

PRESETS = {  # class: (scale, mode, distribution) as in Keras
    I.GlorotUniform: (1.0, "fan_avg", "uniform"),
    I.GlorotNormal: (1.0, "fan_avg", "truncated_normal"),
    I.HeUniform: (2.0, "fan_in", "uniform"),
    I.HeNormal: (2.0, "fan_in", "truncated_normal"),
    I.LecunUniform: (1.0, "fan_in", "uniform"),
    I.LecunNormal: (1.0, "fan_in", "truncated_normal"),
}
SHAPES = [(784, 256), (5, 16, 32), (3, 3, 64, 128), (3, 3, 3, 16, 32)]


def all_initializers(seed):
    return [cls(seed=seed) for cls in PRESETS] + [
        I.VarianceScaling(0.5, "fan_out", "uniform", seed=seed),
        I.VarianceScaling(seed=seed),
        I.RandomUniform(-0.1, 0.2, seed=seed),
        I.RandomNormal(0.5, 0.1, seed=seed),
        I.TruncatedNormal(0.0, 0.2, seed=seed)]


@pytest.mark.parametrize("cls", list(PRESETS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=repr)
def test_presets_are_variance_scaling(cls, shape):
    scale, mode, dist = PRESETS[cls]
    got = cls(seed=3)(shape)
    assert got.dtype == np.float32 and got.shape == shape
    np.testing.assert_array_equal(got, xavier.variance_scaling(shape, scale, mode, dist, seed=3))
    np.testing.assert_array_equal(got, I.VarianceScaling(scale, mode, dist, seed=3)(shape))


def test_keras_formulas():
    shape = (3, 3, 64, 128)          # fans 576, 1152
    w = I.GlorotUniform(seed=1)(shape, dtype="float64")
    limit = math.sqrt(3.0 * 1.0 / ((576 + 1152) / 2.0))
    assert np.abs(w).max() < limit and np.abs(w).max() > 0.99 * limit
    w = I.HeNormal(seed=2)(shape, dtype=np.float64)
    sd = math.sqrt(2.0 / 576) / 0.87962566103423978
    assert np.abs(w).max() <= 2 * sd
    assert w.std() == pytest.approx(math.sqrt(2.0 / 576), rel=0.01)
    t = I.TruncatedNormal(1.0, 0.5, seed=3)((1000, 1000), "float64")
    assert t.min() >= 0.0 and t.max() <= 2.0
    u = I.RandomUniform(-0.1, 0.2, seed=4)((1000, 1000))
    assert u.min() >= np.float32(-0.1) and u.max() < np.float32(0.2)
    n = I.RandomNormal(0.5, 0.1, seed=5)((1000, 1000), "float64")
    assert n.mean() == pytest.approx(0.5, abs=1e-3) and n.std() == pytest.approx(0.1, rel=0.01)


def test_keras_seed_semantics():
    for init in all_initializers(7) + all_initializers(None):
        a, b = init((40, 50)), init((40, 50))
        np.testing.assert_array_equal(a, b)           # the same values on every call
    # distinct seeds, distinct values; unseeded ones pick distinct seeds
    assert not np.array_equal(I.GlorotUniform(1)((40, 50)), I.GlorotUniform(2)((40, 50)))
    assert not np.array_equal(I.GlorotUniform()((40, 50)), I.GlorotUniform()((40, 50)))
    ss = np.random.SeedSequence(11)
    a, b = ss.spawn(2)
    assert not np.array_equal(I.HeNormal(a)((40, 50)), I.HeNormal(b)((40, 50)))


@pytest.mark.parametrize("seed", [None, 0, 2**70, np.random.SeedSequence(3, spawn_key=(1, 2))],
                         ids=["None", "0", "2**70", "SeedSequence"])
def test_config_round_trips(seed):
    for init in all_initializers(seed):
        config = init.get_config()
        assert json.loads(json.dumps(config)) == config        # JSON as it is
        same = type(init).from_config(config)
        again = I.deserialize(json.loads(json.dumps(I.serialize(init))))
        assert type(same) is type(init) and type(again) is type(init)
        assert same.get_config() == config and again.get_config() == config
        if seed is not None:
            np.testing.assert_array_equal(same((6, 7)), init((6, 7)))
            np.testing.assert_array_equal(again((6, 7)), init((6, 7)))
        clone = init.clone()
        assert clone.get_config() == config
    assert I.GlorotNormal(seed=4).get_config() == {"seed": 4, "input_axes": None,
                                                   "output_axes": None}
    assert I.VarianceScaling(2.0, "fan_out", "Normal", seed=1).get_config() == {
        "seed": 1, "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal",
        "input_axes": None, "output_axes": None}


def test_keras_input_and_output_axes():
    """Keras 3.15: with both given, the fans are the products of those dims
    (no receptive field); with one alone, they are ignored."""
    shape = (4, 8, 16, 32)
    init = I.GlorotUniform(seed=1, input_axes=[0, 2], output_axes=[3])
    got = init(shape, "float64")
    np.testing.assert_array_equal(
        got, xavier.glorot_uniform(shape, fans=(4 * 16, 32), dtype="float64", seed=1))
    assert init.get_config() == {"seed": 1, "input_axes": [0, 2], "output_axes": [3]}
    one = I.HeNormal(seed=2, input_axes=[1])
    np.testing.assert_array_equal(one(shape), I.HeNormal(seed=2)(shape))
    with pytest.raises(ValueError, match="out of range"):
        I.GlorotUniform(input_axes=[5], output_axes=[0])(shape)
    with pytest.raises(TypeError, match="input_axes"):
        I.GlorotUniform(input_axes=1)


def test_dtypes():
    init = I.GlorotNormal(seed=1)
    for dt in ("float32", "float64", "float16", np.float16, None):
        assert init((20, 30), dt).dtype == np.dtype(dt or "float32")
    pytest.importorskip("ml_dtypes")
    assert init((20, 30), "bfloat16").dtype.name == "bfloat16"


@pytest.mark.parametrize("call, exc, match", [
    (lambda: I.VarianceScaling(0.0), ValueError, "scale"),
    (lambda: I.VarianceScaling(-1.0), ValueError, "scale"),
    (lambda: I.VarianceScaling(float("inf")), ValueError, "scale"),
    (lambda: I.VarianceScaling("2"), TypeError, "scale"),
    (lambda: I.VarianceScaling(mode="fan"), ValueError, "mode"),
    (lambda: I.VarianceScaling(distribution="gaussian"), ValueError, "distribution"),
    (lambda: I.VarianceScaling(distribution=3), TypeError, "distribution"),
    (lambda: I.GlorotUniform(seed=-1), ValueError, "seed"),
    (lambda: I.GlorotUniform(seed=1.5), TypeError, "seed"),
    (lambda: I.HeNormal(seed="7"), TypeError, "seed"),
    (lambda: I.RandomNormal(stddev="x"), TypeError, "stddev"),
    (lambda: I.RandomUniform(1.0, 0.0)((3,)), ValueError, "low"),
    (lambda: I.GlorotUniform(seed=1)((3, -3)), ValueError, "shape"),
    (lambda: I.get("orthogonal"), ValueError, "unknown initializer"),
    (lambda: I.get(3), TypeError, "initializer"),
    (lambda: I.deserialize({"config": {}}), ValueError, "class_name"),
    (lambda: I.deserialize({"class_name": "Nope"}), ValueError, "unknown"),
    (lambda: I.serialize("glorot_uniform"), TypeError, "Initializer"),
    (lambda: I.GlorotUniform.from_config({"seed": {"class_name": "Other"}}), ValueError,
     "SeedSequence"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_get():
    assert isinstance(I.get("glorot_uniform"), I.GlorotUniform)
    assert isinstance(I.get("HeNormal"), I.HeNormal)
    init = I.LecunNormal(seed=3)
    assert I.get(init) is init
    assert I.get(None) is None
    fn = lambda shape, dtype=None: np.zeros(shape)  # noqa: E731
    assert I.get(fn) is fn
    got = I.get({"class_name": "VarianceScaling", "config": {"scale": 3.0, "seed": 2}})
    assert got.scale == 3.0 and got.seed == 2 and got.distribution == "truncated_normal"
    assert repr(I.GlorotUniform(seed=5)) == "GlorotUniform(seed=5)"


def test_configs_match_keras():
    """With Keras 3 installed: the same config keys and values, and Keras's
    configs load here."""
    import os
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    pairs = [(keras.initializers.GlorotUniform(seed=1), I.GlorotUniform(seed=1)),
             (keras.initializers.HeNormal(seed=2), I.HeNormal(seed=2)),
             (keras.initializers.VarianceScaling(0.3, "fan_avg", "uniform", seed=3),
              I.VarianceScaling(0.3, "fan_avg", "uniform", seed=3)),
             (keras.initializers.VarianceScaling(2.0, "fan_out", "normal", seed=4),
              I.VarianceScaling(2.0, "fan_out", "normal", seed=4)),
             (keras.initializers.TruncatedNormal(0.1, 0.3, seed=5),
              I.TruncatedNormal(0.1, 0.3, seed=5)),
             (keras.initializers.RandomUniform(-1.0, 2.0, seed=6),
              I.RandomUniform(-1.0, 2.0, seed=6))]
    for k, ours in pairs:
        assert k.get_config() == ours.get_config()
        theirs = type(ours).from_config(k.get_config())
        np.testing.assert_array_equal(theirs((30, 40)), ours((30, 40)))
        # the same distribution: compare spreads on a large kernel
        shape = (3, 3, 128, 256)
        kv = np.asarray(k(shape)).astype(np.float64)
        ov = ours(shape).astype(np.float64)
        assert ov.std() == pytest.approx(kv.std(), rel=0.02)
        assert np.abs(ov).max() <= np.abs(kv).max() * 1.05 + 1e-6
