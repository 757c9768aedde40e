"""Fans and shapes: compute_fans against Keras's, PyTorch's and JAX's rules
(fan tables written out literally), the fans= override and the layouts, and
zero-size and 0-D shapes through every sampler."""
import math

import numpy as np
import pytest

import xavier
from support.frameworks import JAX_AXES, SHAPES, jax_fans
from support.frameworks import glorot_limit as _a
from support.frameworks import glorot_std as _s
from support.samplers import DTYPES, SAMPLER_IDS, SAMPLERS

F64 = np.float64


# ---- fan tables --------------------------------------------------------------------------

# Keras rule (keras.src.initializers.random_initializers.compute_fans):
#   0-D -> (1, 1); 1-D (n,) -> (n, n); 2-D (in, out) -> (in, out);
#   N-D (..., in, out) -> (in * rf, out * rf), rf = prod(leading dims).
KERAS_FANS = [
    ((), (1, 1)),
    ((7,), (7, 7)),
    (9, (9, 9)),                        # an int is a 1-D shape
    ((784, 256), (784, 256)),           # Dense
    ([4, 6], (4, 6)),                   # a list works too
    ((1, 1), (1, 1)),
    ((5, 16, 32), (80, 160)),           # Conv1D (k, in, out)
    ((3, 3, 64, 128), (576, 1152)),     # Conv2D (kh, kw, in, out)
    ((1, 1, 64, 128), (64, 128)),       # 1x1 Conv2D
    ((7, 5, 3, 8), (105, 280)),         # non-square Conv2D
    ((3, 3, 3, 16, 32), (432, 864)),    # Conv3D (kd, kh, kw, in, out)
    ((2, 3, 4, 5, 6, 7), (720, 840)),   # 6-D: rf = 120
    ((0,), (0, 0)),
    ((0, 5), (0, 5)),
    ((2, 0, 4), (0, 8)),
    ((5, 7, 0, 4), (0, 140)),
]

# torch.nn.init._calculate_fan_in_and_fan_out: (out, in, *kernel),
#   fan_in = in * rf, fan_out = out * rf, rf = prod(kernel).
TORCH_FANS = [
    ((256, 784), (784, 256)),           # Linear(784, 256).weight
    ((10, 20), (20, 10)),
    ((1, 1), (1, 1)),
    ((16, 8, 5), (40, 80)),             # Conv1d(8, 16, 5)
    ((128, 64, 3, 3), (576, 1152)),     # Conv2d(64, 128, 3)
    ((64, 32, 3, 3), (288, 576)),       # Conv2d(32, 64, 3)
    ((32, 64, 4, 4), (1024, 512)),      # ConvTranspose2d(32, 64, 4): (in, out, k, k)
    ((8, 4, 3, 3, 3), (108, 216)),      # Conv3d(4, 8, 3)
    ((6, 5, 4, 3, 2, 1), (120, 144)),   # 6-D: rf = 24
    ((0, 5), (5, 0)),
    ((3, 4, 0), (0, 0)),
]


@pytest.mark.parametrize("shape, expected", KERAS_FANS, ids=repr)
def test_compute_fans_keras(shape, expected):
    assert xavier.compute_fans(shape, "keras") == expected
    # "keras" is the default layout
    assert xavier.compute_fans(shape) == expected


@pytest.mark.parametrize("shape, expected", TORCH_FANS, ids=repr)
def test_compute_fans_torch(shape, expected):
    assert xavier.compute_fans(shape, layout="torch") == expected


@pytest.mark.parametrize("shape", [(), (5,), 5, (0,)], ids=repr)
def test_compute_fans_torch_needs_two_dims(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        xavier.compute_fans(shape, layout="torch")


@pytest.mark.parametrize("layout", ["keras", "torch"])
@pytest.mark.parametrize("shape", [(3, 4), (np.int64(3), np.int32(4)), np.array([3, 4]),
                                   (2, 3, 4, 5), (np.uint8(2), 3, 4, 5)], ids=repr)
def test_compute_fans_returns_python_ints(shape, layout):
    fans = xavier.compute_fans(shape, layout)
    assert isinstance(fans, tuple) and len(fans) == 2
    assert all(type(f) is int for f in fans)


@pytest.mark.parametrize("shape", [
    (784, 256), (256, 784), (1, 1), (0, 5), (5, 0),
    (16, 8, 5), (1, 3, 7),
    (128, 64, 3, 3), (64, 32, 3, 3), (32, 64, 4, 4), (3, 2, 1, 7), (5, 0, 3, 3),
    (8, 4, 3, 3, 3), (2, 3, 5, 7, 11),
], ids=repr)
def test_compute_fans_torch_matches_pytorch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert xavier.compute_fans(shape, layout="torch") == tuple(expected)


# ---- JAX's fan axes ----------------------------------------------------------------------

@pytest.mark.parametrize("shape, axes", JAX_AXES, ids=repr)
def test_compute_fans_matches_jax(shape, axes):
    fi, fo = jax_fans(shape, **{k: v for k, v in axes.items()})
    assert xavier.compute_fans(shape, **axes) == (int(fi), int(fo))


def test_keras_layout_is_jax_default_from_2d():
    for shape in SHAPES:
        assert xavier.compute_fans(shape) == xavier.compute_fans(shape, in_axis=-2, out_axis=-1)


def test_jax_against_jax_itself():
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    from jax._src.nn.initializers import _compute_fans
    from jax import core
    for shape, axes in JAX_AXES:
        fi, fo = _compute_fans(core.as_named_shape(shape) if hasattr(core, "as_named_shape")
                               else shape, **axes)
        assert xavier.compute_fans(shape, **axes) == (int(fi), int(fo))
    del jax, jnp


# ---- the fans= override and the layouts --------------------------------------------------

@pytest.mark.parametrize("fans", [(10, 20), (1, 1), (5000, 3000), [7, 0]], ids=repr)
def test_fans_override_changes_scale(fans):
    shape = (1000, 1000)
    fi, fo = fans
    a = _a(1.0, fi, fo)
    w = xavier.glorot_uniform(shape, fans=fans, dtype=F64, seed=2)
    assert w.min() >= -a and w.max() < a
    assert np.abs(w).max() > 0.99 * a
    assert np.array_equal(w, xavier.uniform(shape, -a, a, dtype=F64, seed=2))
    # the override wins over the layout
    assert np.array_equal(w, xavier.glorot_uniform(shape, fans=fans, layout="torch",
                                                   dtype=F64, seed=2))
    s = _s(1.0, fi, fo)
    z = xavier.glorot_normal(shape, fans=fans, dtype=F64, seed=2)
    assert float(z.std()) == pytest.approx(s, rel=0.005)
    assert np.array_equal(z, xavier.normal(shape, 0.0, s, dtype=F64, seed=2))


def test_fans_override_accepts_numpy_ints():
    a = _a(1.0, 10, 20)
    w = xavier.glorot_uniform((50, 60), fans=(np.int64(10), np.uint16(20)), seed=1)
    assert np.array_equal(w, xavier.uniform((50, 60), -a, a, seed=1))
    w2 = xavier.glorot_uniform((50, 60), fans=np.array([10, 20]), seed=1)
    assert np.array_equal(w, w2)


def test_layout_keras_vs_torch_use_their_own_fans():
    shape = (64, 32, 3, 3)
    # keras reads it as (kh=64, kw=32, in=3, out=3): rf = 2048 -> (6144, 6144)
    # torch reads it as (out=64, in=32, 3, 3): rf = 9 -> (288, 576)
    a_keras = _a(1.0, 6144, 6144)
    a_torch = _a(1.0, 288, 576)
    wk = xavier.glorot_uniform(shape, dtype=F64, seed=3)  # default layout: keras
    wt = xavier.glorot_uniform(shape, dtype=F64, seed=3, layout="torch")
    assert np.abs(wk).max() < a_keras and np.abs(wk).max() > 0.99 * a_keras
    assert np.abs(wt).max() < a_torch and np.abs(wt).max() > 0.99 * a_torch
    # same stream, different scale: the ratio is the ratio of the limits
    np.testing.assert_allclose(wt, wk * (a_torch / a_keras), rtol=1e-12, atol=1e-15)

    zk = xavier.glorot_normal(shape, dtype=F64, seed=3, layout="keras")
    zt = xavier.glorot_normal(shape, dtype=F64, seed=3, layout="torch")
    assert np.array_equal(zk, xavier.normal(shape, 0, _s(1.0, 6144, 6144), dtype=F64, seed=3))
    assert np.array_equal(zt, xavier.normal(shape, 0, _s(1.0, 288, 576), dtype=F64, seed=3))


# ---- zero-size and 0-D shapes ------------------------------------------------------------

ZERO_SHAPES = [(0,), (0, 5), (3, 0, 2), (5, 0)]


@pytest.mark.parametrize("name", SAMPLER_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ZERO_SHAPES, ids=repr)
def test_zero_size_shapes(name, dtype, shape):
    fn = SAMPLERS[name]
    if name.endswith("_torch") and len(shape) < 2:
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            fn(shape, dtype=dtype, seed=1)
        return
    r = fn(shape, dtype=dtype, seed=1)
    assert isinstance(r, np.ndarray)
    assert r.shape == shape and r.dtype == dtype and r.size == 0
    out = np.empty(shape, dtype=dtype)
    assert fn(shape, seed=1, out=out) is out
    assert fn(shape, seed=None, dtype=dtype).shape == shape


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_size_inplace(dtype):
    arr = np.empty((0, 4, 3, 3), dtype=dtype)
    assert xavier.xavier_uniform_(arr, seed=0) is arr
    assert xavier.xavier_normal_(arr, seed=0) is arr


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_dim_shape(dtype):
    u = xavier.uniform((), -1.0, 1.0, dtype=dtype, seed=4)
    assert isinstance(u, np.ndarray) and u.shape == () and u.dtype == dtype
    assert -1.0 <= float(u) < 1.0
    z = xavier.normal((), dtype=dtype, seed=4)
    assert z.shape == () and z.dtype == dtype and np.isfinite(z)
    # keras: a 0-D weight has fans (1, 1) -> a = sqrt(3), s = 1
    gu = xavier.glorot_uniform((), dtype=dtype, seed=4)
    assert gu.shape == () and abs(float(gu)) < math.sqrt(3)
    assert np.array_equal(gu, xavier.uniform((), -math.sqrt(3), math.sqrt(3), dtype=dtype, seed=4))
    gn = xavier.glorot_normal((), dtype=dtype, seed=4)
    assert np.array_equal(gn, xavier.normal((), 0.0, 1.0, dtype=dtype, seed=4))
    # element 0 of the stream, like the first element of a 1-D request
    assert u == xavier.uniform(5, -1.0, 1.0, dtype=dtype, seed=4)[0]
    assert z == xavier.normal(6, dtype=dtype, seed=4)[0]
    out = np.full((), np.nan, dtype=dtype)
    assert xavier.glorot_uniform((), dtype=dtype, seed=4, out=out) is out
    assert out == gu
