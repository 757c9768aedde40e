"""JAX initializers: ``jax.nn.initializers``' factories on xavier's parallel core.

Each factory here takes the arguments of its ``jax.nn.initializers``
namesake and returns an initializer ``init(key, shape, dtype=dtype,
out_sharding=None)``, as Flax's ``kernel_init=`` takes: JAX's fans
(`in_axis`, `out_axis`, `batch_axis`), scales and distributions (the
``*_normal`` presets are normals truncated at two standard deviations,
scaled by 1 / 0.87962566103423978), in float32, float64 (with
``jax_enable_x64``), float16 or bfloat16.  The values are xavier's stream,
not JAX's: they are a documented function of the key's bits,

* ``seed_of(key)``: the key's ``uint32`` words (``jax.random.key_data``,
  ravelled) as one big-endian integer, so ``seed_of(jax.random.key(s)) == s``
  for the default threefry keys and ``0 <= s < 2**32`` (``2**64`` with x64);
* ``glorot_uniform()(key, shape)`` equals, bit for bit,
  ``xavier.glorot_uniform(shape, in_axis=-2, out_axis=-1, seed=seed_of(key))``,
  and so on for every factory (see each one).

New-style typed keys (``jax.random.key``) and raw ``uint32`` keys
(``jax.random.PRNGKey``) with the same bits give the same values.  The
initializers run eagerly, under ``jax.jit`` (the key is traced: the values
are drawn on the host by ``jax.pure_callback``) and under ``jax.vmap`` (one
draw per key).  ``zeros``, ``ones`` and ``constant`` are JAX's own.

JAX is imported with this module, not with ``xavier``.

Examples
--------
>>> import jax, numpy as np, xavier, xavier.jax
>>> key = jax.random.key(7)
>>> w = xavier.jax.glorot_uniform()(key, (256, 128))
>>> w.dtype, xavier.jax.seed_of(key)
(dtype('float32'), 7)
>>> bool((np.asarray(w) == xavier.glorot_uniform((256, 128), seed=7)).all())
True
>>> bool((jax.jit(xavier.jax.glorot_uniform(), static_argnums=1)(key, (256, 128)) == w).all())
True
"""
from __future__ import annotations

import math
import numbers
import operator
import warnings
from typing import Any, Callable, Sequence, Tuple, Union

import numpy as np

try:
    import jax
except ModuleNotFoundError as _e:
    if _e.name != "jax":
        raise
    raise ModuleNotFoundError("xavier.jax needs JAX: pip install 'xavier-init[jax]'",
                              name="jax") from None

import jax.numpy as jnp
from jax.nn.initializers import constant, ones, zeros  # JAX's own, re-exported

from ._api import normal_request, truncated_normal_request, uniform_request
from ._checks import DTYPE_NAMES, NOT_NUMBERS, caller_stacklevel, type_code
from ._fans import compute_fans, normalize_shape
from ._inits import sampler_request
from ._presets import MODES, TRUNCATED_STD, check_distribution
from ._request import Request

__all__ = ["constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
           "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal",
           "ones", "seed_of", "truncated_normal", "uniform", "variance_scaling",
           "xavier_normal", "xavier_uniform", "zeros"]

Axes = Union[int, Sequence[int]]
#: What the factories return: ``init(key, shape, dtype=..., out_sharding=None) -> jax.Array``.
Initializer = Callable[..., jax.Array]

JAX_MODES = MODES + ("fan_geo_avg",)
# (untyped in JAX's stubs)
_ShapeDtypeStruct: Any = jax.ShapeDtypeStruct
_reshard: Any = jax.sharding.reshard


# ---- keys and seeds ---------------------------------------------------------------

def _key_words(key: Any) -> jax.Array:
    """The uint32 words of one PRNG key (typed or raw; concrete or traced)."""
    dtype = getattr(key, "dtype", None)
    if dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key):
        if key.shape != ():
            raise ValueError(f"key must be a single PRNG key, got an array of keys of shape "
                             f"{key.shape} (map over keys with jax.vmap)")
        words: jax.Array = jax.random.key_data(key)
    else:
        if not isinstance(key, (jax.Array, np.ndarray)) or key.dtype != np.uint32:
            what = f"an array of dtype {dtype}" if dtype is not None else type(key).__name__
            raise TypeError("key must be a PRNG key (jax.random.key(seed), or a raw uint32 key "
                            f"from jax.random.PRNGKey(seed)), got {what}")
        if key.ndim != 1 or key.size == 0:
            raise ValueError(f"key must be a single PRNG key: a raw key is a 1-D uint32 array, "
                             f"got shape {key.shape} (map over keys with jax.vmap)")
        words = jnp.asarray(key)
    return words.ravel()


def _seed_of_words(words: np.ndarray) -> int:
    return int.from_bytes(np.ascontiguousarray(words, dtype=">u4").tobytes(), "big")


def seed_of(key: Any) -> int:
    """The xavier seed of a JAX PRNG key: its bits as one integer.

    The key's ``uint32`` words (``jax.random.key_data(key)`` for a typed
    key, the array itself for a raw one), ravelled, are read as one
    big-endian integer: ``sum(w[i] << 32 * (n - 1 - i))`` for `n` words.
    A threefry key (JAX's default) has 2 words, so seeds are below
    ``2**64``, and ``seed_of(jax.random.key(s)) == s`` for ``0 <= s <
    2**32`` (below ``2**64`` with ``jax_enable_x64``); an ``rbg`` key has 4
    words.  Every initializer of this module draws ``seed=seed_of(key)``.

    Parameters
    ----------
    key : jax.Array
        One concrete key: ``jax.random.key(...)`` or ``jax.random.PRNGKey(...)``
        (not a traced one: under ``jax.jit`` the initializers compute the
        seed on the host).

    Returns
    -------
    int

    Examples
    --------
    >>> import jax, xavier.jax
    >>> xavier.jax.seed_of(jax.random.key(42)), xavier.jax.seed_of(jax.random.PRNGKey(42))
    (42, 42)
    >>> k1, k2 = jax.random.split(jax.random.key(0))
    >>> xavier.jax.seed_of(k1) != xavier.jax.seed_of(k2)
    True
    """
    words = _key_words(key)
    try:
        host = np.asarray(words)
    except jax.errors.JAXTypeError:
        raise TypeError("seed_of needs a concrete key, not a traced one (under jax.jit the "
                        "initializers compute the seed on the host)") from None
    return _seed_of_words(host)


# ---- arguments ----------------------------------------------------------------------

def _real(value: Any, name: str) -> float:
    """`value` (a Python or NumPy real, or a concrete 0-d array) as a float, not NaN."""
    if isinstance(value, (jax.Array, np.ndarray)) and value.ndim == 0 and (
            jnp.issubdtype(value.dtype, jnp.floating) or jnp.issubdtype(value.dtype, jnp.integer)):
        try:
            value = float(value)
        except jax.errors.JAXTypeError:
            raise TypeError(f"{name} must be a concrete number, not a traced one") from None
    if isinstance(value, NOT_NUMBERS) or not isinstance(value, (numbers.Real, np.floating,
                                                                np.integer)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    return v


def _finite(value: Any, name: str) -> float:
    """`value` as a finite, non-negative float."""
    v = _real(value, name)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v


def _axes(value: Any, name: str) -> Axes:
    """An axis argument (an int or a sequence of ints), type-checked; its range
    is checked against the shape at call time."""
    def index(v: Any) -> int:
        if isinstance(v, (bool, np.bool_)):
            raise TypeError
        return operator.index(v)
    try:
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            return tuple(index(v) for v in value)
        return index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints, got {value!r}") from None


def _dtype(dtype: Any, caller: str, canonicalize: bool = True) -> np.dtype:
    """`dtype` as a NumPy dtype xavier draws (None: JAX's default float),
    canonicalized as JAX does, with JAX's warning: float64 is float32 without
    jax_enable_x64."""
    if dtype is None:
        return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be {DTYPE_NAMES}, got {dtype!r}") from None
    if type_code(dt) is None:
        hint = " (complex dtypes: use jax.nn.initializers)" if dt.kind == "c" else ""
        raise TypeError(f"dtype must be {DTYPE_NAMES}, got {dt}{hint}")
    canonical = np.dtype(jax.dtypes.canonicalize_dtype(dt)) if canonicalize else dt
    if canonical != dt:
        warnings.warn(f"Explicitly requested dtype {dt} requested in {caller} is not available, "
                      f"and will be truncated to dtype {canonical}. To enable more dtypes, set "
                      "the jax_enable_x64 configuration option or the JAX_ENABLE_X64 shell "
                      "environment variable.", UserWarning, stacklevel=caller_stacklevel())
    return canonical


# ---- the initializers ---------------------------------------------------------------

def _draw(req: Request, words: jax.Array) -> jax.Array:
    """The tensor of `req` with seed ``_seed_of_words(words)``, drawn on the host."""
    if req.size == 0:
        return jnp.zeros(req.dims, req.dtype)

    def host(w: np.ndarray) -> np.ndarray:
        return req.draw(_seed_of_words(np.asarray(w)), None, None)

    result = _ShapeDtypeStruct(req.dims, req.dtype)
    out: jax.Array = jax.pure_callback(host, result, words, vmap_method="sequential")
    return out


def _fans_shape(name: str, dims: Tuple[int, ...]) -> None:
    if len(dims) < 2:
        raise ValueError(f"{name} needs a shape of at least 2 dims (its fans come from in_axis "
                         f"and out_axis), got shape {dims}")


def _initializer(name: str, dtype: Any, request: Callable[[Tuple[int, ...], np.dtype], Request]
                 ) -> Initializer:
    """The initializer of factory `name`: `request` gives its request of a
    shape and a dtype (every argument checked)."""
    if dtype is not None:
        _dtype(dtype, name, canonicalize=False)   # a bad dtype fails here, at the factory

    def init(key: Any, shape: Any, dtype: Any = dtype, out_sharding: Any = None) -> jax.Array:
        dims = normalize_shape(shape)
        dt = _dtype(dtype, name)
        req = request(dims, dt)
        out = _draw(req, _key_words(key))
        if out_sharding is not None:
            out = _reshard(out, out_sharding)
        return out

    init.__name__ = init.__qualname__ = name
    init.__doc__ = (f"xavier.jax.{name}'s initializer: ``init(key, shape, dtype, "
                    "out_sharding=None)``.")
    return init


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: Axes = -2,
                     out_axis: Axes = -1, batch_axis: Axes = (),
                     dtype: Any = None) -> Initializer:
    """An initializer of variance ``scale / n``, as ``jax.nn.initializers.variance_scaling``.

    `n` is fan_in, fan_out, their mean or (``"fan_geo_avg"``) their
    geometric mean, with fans by JAX's axes: fan_in is the product of the
    `in_axis` dims, fan_out of the `out_axis` dims, each times the
    receptive field (the dims in no axis argument); `batch_axis` dims count
    in neither.  ``"truncated_normal"`` is a unit normal truncated to
    [-2, 2] times ``sqrt(scale / n) / 0.87962566103423978``; ``"normal"``
    is N(0, scale / n); ``"uniform"`` is U[-limit, limit) with ``limit =
    sqrt(3 * scale / n)``.

    ``variance_scaling(scale, mode, distribution, in_axis, out_axis,
    batch_axis)(key, shape, dtype)`` equals ``xavier.variance_scaling(shape,
    scale, mode, distribution, in_axis=in_axis, out_axis=out_axis,
    batch_axis=batch_axis, dtype=dtype, seed=seed_of(key))``.  With
    ``"fan_geo_avg"`` (which xavier.variance_scaling does not take) it
    equals ``xavier.uniform(shape, -limit, limit, ...)``,
    ``xavier.normal(shape, 0, std, ...)`` or ``xavier.truncated_normal(shape,
    0, sd, -2 * sd, 2 * sd, ...)`` with those parameters.

    Parameters
    ----------
    scale : float
        Finite, >= 0.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
    distribution : {"truncated_normal", "normal", "uniform"}
    in_axis, out_axis, batch_axis : int or sequence of int
        JAX's defaults: -2, -1 and none.
    dtype : float32, float64, float16 or bfloat16, optional
        The initializer's default dtype; None is JAX's default float
        (float64 with ``jax_enable_x64``, else float32).

    Returns
    -------
    callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.

    Examples
    --------
    >>> import jax, xavier.jax
    >>> init = xavier.jax.variance_scaling(2.0, "fan_in", "truncated_normal")
    >>> w = init(jax.random.key(0), (3, 3, 64, 128))
    >>> round(float(w.std() * (3 * 3 * 64 / 2) ** 0.5), 1)
    1.0
    """
    s = _finite(scale, "scale")
    if not isinstance(mode, str) or mode.lower() not in JAX_MODES:
        raise ValueError(f"mode must be one of {JAX_MODES}, got {mode!r}")
    mode = mode.lower()
    dist = check_distribution(distribution)
    axes = dict(in_axis=_axes(in_axis, "in_axis"), out_axis=_axes(out_axis, "out_axis"),
                batch_axis=_axes(batch_axis, "batch_axis"))

    def request(dims: Tuple[int, ...], dt: np.dtype) -> Request:
        _fans_shape("variance_scaling", dims)
        if mode != "fan_geo_avg":
            return sampler_request("variance_scaling", dims, s, mode, dist, dtype=dt, **axes)
        fan_in, fan_out = compute_fans(dims, in_axis=axes["in_axis"],
                                       out_axis=axes["out_axis"],
                                       batch_axis=axes["batch_axis"])
        n = math.sqrt(fan_in) * math.sqrt(fan_out)
        if math.prod(dims) == 0:
            return uniform_request(dims, 0.0, 0.0, dtype=dt)
        if n <= 0:
            raise ValueError(f"fan_in and fan_out must be positive, got {fan_in} and {fan_out} "
                             f"(from shape {dims})")
        if dist == "uniform":
            limit = math.sqrt(3.0 * s / n)
            return uniform_request(dims, -limit, limit, dtype=dt)
        std = math.sqrt(s / n)
        if dist == "normal" or std == 0:
            return normal_request(dims, 0.0, std, dtype=dt)
        sd = std / TRUNCATED_STD
        return truncated_normal_request(dims, 0.0, sd, -2 * sd, 2 * sd, dtype=dt)

    return _initializer("variance_scaling", dtype, request)


def _preset(name: str, xavier_name: str, doc: str, **options: Any) -> Callable[..., Initializer]:
    def factory(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                dtype: Any = None) -> Initializer:
        axes = dict(in_axis=_axes(in_axis, "in_axis"), out_axis=_axes(out_axis, "out_axis"),
                    batch_axis=_axes(batch_axis, "batch_axis"))

        def request(dims: Tuple[int, ...], dt: np.dtype) -> Request:
            _fans_shape(name, dims)
            return sampler_request(xavier_name, dims, dtype=dt, **options, **axes)

        return _initializer(name, dtype, request)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = doc
    return factory


_PRESET_DOC = """{title}, as ``jax.nn.initializers.{name}``.

    ``variance_scaling({args}, in_axis, out_axis, batch_axis, dtype)``:
    {what}.  ``{name}(in_axis, out_axis, batch_axis)(key, shape, dtype)``
    equals ``xavier.{call}`` with ``in_axis=in_axis, out_axis=out_axis,
    batch_axis=batch_axis, dtype=dtype, seed=seed_of(key)``.

    Parameters
    ----------
    in_axis, out_axis, batch_axis : int or sequence of int
        The axes of the fans (JAX's defaults: -2, -1 and none); the other
        dims form the receptive field.
    dtype : float32, float64, float16 or bfloat16, optional
        The initializer's default dtype; None is JAX's default float.

    Returns
    -------
    callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.
    """


def _doc(title: str, name: str, args: str, what: str, call: str) -> str:
    return _PRESET_DOC.format(title=title, name=name, args=args, what=what, call=call)


glorot_uniform = _preset(
    "glorot_uniform", "glorot_uniform",
    _doc("Glorot (Xavier) uniform", "glorot_uniform", '1.0, "fan_avg", "uniform"',
         "U[-limit, limit) with ``limit = sqrt(6 / (fan_in + fan_out))``",
         "glorot_uniform(shape)"))
glorot_normal = _preset(
    "glorot_normal", "glorot_normal",
    _doc("Glorot (Xavier) truncated normal", "glorot_normal",
         '1.0, "fan_avg", "truncated_normal"',
         "a normal truncated at two standard deviations whose standard deviation after "
         "truncation is ``sqrt(2 / (fan_in + fan_out))``",
         "glorot_normal(shape, truncated=True)"),
    truncated=True)
he_uniform = _preset(
    "he_uniform", "he_uniform",
    _doc("He (Kaiming) uniform", "he_uniform", '2.0, "fan_in", "uniform"',
         "U[-limit, limit) with ``limit = sqrt(6 / fan_in)``", "he_uniform(shape)"))
he_normal = _preset(
    "he_normal", "he_normal",
    _doc("He (Kaiming) truncated normal", "he_normal", '2.0, "fan_in", "truncated_normal"',
         "a normal truncated at two standard deviations whose standard deviation after "
         "truncation is ``sqrt(2 / fan_in)``", "he_normal(shape, truncated=True)"),
    truncated=True)
lecun_uniform = _preset(
    "lecun_uniform", "lecun_uniform",
    _doc("LeCun uniform", "lecun_uniform", '1.0, "fan_in", "uniform"',
         "U[-limit, limit) with ``limit = sqrt(3 / fan_in)``", "lecun_uniform(shape)"))
lecun_normal = _preset(
    "lecun_normal", "lecun_normal",
    _doc("LeCun truncated normal", "lecun_normal", '1.0, "fan_in", "truncated_normal"',
         "a normal truncated at two standard deviations whose standard deviation after "
         "truncation is ``sqrt(1 / fan_in)``", "lecun_normal(shape, truncated=True)"),
    truncated=True)

# JAX's aliases
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def uniform(scale: float = 1e-2, dtype: Any = None) -> Initializer:
    """Uniform values on ``[0, scale)``, as ``jax.nn.initializers.uniform``.

    ``uniform(scale)(key, shape, dtype)`` equals ``xavier.uniform(shape, 0.0,
    scale, dtype=dtype, seed=seed_of(key))``.

    Parameters
    ----------
    scale : float
        The upper bound: finite, >= 0.
    dtype : float32, float64, float16 or bfloat16, optional
        The initializer's default dtype; None is JAX's default float.

    Returns
    -------
    callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.
    """
    high = _finite(scale, "scale")
    return _initializer("uniform", dtype,
                        lambda dims, dt: uniform_request(dims, 0.0, high, dtype=dt))


def normal(stddev: float = 1e-2, dtype: Any = None) -> Initializer:
    """Normal values of mean 0, as ``jax.nn.initializers.normal``.

    ``normal(stddev)(key, shape, dtype)`` equals ``xavier.normal(shape, 0.0,
    stddev, dtype=dtype, seed=seed_of(key))``.

    Parameters
    ----------
    stddev : float
        The standard deviation: finite, >= 0.
    dtype : float32, float64, float16 or bfloat16, optional
        The initializer's default dtype; None is JAX's default float.

    Returns
    -------
    callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.
    """
    std = _finite(stddev, "stddev")
    return _initializer("normal", dtype,
                        lambda dims, dt: normal_request(dims, 0.0, std, dtype=dt))


def truncated_normal(stddev: float = 1e-2, dtype: Any = None, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """A truncated normal, as ``jax.nn.initializers.truncated_normal``.

    N(0, stddev**2) restricted to ``[lower * stddev, upper * stddev]``:
    `stddev` is the standard deviation before truncation (no 0.8796...
    correction, as in JAX).  ``truncated_normal(stddev, dtype, lower,
    upper)(key, shape)`` equals ``xavier.truncated_normal(shape, 0.0, stddev,
    lower * stddev, upper * stddev, dtype=dtype, seed=seed_of(key))``
    (``stddev=0`` gives zeros).

    Parameters
    ----------
    stddev : float
        Finite, >= 0.
    dtype : float32, float64, float16 or bfloat16, optional
        The initializer's default dtype; None is JAX's default float.
    lower, upper : float
        The bounds in standard deviations, ``lower < upper`` (either may be
        infinite); the interval must hold at least ``2**-40`` of the mass.

    Returns
    -------
    callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.
    """
    std = _finite(stddev, "stddev")
    lo, hi = _real(lower, "lower"), _real(upper, "upper")
    if not lo < hi:
        raise ValueError(f"lower must be < upper, got lower={lo}, upper={hi}")
    # (std == 0: zeros; inf * 0 would be NaN)
    a, b = (lo * std, hi * std) if std else (-math.inf, math.inf)

    def request(dims: Tuple[int, ...], dt: np.dtype) -> Request:
        try:
            return truncated_normal_request(dims, 0.0, std, a, b, dtype=dt)
        except ValueError as e:
            raise ValueError(f"truncated_normal(stddev={std}, lower={lo}, upper={hi}): {e} "
                             "(a = lower * stddev, b = upper * stddev)") from None

    if std:
        request((1,), np.dtype(np.float64))   # bounds that hold no mass fail here
    return _initializer("truncated_normal", dtype, request)
