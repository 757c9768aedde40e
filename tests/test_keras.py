"""xavier.keras: xavier's initializers as Keras 3 initializers.

Keras reads KERAS_BACKEND once, when it is imported, so this file runs its
tests under one backend in-process (KERAS_BACKEND if set, else jax, else
torch), and test_other_backend runs the file again in a subprocess under the
other one.  Keras's own tests of its random initializers, adapted to
xavier.keras (tests/keras_suite/keras_random_initializers.py), run both ways:
their TestCase is imported here.
"""
import doctest
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest

from xavier import initializers as xi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTSIDE = tempfile.gettempdir()   # children import the installed xavier
SUITE = os.path.join(ROOT, "tests", "keras_suite", "keras_random_initializers.py")
BACKENDS = ("jax", "torch")
INNER = os.environ.get("XAVIER_KERAS_INNER") == "1"    # the other backend's run


def _installed(name):
    return importlib.util.find_spec(name) is not None


if not os.environ.get("KERAS_BACKEND"):
    for _b in BACKENDS:
        if _installed(_b):
            os.environ["KERAS_BACKEND"] = _b
            break
BACKEND = os.environ.get("KERAS_BACKEND")

try:
    import keras

    import xavier.keras as xk
except ImportError:          # no keras, or none of its backends
    keras = xk = None

needs_keras = pytest.mark.skipif(keras is None, reason="needs keras and a backend")
outer_only = pytest.mark.skipif(INNER, reason="run once, by the in-process session")

if keras is not None:        # Keras's own tests, run here against xavier.keras
    _spec = importlib.util.spec_from_file_location("keras_random_initializers", SUITE)
    _suite = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_suite)
    RandomInitializersTest = _suite.RandomInitializersTest

PRESETS = ["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
           "LecunNormal"]
ALL = PRESETS + ["VarianceScaling", "RandomUniform", "RandomNormal", "TruncatedNormal"]


def numpy_of(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def run_python(code, backend=None, timeout=120):
    env = dict(os.environ, KERAS_BACKEND=backend or BACKEND)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=OUTSIDE, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


# ---- without Keras -------------------------------------------------------------------

@outer_only
def test_import_without_keras():
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['keras'] = None; import xavier.keras"],
        cwd=OUTSIDE, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "ModuleNotFoundError: xavier.keras needs Keras 3: pip install 'xavier-init[keras]'" \
        in proc.stderr
    # xavier.initializers stays NumPy-only
    proc = subprocess.run([sys.executable, "-c", "import sys, xavier.initializers; "
                           "assert 'keras' not in sys.modules"], cwd=OUTSIDE, timeout=60)
    assert proc.returncode == 0


# ---- the classes -----------------------------------------------------------------------

@needs_keras
@pytest.mark.parametrize("name", ALL)
def test_subclasses_keras_and_is_registered(name):
    cls = getattr(xk, name)
    assert issubclass(cls, getattr(keras.initializers, name))
    assert issubclass(cls, keras.initializers.Initializer)
    if name not in ("RandomUniform", "RandomNormal", "TruncatedNormal"):
        assert issubclass(cls, keras.initializers.VarianceScaling)
        assert issubclass(cls, xk.VarianceScaling)
    assert keras.saving.get_registered_name(cls) == f"xavier>{name}"
    assert keras.saving.get_registered_object(f"xavier>{name}") is cls
    assert cls.__module__ == "xavier.keras" and cls.__name__ == name
    assert xk.get(name).__class__ is cls
    assert keras.initializers.get(cls(seed=1)).__class__ is cls


@needs_keras
def test_keras_own_initializers_are_delegated():
    assert xk.Orthogonal is keras.initializers.Orthogonal
    assert isinstance(xk.get("orthogonal"), keras.initializers.Orthogonal)
    assert isinstance(xk.get("zeros"), keras.initializers.Zeros)
    assert xk.get(None) is None
    with pytest.raises(ValueError):
        xk.get("typo")
    assert type(xk.get({"class_name": "GlorotNormal", "config": {"seed": 3}})) is xk.GlorotNormal
    assert type(xk.deserialize(xk.serialize(xk.HeUniform(seed=2)))) is xk.HeUniform
    other = {"class_name": "GlorotUniform", "config": {"seed": 1},
             "registered_name": "other>GlorotUniform", "module": "other"}
    assert type(xk.deserialize(other)) is not xk.GlorotUniform   # another package's: Keras's


def _pair(name, seed, twin_seed=None):
    """The xavier.keras initializer and its NumPy twin in xavier.initializers."""
    kwargs = {"VarianceScaling": dict(scale=2.0, mode="fan_out", distribution="uniform"),
              "RandomUniform": dict(minval=-0.5, maxval=2.0),
              "RandomNormal": dict(mean=1.0, stddev=0.3),
              "TruncatedNormal": dict(mean=-1.0, stddev=0.2)}.get(name, {})
    return (getattr(xk, name)(seed=seed, **kwargs),
            getattr(xi, name)(seed=seed if twin_seed is None else twin_seed, **kwargs))


@needs_keras
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", [None, "float32", "float16", "bfloat16"])
def test_values_are_xaviers(name, dtype):
    init, twin = _pair(name, 11)
    shape = (3, 4, 50)
    t = init(shape, dtype=dtype)
    assert keras.backend.standardize_dtype(t.dtype) == (dtype or "float32")
    got = numpy_of(t)
    assert got.shape == shape
    np.testing.assert_array_equal(got.astype(np.float32),
                                  twin(shape, dtype=dtype).astype(np.float32))
    np.testing.assert_array_equal(numpy_of(init(shape, dtype=dtype)), got)   # every call


@needs_keras
def test_float64_and_bad_dtypes():
    init = xk.GlorotUniform(seed=1)
    t = init((4, 4), dtype="float64")
    if BACKEND == "torch":          # jax without x64 makes float32, as it does for Keras
        assert numpy_of(t).dtype == np.float64
        np.testing.assert_array_equal(numpy_of(t), xi.GlorotUniform(seed=1)((4, 4), "float64"))
    with pytest.raises(ValueError, match="floating-point"):
        init((4, 4), dtype="int32")


@needs_keras
def test_axes_and_fans_are_xaviers():
    init = xk.VarianceScaling(2.0, "fan_in", "untruncated_normal", seed=3,
                              input_axes=[0, 1], output_axes=[2])
    np.testing.assert_array_equal(numpy_of(init((6, 5, 40))),
                                  xi.VarianceScaling(2.0, "fan_in", "untruncated_normal", seed=3,
                                                     input_axes=[0, 1],
                                                     output_axes=[2])((6, 5, 40)))


@needs_keras
def test_arguments_are_checked_as_keras_does():
    with pytest.raises(ValueError, match="Argument `scale` must be positive float"):
        xk.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument"):
        xk.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="Invalid `distribution` argument"):
        xk.VarianceScaling(distribution="cauchy")
    assert xk.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match="non-negative"):
        xk.GlorotUniform(seed=-1)
    with pytest.raises(TypeError, match="seed must be"):
        xk.GlorotUniform(seed=1.5)
    with pytest.raises(TypeError, match="seed must be"):
        xk.GlorotUniform(seed=True)


# ---- seeds -----------------------------------------------------------------------------

@needs_keras
@pytest.mark.parametrize("name", ALL)
def test_seed_semantics_match_keras(name):
    """Keras 3's: an int or None gives the same values every call; a clone of an
    unseeded initializer picks anew, a seeded one does not; a SeedGenerator
    gives new values every call."""
    shape = (20, 30)
    for seed in (5, None, np.random.SeedSequence(5)):
        init = _pair(name, seed)[0]
        a = numpy_of(init(shape))
        np.testing.assert_array_equal(numpy_of(init(shape)), a)
        clone = numpy_of(init.clone()(shape))
        assert np.array_equal(clone, a) == (seed is not None)
        theirs = getattr(keras.initializers, name)(**{**init.get_config(), "seed": 5}) \
            if seed is not None else None
        if theirs is not None:     # Keras's own class: the same rule
            np.testing.assert_array_equal(numpy_of(theirs(shape)), numpy_of(theirs(shape)))
    init, twin = _pair(name, keras.random.SeedGenerator(7), twin_seed=7)
    first, second = numpy_of(init(shape)), numpy_of(init(shape))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, twin(shape))                     # draw [7, 0]
    np.testing.assert_array_equal(second, type(twin).from_config(
        {**twin.get_config(), "seed": 7 + 2**32})(shape))                 # draw [7, 1]


@needs_keras
def test_draw_seed():
    gen = keras.random.SeedGenerator(12)
    assert [xk.draw_seed(gen) for _ in range(3)] == [12, 12 + 2**32, 12 + 2**33]
    ss = np.random.SeedSequence(1)
    assert xk.draw_seed(ss) is ss and xk.draw_seed(4) == 4


@needs_keras
def test_unseeded_follows_keras_set_random_seed():
    keras.utils.set_random_seed(123)
    a = xk.HeNormal()
    keras.utils.set_random_seed(123)
    b = xk.HeNormal()
    assert a.seed == b.seed and a.get_config()["seed"] is None
    np.testing.assert_array_equal(numpy_of(a((8, 8))), numpy_of(b((8, 8))))


@needs_keras
@pytest.mark.parametrize("kind", ["int", "none", "seedsequence", "seedgenerator",
                                  "xavier-initializers-form"])
def test_config_round_trip(kind):
    seed = {"int": 9, "none": None, "seedsequence": np.random.SeedSequence(3).spawn(2)[1],
            "seedgenerator": keras.random.SeedGenerator(4),
            "xavier-initializers-form": xi.GlorotNormal(
                seed=np.random.SeedSequence(8)).get_config()["seed"]}[kind]
    init = xk.GlorotNormal(seed=seed)
    config = init.get_config()
    json.dumps(config)
    if kind == "seedsequence":
        assert config["seed"] == {"entropy": 3, "spawn_key": [1], "pool_size": 4}
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(init)))
    assert serialized["registered_name"] == "xavier>GlorotNormal"
    back = keras.saving.deserialize_keras_object(serialized)
    assert type(back) is xk.GlorotNormal
    assert back.get_config() == json.loads(json.dumps(config))
    if kind in ("int", "seedsequence", "xavier-initializers-form"):
        np.testing.assert_array_equal(numpy_of(back((16, 16))), numpy_of(init((16, 16))))


# ---- in layers and models --------------------------------------------------------------

@needs_keras
def test_multi_head_attention_applies_the_axes():
    """The issue: Keras gives fan axes only to its own VarianceScaling's instances.
    xavier.initializers' LecunNormal is not one (std 0.0625 in the query kernel),
    xavier.keras's is (std sqrt(1/32) = 0.177, as Keras's own)."""
    def query_std(init):
        mha = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16, kernel_initializer=init)
        mha.build((None, 10, 32), (None, 10, 32))
        return float(np.std(numpy_of(mha.query_dense.kernel)))

    assert query_std(xi.LecunNormal(seed=1)) == pytest.approx(np.sqrt(1 / 256), rel=0.1)
    assert query_std(xk.LecunNormal(seed=1)) == pytest.approx(np.sqrt(1 / 32), rel=0.06)
    assert query_std(keras.initializers.LecunNormal(seed=1)) == \
        pytest.approx(np.sqrt(1 / 32), rel=0.06)


def _model(make):
    """A functional model of Dense, EinsumDense and MultiHeadAttention layers, each
    kernel initialized by make(layer_name)."""
    inp = keras.Input((6, 64))
    x = keras.layers.Dense(96, kernel_initializer=make("dense"), name="dense")(inp)
    x = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 8, 12),
                                 kernel_initializer=make("einsum"), name="einsum")(x)
    x = keras.layers.Reshape((6, 96))(x)
    x = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16, kernel_initializer=make("mha"),
                                        name="mha")(x, x)
    return keras.Model(inp, x)


def _kernels(model):
    return {w.path: numpy_of(w) for w in model.weights if w.path.endswith("kernel")}


# each kernel of _model's: (fan_in, fan_out) with the axes Keras's layers give
FANS = {"dense/kernel": (64, 96), "einsum/kernel": (96, 96), "mha/query/kernel": (96, 128),
        "mha/key/kernel": (96, 128), "mha/value/kernel": (96, 128),
        "mha/attention_output/kernel": (128, 96)}
VS = dict(scale=2.0, mode="fan_out", distribution="untruncated_normal")


def _expected_std(init, path):
    fan_in, fan_out = FANS[path]
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[init.mode]
    return np.sqrt(init.scale / n)


@needs_keras
def test_model_std_matches_keras():
    """A model's kernels: each std within statistical tolerance of Keras's own class's
    (>= 6144 values each: the std's relative standard error is under 1%)."""
    def classes(module):
        return {"dense": module.GlorotUniform(seed=1), "einsum": module.HeNormal(seed=2),
                "mha": module.VarianceScaling(seed=3, **VS)}
    ours, theirs = classes(xk), classes(keras.initializers)
    mine, keras_own = _kernels(_model(ours.get)), _kernels(_model(theirs.get))
    assert mine.keys() == keras_own.keys() == FANS.keys()
    for path in mine:
        assert mine[path].shape == keras_own[path].shape
        assert np.std(mine[path]) == pytest.approx(np.std(keras_own[path]), rel=0.06), path
        expected = _expected_std(ours[path.split("/")[0]], path)
        assert np.std(mine[path]) == pytest.approx(expected, rel=0.04), path


@needs_keras
@pytest.mark.parametrize("name", ALL[:7])
def test_model_std(name):
    """Every class in the model: the std that Keras's formulas give with the layers' axes."""
    kwargs = VS if name == "VarianceScaling" else {}
    seeds = iter(range(100, 200))
    inits = {}

    def make(layer):
        inits[layer] = getattr(xk, name)(seed=next(seeds), **kwargs)
        return inits[layer]

    kernels = _kernels(_model(make))
    assert kernels.keys() == FANS.keys()
    for path, values in kernels.items():
        expected = _expected_std(inits[path.split("/")[0]], path)
        assert np.std(values) == pytest.approx(expected, rel=0.04), path
        assert abs(np.mean(values)) < 0.05 * expected, path


SEEDED = {"dense": "xk.GlorotUniform(seed=7)",
          "einsum": "xk.HeNormal(seed=np.random.SeedSequence(5).spawn(3)[2])",
          "mha": "xk.LecunNormal(seed=keras.random.SeedGenerator(3))"}
LOAD = """
    import json, sys
    import numpy as np
    import keras
    {imports}
    model = keras.saving.load_model(sys.argv[1] if len(sys.argv) > 1 else {path!r})
    out = {{}}
    for layer in model.layers:
        init = getattr(layer, "kernel_initializer", None) or getattr(layer, "_kernel_initializer",
                                                                     None)
        if init is not None:
            out[layer.name] = [type(init).__module__, type(init).__name__, init.get_config()]
            if layer.name == "dense":
                out["dense-values"] = keras.ops.convert_to_numpy(init((5, 7))).tolist()
    out["weights"] = [keras.ops.convert_to_numpy(w).tolist() for w in model.get_weights()]
    print(json.dumps(out))
"""


@needs_keras
def test_save_and_load_in_a_fresh_process(tmp_path):
    """model.save(.keras), then load_model in a new process after importing
    xavier.keras: xavier's classes, equal configs, equal weights; int, None,
    SeedSequence and SeedGenerator seeds."""
    inits = {k: eval(v, {"xk": xk, "np": np, "keras": keras}) for k, v in SEEDED.items()}
    inits["bias"] = xk.RandomUniform(seed=None)
    inp = keras.Input((6, 64))
    x = keras.layers.Dense(96, kernel_initializer=inits["dense"],
                           bias_initializer=inits["bias"], name="dense")(inp)
    x = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 8, 12),
                                 kernel_initializer=inits["einsum"], name="einsum")(x)
    x = keras.layers.Reshape((6, 96))(x)
    x = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16, kernel_initializer=inits["mha"],
                                        name="mha")(x, x)
    model = keras.Model(inp, x)
    path = str(tmp_path / "m.keras")
    model.save(path)

    loaded = json.loads(run_python(LOAD.format(imports="import xavier.keras", path=path)))
    for name in ("dense", "einsum", "mha"):
        module, cls, config = loaded[name]
        assert (module, cls) == ("xavier.keras", type(inits[name]).__name__)
        assert config == json.loads(json.dumps(inits[name].get_config())), name
    assert loaded["einsum"][2]["seed"] == {"entropy": 5, "spawn_key": [2], "pool_size": 4}
    assert loaded["mha"][2]["seed"]["class_name"] == "SeedGenerator"
    np.testing.assert_array_equal(np.array(loaded["dense-values"], dtype=np.float32),
                                  numpy_of(inits["dense"]((5, 7))))
    weights = model.get_weights()
    assert len(loaded["weights"]) == len(weights)
    for got, want in zip(loaded["weights"], weights):
        np.testing.assert_array_equal(np.array(got, dtype=np.float32), numpy_of(want))
    bias_layer = keras.saving.load_model(path).get_layer("dense")
    assert type(bias_layer.bias_initializer) is xk.RandomUniform
    assert bias_layer.bias_initializer.get_config()["seed"] is None


@needs_keras
@outer_only
def test_load_without_importing_xavier_keras_gives_keras_classes(tmp_path):
    """What the docs warn of: without ``import xavier.keras``, Keras resolves
    the class names to its own classes."""
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(3, kernel_initializer=xk.HeUniform(seed=1),
                                                 name="dense")])
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = json.loads(run_python(LOAD.format(imports="", path=path)))
    assert loaded["dense"][:2] == ["keras.src.initializers.random_initializers", "HeUniform"]


# ---- docs and the other backend -------------------------------------------------------

@needs_keras
def test_docstring_examples():
    result = doctest.testmod(xk, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@needs_keras
@outer_only
def test_other_backend():
    """This file, Keras's suite included, under the other backend, in a subprocess."""
    others = [b for b in BACKENDS if b != BACKEND and _installed(b)]
    if not others:
        pytest.skip(f"no Keras backend but {BACKEND} installed")
    env = dict(os.environ, KERAS_BACKEND=others[0], XAVIER_KERAS_INNER="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-W", "ignore::DeprecationWarning", os.path.abspath(__file__)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed >= 80 and "failed" not in summary and "error" not in summary, summary
