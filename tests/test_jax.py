"""xavier.jax: jax.nn.initializers' factories on xavier's core.

Their signatures are JAX's; their values are the NumPy API's with
``seed=seed_of(key)``, eagerly, under jit and under vmap; their standard
deviations and bounds are those of jax.nn.initializers; they work in Flax
(linen and nnx).  Skipped without JAX (the Flax tests without Flax)."""
import doctest
import inspect
import math
import subprocess
import sys
import tempfile
import textwrap
import warnings

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import xavier  # noqa: E402
import xavier.jax as xj  # noqa: E402

JI = jax.nn.initializers
PRESETS = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
           "lecun_normal"]
ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal",
           "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal"}
# (scale, mode, distribution) of each preset, as JAX defines them
SCALING = {"glorot_uniform": (1.0, "fan_avg", "uniform"),
           "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
           "he_uniform": (2.0, "fan_in", "uniform"),
           "he_normal": (2.0, "fan_in", "truncated_normal"),
           "lecun_uniform": (1.0, "fan_in", "uniform"),
           "lecun_normal": (1.0, "fan_in", "truncated_normal")}
# (shape, axes): dense, conv (HWIO), stacked convs, and a torch-layout conv by its axes
SHAPES = [((300, 200), {}), ((3, 3, 16, 32), {}),
          ((4, 3, 3, 16, 32), {"batch_axis": 0}),
          ((32, 16, 3, 3), {"in_axis": 1, "out_axis": 0})]
TRUNC_STD = 0.87962566103423978


def f64(x):
    return np.asarray(x).astype(np.float64)


def same(a, b):
    """Equal bit for bit (same dtype, same shape, same bits)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    return bool((a.view(f"u{a.itemsize}") == b.view(f"u{b.itemsize}")).all())


def all_factories():
    """(name, factory, NumPy twin(shape, seed, dtype)) of every sampler factory."""
    out = []
    for name in PRESETS:
        trunc = {"truncated": True} if name.endswith("normal") else {}
        for kw in ({}, {"batch_axis": 0}):
            out.append((f"{name}{kw or ''}", getattr(xj, name)(**kw),
                        lambda s, seed, dt, name=name, kw=kw, trunc=trunc: getattr(xavier, name)(
                            s, seed=seed, dtype=dt, **trunc, **kw)))
    for scale, mode, dist in [(0.5, "fan_out", "normal"), (3.0, "fan_avg", "truncated_normal"),
                              (1.0, "fan_in", "uniform")]:
        out.append((f"variance_scaling({mode},{dist})", xj.variance_scaling(scale, mode, dist),
                    lambda s, seed, dt, a=(scale, mode, dist): xavier.variance_scaling(
                        s, *a, seed=seed, dtype=dt)))
    out += [("uniform", xj.uniform(0.5),
             lambda s, seed, dt: xavier.uniform(s, 0.0, 0.5, seed=seed, dtype=dt)),
            ("normal", xj.normal(0.02),
             lambda s, seed, dt: xavier.normal(s, 0.0, 0.02, seed=seed, dtype=dt)),
            ("truncated_normal", xj.truncated_normal(0.02, lower=-1.0, upper=3.0),
             lambda s, seed, dt: xavier.truncated_normal(s, 0.0, 0.02, -0.02, 0.06, seed=seed,
                                                         dtype=dt))]
    return out


FACTORIES = all_factories()
IDS = [f[0] for f in FACTORIES]


# ---- the API: JAX's names and signatures ----------------------------------------------

@pytest.mark.parametrize("name", PRESETS + list(ALIASES) + ["variance_scaling", "uniform",
                                                            "normal", "truncated_normal"])
def test_signatures_are_jaxs(name):
    ours, theirs = inspect.signature(getattr(xj, name)), inspect.signature(getattr(JI, name))
    assert [(p.name, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.default) for p in theirs.parameters.values()]
    init = getattr(xj, name)(*((1.0, "fan_in", "uniform") if name == "variance_scaling" else ()))
    assert list(inspect.signature(init).parameters) == ["key", "shape", "dtype", "out_sharding"]


def test_aliases_and_constants():
    for alias, name in ALIASES.items():
        assert getattr(xj, alias) is getattr(xj, name)
    for name in ("zeros", "ones", "constant"):
        assert getattr(xj, name) is getattr(JI, name)
    assert set(xj.__all__) >= set(PRESETS) | set(ALIASES) | {"seed_of", "variance_scaling"}


def test_docstring_examples():
    result = doctest.testmod(xj, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_without_jax_the_import_says_what_to_install():
    code = textwrap.dedent("""\
        import importlib.abc, sys
        class Uninstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "jax":
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, Uninstalled())
        try:
            import xavier.jax
        except ModuleNotFoundError as e:
            print(e.name, e, sep="|")
        """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=tempfile.gettempdir())   # outside the source tree
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "jax|xavier.jax needs JAX: pip install 'xavier-init[jax]'"


# ---- seeds ----------------------------------------------------------------------------

def test_seed_of_is_the_keys_bits_big_endian():
    for s in (0, 1, 7, 2**31, 2**32 - 1):
        assert xj.seed_of(jax.random.key(s)) == s
        assert xj.seed_of(jax.random.PRNGKey(s)) == s
    raw = np.array([3, 5], dtype=np.uint32)
    assert xj.seed_of(raw) == xj.seed_of(jnp.asarray(raw)) == 3 << 32 | 5
    assert xj.seed_of(jax.random.wrap_key_data(raw)) == 3 << 32 | 5
    words = [0xDEADBEEF, 1, 2, 0xFFFFFFFF]
    rbg = jax.random.wrap_key_data(np.array(words, dtype=np.uint32), impl="rbg")
    assert xj.seed_of(rbg) == sum(w << 32 * (3 - i) for i, w in enumerate(words))
    assert same(xj.glorot_uniform()(rbg, (5, 4)),
                xavier.glorot_uniform((5, 4), seed=xj.seed_of(rbg)))
    with jax.enable_x64(True):
        assert xj.seed_of(jax.random.key(2**40 + 5)) == 2**40 + 5


def test_split_keys_are_independent():
    keys = jax.random.split(jax.random.key(0), 16)
    seeds = {xj.seed_of(k) for k in keys}
    assert len(seeds) == 16 and 0 not in seeds
    init = xj.glorot_uniform()
    ws = np.stack([f64(init(k, (64, 64))).ravel() for k in keys])
    corr = np.corrcoef(ws)
    assert np.abs(corr[~np.eye(16, dtype=bool)]).max() < 0.1   # 4096 values: sd ~0.016
    tree = jax.random.split(keys[3], 2)
    assert not np.array_equal(init(tree[0], (8, 8)), init(tree[1], (8, 8)))


def test_typed_and_raw_keys_with_the_same_bits_agree():
    init = xj.he_normal()
    for s in (0, 123):
        typed, raw = jax.random.key(s), jax.random.PRNGKey(s)
        assert same(init(typed, (40, 30)), init(raw, (40, 30)))
        jitted = jax.jit(init, static_argnums=1)
        assert same(jitted(typed, (40, 30)), jitted(raw, (40, 30)))
        assert same(init(np.asarray(raw), (40, 30)), init(raw, (40, 30)))


# ---- values: the NumPy API's, eagerly, under jit, under vmap ----------------------------

@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16],
                         ids=["float32", "bfloat16", "float16"])
@pytest.mark.parametrize("case", FACTORIES, ids=IDS)
def test_eager_jit_and_numpy_agree(case, dtype):
    _, init, twin = case
    key = jax.random.fold_in(jax.random.key(11), 3)
    shape = (4, 3, 5, 6)
    eager = init(key, shape, dtype)
    assert eager.dtype == dtype and eager.shape == shape
    jitted = jax.jit(init, static_argnums=(1, 2))(key, shape, dtype)
    assert same(eager, jitted)
    assert same(eager, twin(shape, xj.seed_of(key), np.dtype(dtype)))


def test_default_dtype_is_jaxs_and_float64_needs_x64():
    key = jax.random.key(5)
    w = xj.glorot_uniform()(key, (20, 10))
    assert w.dtype == jnp.float32 == JI.glorot_uniform()(key, (20, 10)).dtype
    with pytest.warns(UserWarning, match="float64 requested in glorot_uniform is not available"):
        w64 = xj.glorot_uniform()(key, (20, 10), jnp.float64)
    assert same(w64, w)
    with pytest.warns(UserWarning) as record:                   # once, at the call
        init64 = xj.glorot_uniform(dtype=jnp.float64)
        assert same(init64(key, (20, 10)), w)
    assert len(record) == 1
    with jax.enable_x64(True):
        for init, twin in [(xj.glorot_uniform(), xavier.glorot_uniform),
                           (xj.lecun_normal(), lambda s, **k: xavier.lecun_normal(
                               s, truncated=True, **k))]:
            w = init(key, (20, 10))
            assert w.dtype == jnp.float64
            assert same(w, twin((20, 10), seed=5, dtype=np.float64))
            assert same(jax.jit(init, static_argnums=1)(key, (20, 10)), w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xj.glorot_uniform(dtype=jnp.bfloat16)(key, (2, 2))


def test_factory_dtype_is_the_default_of_its_initializer():
    key = jax.random.key(1)
    init = xj.he_uniform(dtype=jnp.bfloat16)
    assert init(key, (8, 8)).dtype == jnp.bfloat16
    assert init(key, (8, 8), jnp.float32).dtype == jnp.float32


def test_fan_geo_avg():
    key = jax.random.key(2)
    shape = (100, 400)
    n = math.sqrt(100 * 400)
    for dist, twin in [
            ("uniform", lambda s: xavier.uniform(shape, -math.sqrt(3 * s / n),
                                                 math.sqrt(3 * s / n), seed=2)),
            ("normal", lambda s: xavier.normal(shape, 0.0, math.sqrt(s / n), seed=2)),
            ("truncated_normal", lambda s: xavier.truncated_normal(
                shape, 0.0, math.sqrt(s / n) / TRUNC_STD, -2 * math.sqrt(s / n) / TRUNC_STD,
                2 * math.sqrt(s / n) / TRUNC_STD, seed=2))]:
        w = xj.variance_scaling(2.0, "fan_geo_avg", dist)(key, shape)
        assert same(w, twin(2.0))
        assert f64(w).std() == pytest.approx(math.sqrt(2.0 / n), rel=0.02)


def test_vmap_draws_each_key():
    keys = jax.random.split(jax.random.key(9), 5)
    init = xj.glorot_normal()
    batched = jax.vmap(lambda k: init(k, (6, 7)))(keys)
    jitted = jax.jit(jax.vmap(lambda k: init(k, (6, 7))))(jax.random.key_data(keys))
    for i in range(5):
        assert same(batched[i], init(keys[i], (6, 7)))
        assert same(jitted[i], batched[i])


def test_empty_shapes_and_out_sharding():
    key = jax.random.key(0)
    assert xj.glorot_uniform()(key, (0, 5)).shape == (0, 5)
    assert xj.normal()(key, ()).shape == ()
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("x",))
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    w = xj.glorot_uniform()(key, (8, 4), out_sharding=sharding)
    assert w.sharding == sharding and same(w, xj.glorot_uniform()(key, (8, 4)))


def test_truncated_normal_zero_stddev_and_scalar_arrays():
    key = jax.random.key(0)
    assert not f64(xj.truncated_normal(0.0)(key, (3, 3))).any()
    assert same(xj.normal(jnp.float32(0.5))(key, (4,)), xj.normal(0.5)(key, (4,)))
    assert same(xj.variance_scaling(np.float64(2.0), "fan_in", "normal")(key, (4, 4)),
                xj.variance_scaling(2, "fan_in", "normal")(key, (4, 4)))


# ---- distributions: JAX's standard deviations and bounds -------------------------------

def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """jax.nn.initializers' fan rule (jax._src.nn.initializers._compute_fans), step by step."""
    def size(axes):
        return shape[axes] if isinstance(axes, int) else math.prod(shape[i] for i in axes)
    receptive = math.prod(shape) / size(in_axis) / size(out_axis) / size(batch_axis)
    return size(in_axis) * receptive, size(out_axis) * receptive


def jax_bound_and_std(name, shape, axes):
    """The bound (uniform limit, or 2 sd of the untruncated normal) and the standard
    deviation of JAX's `name` for `shape`, by JAX's definition."""
    scale, mode, dist = SCALING[name]
    fan_in, fan_out = jax_fans(shape, **axes)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(scale / n)
    return (math.sqrt(3) * std if dist == "uniform" else 2 * std / TRUNC_STD), std


_JAX_BOUNDS = {}
KEYS = jax.random.split(jax.random.key(4), 40)


def jax_measured_bound(name, shape, axes):
    """The bound of jax.nn.initializers' own `name` for `shape`, measured: its output
    divided by the unit draw it scales (random.uniform on [-1, 1), or
    random.truncated_normal on (-2, 2), from the same key), times 1 or 2.  An "rbg"
    key: XLA compiles its draws several times faster than threefry's."""
    cache_key = (name, shape, tuple(sorted(axes.items())))
    if cache_key not in _JAX_BOUNDS:
        key = jax.random.key(4, impl="rbg")
        theirs = f64(getattr(JI, name)(**axes)(key, shape, jnp.float32))
        if SCALING[name][2] == "uniform":
            unit, reach = jax.random.uniform(key, shape, jnp.float32, -1), 1.0
        else:
            unit, reach = jax.random.truncated_normal(key, -2, 2, shape, jnp.float32), 2.0
        unit = f64(unit)
        ratio = theirs[unit != 0] / unit[unit != 0]
        assert ratio.max() - ratio.min() <= 1e-6 * ratio.max()
        _JAX_BOUNDS[cache_key] = reach * ratio.mean()
    return _JAX_BOUNDS[cache_key]


@pytest.mark.parametrize("shape,axes", SHAPES, ids=[str(s) for s, _ in SHAPES])
@pytest.mark.parametrize("name", PRESETS)
def test_std_and_bounds_match_jax(name, shape, axes):
    bound, std = jax_bound_and_std(name, shape, axes)
    assert jax_measured_bound(name, shape, axes) == pytest.approx(bound, rel=1e-6)
    keys = KEYS[:-(-150_000 // math.prod(shape))]
    ours = f64(jax.vmap(lambda k: getattr(xj, name)(**axes)(k, shape))(keys))
    # the sample sd within 1% of the definition (the estimate's sd: ~0.2%)
    assert ours.std() == pytest.approx(std, rel=0.01)
    assert abs(ours.mean()) < 0.01 * std
    # the same support: nothing beyond the bound, and values close to it
    assert np.abs(ours).max() <= np.float32(bound)
    assert np.abs(ours).max() >= 0.995 * bound
    if SCALING[name][2] == "truncated_normal":   # the truncated normal's shape:
        inside = (np.abs(ours) < bound / 2).mean()   # P(|z| < 1 | |z| < 2) = 0.7165
        assert inside == pytest.approx(0.7165, abs=0.005)


@pytest.mark.parametrize("ours,theirs,support", [
    (xj.uniform(0.5), JI.uniform(0.5), (0.0, 0.5)),
    (xj.normal(0.02), JI.normal(0.02), None),
    (xj.truncated_normal(0.02), JI.truncated_normal(0.02), (-0.04, 0.04)),
    (xj.truncated_normal(0.1, lower=-1.0, upper=3.0),
     JI.truncated_normal(0.1, lower=-1.0, upper=3.0), (-0.1, 0.3)),
    (xj.variance_scaling(1.0, "fan_geo_avg", "normal"),
     JI.variance_scaling(1.0, "fan_geo_avg", "normal"), None),
    (xj.variance_scaling(1.0, "fan_geo_avg", "uniform"),
     JI.variance_scaling(1.0, "fan_geo_avg", "uniform"), (-math.sqrt(3 / 200), math.sqrt(3 / 200))),
], ids=["uniform", "normal", "truncated_normal", "truncated_normal(-1,3)", "fan_geo_avg",
        "fan_geo_avg-uniform"])
def test_generic_samplers_match_jax(ours, theirs, support):
    shape = (100, 400)
    w = f64(jax.vmap(lambda k: ours(k, shape))(KEYS[:4]))          # 160,000 values
    t = f64(theirs(jax.random.key(8, impl="rbg"), shape))         # 40,000 of JAX's
    assert w.mean() == pytest.approx(t.mean(), abs=0.03 * t.std())
    assert w.std() == pytest.approx(t.std(), rel=0.03)
    if support is not None:
        lo, hi = support
        assert lo - 1e-7 <= w.min() and w.max() <= hi + 1e-7
        assert lo - 1e-7 <= t.min() and t.max() <= hi + 1e-7
        assert w.min() - lo < 0.002 * (hi - lo) and hi - w.max() < 0.002 * (hi - lo)


def test_uniform_is_half_open_from_zero():
    w = f64(xj.uniform(2.0)(jax.random.key(0), (100_000,)))
    assert w.min() >= 0 and w.max() < 2.0 and w.max() > 1.999


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("name", PRESETS)
def test_half_dtypes_keep_std_and_bounds(name, dtype):
    shape = (3, 3, 64, 128)
    w = f64(getattr(xj, name)()(jax.random.key(3), shape, dtype))
    assert w.dtype == np.float64
    bound, std = jax_bound_and_std(name, shape, {})
    assert w.std() == pytest.approx(std, rel=0.02)
    # nothing beyond the bound as the dtype holds it (rounded to nearest)
    assert np.abs(w).max() <= float(np.asarray(bound, np.float32).astype(dtype))
    assert np.abs(w).max() >= 0.99 * bound


# ---- errors -------------------------------------------------------------------------------

KEY = jax.random.key(0)


@pytest.mark.parametrize("call,error,match", [
    (lambda: xj.glorot_uniform(in_axis="a"), TypeError, "in_axis must be an int"),
    (lambda: xj.glorot_uniform(batch_axis=1.5), TypeError, "batch_axis must be an int"),
    (lambda: xj.glorot_uniform(dtype=jnp.int32), TypeError, "dtype must be float32"),
    (lambda: xj.glorot_uniform(dtype="float8"), TypeError, "dtype must be float32"),
    (lambda: xj.variance_scaling(1.0, "fan", "uniform"), ValueError, "mode must be one of"),
    (lambda: xj.variance_scaling(1.0, "fan_in", "cauchy"), ValueError, "distribution must"),
    (lambda: xj.variance_scaling(-1.0, "fan_in", "normal"), ValueError, "scale must be non-n"),
    (lambda: xj.variance_scaling("1", "fan_in", "normal"), TypeError, "scale must be a real"),
    (lambda: xj.uniform(math.inf), ValueError, "scale must be finite"),
    (lambda: xj.normal(-0.1), ValueError, "stddev must be non-negative"),
    (lambda: xj.normal(jnp.ones(2)), TypeError, "stddev must be a real number"),
    (lambda: xj.truncated_normal(1.0, lower=1.0, upper=1.0), ValueError, "lower must be < up"),
    (lambda: xj.truncated_normal(1.0, lower=10.0, upper=11.0), ValueError, "2\\*\\*-40"),
    (lambda: xj.glorot_uniform()(KEY, (3,)), ValueError, "at least 2 dims"),
    (lambda: xj.glorot_uniform()(KEY, (3, -1)), ValueError, "shape dims must be non-negative"),
    (lambda: xj.glorot_uniform()(KEY, (3, 2.5)), TypeError, "shape dims must be integers"),
    (lambda: xj.glorot_uniform()(KEY, "ab"), TypeError, "shape must be"),
    (lambda: xj.glorot_uniform(in_axis=5)(KEY, (3, 3)), ValueError, "in_axis=5 is out of range"),
    (lambda: xj.glorot_uniform(in_axis=0, out_axis=0)(KEY, (3, 3)), ValueError, "share an axis"),
    (lambda: xj.glorot_uniform()(KEY, (3, 3), jnp.complex64), TypeError, "complex"),
    (lambda: xj.glorot_uniform()(KEY, (3, 3), "int8"), TypeError, "dtype must be float32"),
    (lambda: xj.glorot_uniform()(0, (3, 3)), TypeError, "key must be a PRNG key"),
    (lambda: xj.glorot_uniform()(jnp.zeros(2, jnp.int32), (3, 3)), TypeError, "key must be"),
    (lambda: xj.glorot_uniform()(jax.random.split(KEY, 2), (3, 3)), ValueError, "single PRNG"),
    (lambda: xj.glorot_uniform()(jax.random.split(jax.random.PRNGKey(0), 2), (3, 3)),
     ValueError, "single PRNG key"),
    (lambda: jax.jit(xj.seed_of)(KEY), TypeError, "concrete key"),
    (lambda: xj.seed_of(3), TypeError, "key must be a PRNG key"),
])
def test_errors_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_errors_under_jit_are_raised_while_tracing():
    f = jax.jit(lambda k: xj.glorot_uniform(in_axis=3)(k, (4, 4)))
    with pytest.raises(ValueError, match="in_axis=3 is out of range"):
        f(KEY)


# ---- Flax -------------------------------------------------------------------------------

def test_flax_linen_dense_and_conv():
    nn = pytest.importorskip("flax.linen")

    class Model(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.Conv(64, (3, 3), kernel_init=xj.he_normal())(x)
            x = x.reshape((x.shape[0], -1))
            return nn.Dense(256, kernel_init=xj.glorot_uniform(), param_dtype=jnp.bfloat16)(x)

    model, x = Model(), jnp.ones((1, 8, 8, 32))
    params = model.init(jax.random.key(0), x)["params"]
    conv, dense = params["Conv_0"]["kernel"], params["Dense_0"]["kernel"]
    assert conv.shape == (3, 3, 32, 64) and conv.dtype == jnp.float32
    assert dense.shape == (8 * 8 * 64, 256) and dense.dtype == jnp.bfloat16
    assert f64(conv).std() == pytest.approx(math.sqrt(2 / (9 * 32)), rel=0.03)
    limit = math.sqrt(6 / (8 * 8 * 64 + 256))
    assert f64(dense).std() == pytest.approx(limit / math.sqrt(3), rel=0.01)
    assert np.abs(f64(dense)).max() <= limit * (1 + 2**-8)
    jitted = jax.jit(model.init)(jax.random.key(0), x)["params"]
    assert same(jitted["Conv_0"]["kernel"], conv) and same(jitted["Dense_0"]["kernel"], dense)
    other = model.init(jax.random.key(1), x)["params"]
    assert not np.array_equal(other["Conv_0"]["kernel"], conv)
    assert model.apply({"params": params}, x).shape == (1, 256)


def test_flax_nnx_linear():
    nnx = pytest.importorskip("flax.nnx")
    layer = nnx.Linear(512, 256, kernel_init=xj.glorot_uniform(), rngs=nnx.Rngs(0))
    kernel = f64(layer.kernel[...])
    assert kernel.shape == (512, 256)
    assert kernel.std() == pytest.approx(math.sqrt(2 / (512 + 256)), rel=0.02)
    again = nnx.Linear(512, 256, kernel_init=xj.glorot_uniform(), rngs=nnx.Rngs(0))
    assert same(again.kernel[...], layer.kernel[...])
    half = nnx.Linear(64, 32, kernel_init=xj.lecun_normal(), param_dtype=jnp.bfloat16,
                      rngs=nnx.Rngs(params=1))
    assert half.kernel[...].dtype == jnp.bfloat16
    jitted = nnx.jit(lambda: nnx.Linear(512, 256, kernel_init=xj.glorot_uniform(),
                                        rngs=nnx.Rngs(0)))()
    assert same(jitted.kernel[...], layer.kernel[...])
