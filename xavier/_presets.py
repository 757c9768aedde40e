"""Variance scaling, its named presets (Glorot/Xavier, He/Kaiming, LeCun)
and PyTorch's gains.

One mechanism: a weight's fans give a variance ``scale / n`` (n = fan_in,
fan_out or their mean), drawn from a uniform, a normal or a normal
truncated at two standard deviations, as Keras and JAX define them.
"""
from __future__ import annotations

import math
import operator
from fractions import Fraction
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple, TypeVar, Union, cast

import numpy as np

from . import _core
from ._checks import (DTypeLike, ParamsOf, check_float_array, check_nonneg,
                      check_threads, normal_params, truncnorm_params, uniform_params)
from ._fans import AxisLike, ShapeLike, compute_fans, int_tuple, normalize_shape
from ._request import Request, fill, resolve
from ._seeds import SeedLike, seed_key

ArrayT = TypeVar("ArrayT", bound=np.ndarray)
FansLike = Union[Tuple[int, int], Sequence[int], np.ndarray]

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("uniform", "normal", "truncated_normal")
# Standard deviation of the unit normal truncated to [-2, 2] (Keras, JAX).
TRUNCATED_STD = 0.87962566103423978


def check_mode(mode: object) -> str:
    if not isinstance(mode, str) or mode.lower() not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode.lower()


def check_distribution(distribution: object) -> str:
    """One of DISTRIBUTIONS; Keras's "untruncated_normal" is "normal"."""
    d = distribution.lower() if isinstance(distribution, str) else None
    if d == "untruncated_normal":
        return "normal"
    if d not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS} (or 'untruncated_normal'),"
                         f" got {distribution!r}")
    return str(d)


def _fans_of(dims: Tuple[int, ...], fans: Optional[FansLike], layout: Optional[str],
             in_axis: Optional[AxisLike], out_axis: Optional[AxisLike],
             batch_axis: Optional[AxisLike]) -> Tuple[int, int]:
    if fans is None:
        return compute_fans(dims, layout, in_axis=in_axis, out_axis=out_axis,
                            batch_axis=batch_axis)
    pair = int_tuple(fans, "fans")
    if len(pair) != 2:
        raise TypeError(f"fans must be a pair (fan_in, fan_out), got {fans!r}")
    return pair[0], pair[1]


def scaled_dist(dims: Tuple[int, ...], scale: float, mode: str, distribution: str, gain: object,
                fans: Optional[FansLike] = None, layout: Optional[str] = None,
                in_axis: Optional[AxisLike] = None, out_axis: Optional[AxisLike] = None,
                batch_axis: Optional[AxisLike] = None) -> Tuple[int, ParamsOf]:
    """The mechanism: ``(distribution, params_of)`` for a weight of shape `dims`
    whose standard deviation is ``gain * sqrt(scale / n)``."""
    g = check_nonneg(gain, "gain")
    mode = check_mode(mode)
    distribution = check_distribution(distribution)
    fan_in, fan_out = _fans_of(dims, fans, layout, in_axis, out_axis, batch_axis)
    # fans are at most MAX_SIZE (checked shapes and fans), so n is a finite float
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    if math.prod(dims) == 0:
        g = 0.0
    elif n <= 0:
        what, got = ("fan_in + fan_out", fan_in + fan_out) if mode == "fan_avg" else (mode, n)
        source = f"shape {dims}" if fans is None else f"fans={fans!r}"
        raise ValueError(f"{what} must be positive, got {got} (from {source})")
    if distribution == "uniform":
        a = g * math.sqrt(3.0 * scale / n) if g else 0.0
        return _core.UNIFORM, _naming(lambda code: uniform_params(-a, a, code), g, scale)
    s = g * math.sqrt(scale / n) if g else 0.0
    if distribution == "normal" or s == 0:  # (an empty [-2 sd, 2 sd] is all zeros)
        return _core.NORMAL, _naming(lambda code: normal_params(0.0, s, code), g, scale)
    sd = s / TRUNCATED_STD
    return _core.TRUNCNORM, _naming(
        lambda code: truncnorm_params(0.0, sd, -2 * sd, 2 * sd, code), g, scale)


def _naming(params_of: ParamsOf, gain: float, scale: float) -> ParamsOf:
    """`params_of`, whose errors (bounds beyond the dtype) name the arguments
    that set the bounds, gain and scale, rather than the sampler's own."""
    def checked(code: int) -> Tuple[float, ...]:
        try:
            return params_of(code)
        except ValueError as e:
            raise ValueError(f"gain={gain} and scale={scale} are too large: {e}") from None
    return checked


# Plans of repeated calls into `out=` (re-initializing a model's layers):
# (kind, params) by the exact arguments that determined them.  A layer's fill
# then costs a dictionary look-up and the core's fill instead of the checks
# and fan arithmetic, a few microseconds that dominate for small layers.
_PLANS: Dict[Tuple[object, ...], Tuple[Tuple[int, ...], int, Tuple[float, ...]]] = {}
_PLANS_MAX = 4096
_PLAIN = (int, float)   # exact types only: True == 1 and hashes alike, but is refused


def _plan_key(shape: object, scale: float, mode: object, distribution: str, gain: object,
              layout: object, dtype: DTypeLike, out: np.ndarray) -> Optional[Tuple[object, ...]]:
    """The plan key of a call (of checked `scale` and `distribution`), or None
    where equal keys could stand for different requests: arguments of other
    types than these exact ones, and a zero scale (-0.0 == 0.0)."""
    if type(gain) not in _PLAIN or type(mode) is not str or scale == 0.0 \
            or (layout is not None and type(layout) is not str):
        return None
    if type(shape) is tuple:
        for d in shape:   # (a loop: a generator costs more than the check)
            if type(d) is not int:
                return None
    elif shape is not None and type(shape) is not int:
        return None
    if dtype is not None and type(dtype) is not str and not isinstance(dtype, type):
        return None
    return (shape, scale, mode, distribution, gain, layout, dtype, out.dtype)


def _planned(key: Optional[Tuple[object, ...]], out: np.ndarray, seed: SeedLike,
             threads: Optional[int]) -> bool:
    """Fill `out` by the plan of `key`, if there is one: True if it did."""
    plan = _PLANS.get(key) if key is not None else None
    if plan is None or out.shape != plan[0] or not out.flags.writeable:
        return False   # (a read-only out fails in the slow path, with its message)
    nthreads = check_threads(threads)   # checked in the slow path's order
    stream_key = seed_key(seed)
    flags = out.flags
    if flags.c_contiguous and flags.aligned:
        _core.fill(out, stream_key, plan[1], plan[2], 0, nthreads)
    else:
        fill(out, plan[1], plan[2], stream_key, nthreads)
    return True


def _plan(key: Optional[Tuple[object, ...]], out: Optional[np.ndarray], req: Request) -> None:
    """After a valid call into `out`: the next one like it is planned."""
    if key is not None and out is not None and req.kind is not None:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = (out.shape, req.kind, req.params)


def scaled_request(shape: Optional[ShapeLike], scale: float, mode: str, distribution: str,
                   gain: object = 1.0, *, fans: Optional[FansLike] = None,
                   layout: Optional[str] = None, in_axis: Optional[AxisLike] = None,
                   out_axis: Optional[AxisLike] = None, batch_axis: Optional[AxisLike] = None,
                   dtype: DTypeLike = None, out: Optional[np.ndarray] = None) -> Request:
    """The request of a variance-scaling call (`scale` already checked): the
    shape (or out's), then the mechanism's arguments, then dtype and bounds."""
    dims = normalize_shape(out.shape if (shape is None and isinstance(out, np.ndarray)) else shape)
    dist, params_of = scaled_dist(dims, scale, mode, distribution, gain, fans, layout, in_axis,
                                  out_axis, batch_axis)
    return resolve(dist, params_of, dims, dtype, out)


def _key_of(shape: Optional[ShapeLike], scale: float, mode: str, distribution: str,
            gain: object, fans: Optional[FansLike], layout: Optional[str],
            in_axis: Optional[AxisLike], out_axis: Optional[AxisLike],
            batch_axis: Optional[AxisLike], dtype: DTypeLike,
            out: Optional[np.ndarray]) -> Optional[Tuple[object, ...]]:
    """The plan key of a variance-scaling call, or None for a call that is not
    planned: without an ndarray `out`, or with explicit fans or axes."""
    if type(out) is not np.ndarray or fans is not None or in_axis is not None \
            or out_axis is not None or batch_axis is not None:
        return None
    return _plan_key(shape, scale, mode, distribution, gain, layout, dtype, out)


def _draw_unplanned(shape: Optional[ShapeLike], scale: float, mode: str, distribution: str,
                    gain: object, *, fans: Optional[FansLike], layout: Optional[str],
                    in_axis: Optional[AxisLike], out_axis: Optional[AxisLike],
                    batch_axis: Optional[AxisLike], dtype: DTypeLike, seed: SeedLike,
                    out: Optional[np.ndarray], threads: Optional[int],
                    key: Optional[Tuple[object, ...]]) -> np.ndarray:
    """A variance-scaling call with no plan: its request drawn, then planned
    under `key` (from _key_of; None: not planned)."""
    req = scaled_request(shape, scale, mode, distribution, gain, fans=fans, layout=layout,
                         in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, dtype=dtype,
                         out=out)
    result = req.draw(seed, out, threads)
    _plan(key, out, req)
    return result


def variance_scaling(shape: ShapeLike, scale: float = 1.0, mode: str = "fan_avg",
                     distribution: str = "uniform", *, in_axis: Optional[AxisLike] = None,
                     out_axis: Optional[AxisLike] = None,
                     batch_axis: Optional[AxisLike] = None, layout: Optional[str] = None,
                     fans: Optional[FansLike] = None, dtype: DTypeLike = None,
                     seed: SeedLike = None, out: Optional[np.ndarray] = None,
                     threads: Optional[int] = None) -> np.ndarray:
    """Weights with variance ``scale / n``, as Keras's and JAX's ``VarianceScaling``.

    `n` is fan_in (``mode="fan_in"``), fan_out (``"fan_out"``) or their mean
    (``"fan_avg"``).  ``"uniform"`` draws U(-limit, limit) with ``limit =
    sqrt(3 * scale / n)``; ``"normal"`` draws N(0, scale / n);
    ``"truncated_normal"`` draws a unit normal truncated to [-2, 2] times
    ``sqrt(scale / n) / 0.87962566103423978``, so the variance after
    truncation is ``scale / n`` (Keras and JAX).

    Parameters
    ----------
    shape : int or sequence of int
        The weight's shape (``out.shape`` when None and `out` is given).
    scale : float
        Finite, >= 0 (Glorot: 1, He: 2, LeCun: 1).
    mode : {"fan_avg", "fan_in", "fan_out"}
    distribution : {"uniform", "normal", "truncated_normal"}
        ``"untruncated_normal"`` (Keras's name) is ``"normal"``.
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        Fans by JAX's rules (defaults -2, -1 and none): batch axes count in
        neither fan, the other axes form the receptive field.
    layout : {"keras", "torch"}, optional
        Fans by a framework's layout instead (see :func:`compute_fans`).
        With neither axes nor layout: ``"keras"``, which equals JAX's
        default axes for 2-D and larger shapes.
    fans : (int, int), optional
        ``(fan_in, fan_out)`` to use instead of those of `shape`.
    dtype, seed, out, threads
        As for :func:`uniform`.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.variance_scaling((3, 3, 64, 128), 2.0, "fan_in", "truncated_normal", seed=0)
    >>> round(float(w.std() * np.sqrt(3 * 3 * 64 / 2)), 2)
    1.0
    >>> k = xavier.variance_scaling((8, 3, 3, 16, 32), batch_axis=0, seed=1)  # JAX axes
    >>> bool(np.abs(k).max() < np.sqrt(6 / (144 + 288)))
    True
    """
    checked = check_nonneg(scale, "scale")
    key = _key_of(shape, checked, mode, distribution, 1.0, fans, layout, in_axis, out_axis,
                  batch_axis, dtype, out)
    if key is not None and _planned(key, cast(np.ndarray, out), seed, threads):
        return cast(np.ndarray, out)
    return _draw_unplanned(shape, checked, mode, distribution, 1.0, fans=fans, layout=layout,
                           in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                           dtype=dtype, seed=seed, out=out, threads=threads, key=key)


# ---- named presets ----------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    """A named variance-scaling preset: standard deviation ``gain * sqrt(scale / n)``,
    n the fan of `mode`."""

    scale: float
    mode: str                 # the default mode (Glorot's functions take no mode: fixed)
    distribution: str         # "uniform", or "normal" (truncated=True truncates it)
    aliases: Tuple[str, ...]  # PyTorch's names
    keras: str                # Keras's class name


# The presets, for the NumPy functions below, xavier.torch's init_, the Keras
# objects, the command line, spec files and xavier.dask.
PRESETS: Dict[str, Preset] = {
    "glorot_uniform": Preset(1.0, "fan_avg", "uniform", ("xavier_uniform",), "GlorotUniform"),
    "glorot_normal": Preset(1.0, "fan_avg", "normal", ("xavier_normal",), "GlorotNormal"),
    "he_uniform": Preset(2.0, "fan_in", "uniform", ("kaiming_uniform",), "HeUniform"),
    "he_normal": Preset(2.0, "fan_in", "normal", ("kaiming_normal",), "HeNormal"),
    "lecun_uniform": Preset(1.0, "fan_in", "uniform", (), "LecunUniform"),
    "lecun_normal": Preset(1.0, "fan_in", "normal", (), "LecunNormal"),
}


def check_truncated(truncated: object) -> bool:
    if not isinstance(truncated, (bool, np.bool_)):
        raise TypeError(f"truncated must be a bool, got {type(truncated).__name__}")
    return bool(truncated)


def _preset_scaling(name: str, args: Dict[str, Any]) -> Tuple[float, str, str, object]:
    """(scale, mode, distribution, gain) of preset `name` called with `args`."""
    p = PRESETS[name]
    distribution = p.distribution
    if distribution == "normal" and check_truncated(args.get("truncated", False)):
        distribution = "truncated_normal"
    return p.scale, args.get("mode", p.mode), distribution, args.get("gain", 1.0)


_AXES = ("fans", "layout", "in_axis", "out_axis", "batch_axis")


def preset_request(name: str, shape: Optional[ShapeLike], *, dtype: DTypeLike = None,
                   out: Optional[np.ndarray] = None, **options: Any) -> Request:
    """The request of preset `name`'s function with these arguments (its
    options: gain, truncated or mode as it takes them, and the axes)."""
    scale, mode, distribution, gain = _preset_scaling(name, options)
    return scaled_request(shape, scale, mode, distribution, gain, dtype=dtype, out=out,
                          **{k: options.get(k) for k in _AXES})


_ARGS = operator.itemgetter("shape", "dtype", "seed", "out", "threads", "fans", "layout",
                            "in_axis", "out_axis", "batch_axis")


def _draw_preset(name: str, args: Dict[str, Any]) -> np.ndarray:
    """Preset `name`'s function called with `args`, its arguments."""
    scale, mode, distribution, gain = _preset_scaling(name, args)
    shape, dtype, seed, out, threads, fans, layout, in_axis, out_axis, batch_axis = _ARGS(args)
    key = _key_of(shape, scale, mode, distribution, gain, fans, layout, in_axis, out_axis,
                  batch_axis, dtype, out)
    if key is not None and _planned(key, out, seed, threads):
        return cast(np.ndarray, out)
    return _draw_unplanned(shape, scale, mode, distribution, gain, dtype=dtype, seed=seed,
                           out=out, threads=threads, fans=fans, layout=layout, in_axis=in_axis,
                           out_axis=out_axis, batch_axis=batch_axis, key=key)


def glorot_uniform(shape: ShapeLike, gain: float = 1.0, *, dtype: DTypeLike = None,
                   seed: SeedLike = None, out: Optional[np.ndarray] = None,
                   threads: Optional[int] = None, layout: Optional[str] = None,
                   in_axis: Optional[AxisLike] = None, out_axis: Optional[AxisLike] = None,
                   batch_axis: Optional[AxisLike] = None,
                   fans: Optional[FansLike] = None) -> np.ndarray:
    """Xavier/Glorot uniform weights: U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    A preset of :func:`variance_scaling` (scale 1, mode "fan_avg",
    "uniform"), with PyTorch's `gain` on the standard deviation.

    Parameters
    ----------
    shape : int or sequence of int
        Weight shape; its fans follow `layout` or the axes (see
        :func:`compute_fans`).
    gain : float, optional
        Finite, non-negative scale factor (PyTorch's `gain`, e.g.
        ``calculate_gain("tanh")``).
    dtype, seed, out, threads
        As for :func:`uniform`.
    layout : {"keras", "torch"}, optional
        ``"keras"``: ``(..., in, out)``, the NumPy/Keras convention (the
        default); ``"torch"``: ``(out, in, *kernel)``.
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        JAX-style axes instead of a layout (see :func:`variance_scaling`).
    fans : (int, int), optional
        ``(fan_in, fan_out)`` to use instead of those of `shape`.

    Returns
    -------
    numpy.ndarray
        A new array, or `out` itself.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.glorot_uniform((784, 256), seed=42)
    >>> a = np.sqrt(6 / (784 + 256))
    >>> bool(np.abs(w).max() < a)
    True
    >>> buf = np.empty((3, 3, 64, 128), dtype=np.float32)   # Keras Conv2D kernel
    >>> xavier.glorot_uniform(buf.shape, out=buf, seed=1) is buf
    True
    """
    return _draw_preset("glorot_uniform", locals())


def glorot_normal(shape: ShapeLike, gain: float = 1.0, *, truncated: bool = False,
                  dtype: DTypeLike = None, seed: SeedLike = None,
                  out: Optional[np.ndarray] = None, threads: Optional[int] = None,
                  layout: Optional[str] = None, in_axis: Optional[AxisLike] = None,
                  out_axis: Optional[AxisLike] = None, batch_axis: Optional[AxisLike] = None,
                  fans: Optional[FansLike] = None) -> np.ndarray:
    """Xavier/Glorot normal weights: N(0, s^2), ``s = gain * sqrt(2 / (fan_in + fan_out))``.

    By default the untruncated normal of PyTorch's ``xavier_normal_`` and of
    Glorot & Bengio; ``truncated=True`` gives Keras's and JAX's
    ``glorot_normal``, a normal truncated at two standard deviations and
    rescaled to the same variance.  Other parameters are as for
    :func:`glorot_uniform`.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.glorot_normal((1000, 1000), seed=3, dtype=np.float64)
    >>> round(float(w.std() * np.sqrt(1000)), 2)
    1.0
    >>> t = xavier.glorot_normal((1000, 1000), seed=3, truncated=True)
    >>> bool(np.abs(t).max() <= 2 * np.sqrt(2 / 2000) / 0.87962566103423978)
    True
    """
    return _draw_preset("glorot_normal", locals())


def he_uniform(shape: ShapeLike, *, mode: str = "fan_in", dtype: DTypeLike = None,
               seed: SeedLike = None, out: Optional[np.ndarray] = None,
               threads: Optional[int] = None, layout: Optional[str] = None,
               in_axis: Optional[AxisLike] = None, out_axis: Optional[AxisLike] = None,
               batch_axis: Optional[AxisLike] = None,
               fans: Optional[FansLike] = None) -> np.ndarray:
    """He/Kaiming uniform weights: U(-a, a), ``a = sqrt(6 / fan_in)``.

    A preset of :func:`variance_scaling`: scale 2, `mode` (default
    ``"fan_in"``), uniform.  PyTorch's ``kaiming_uniform_`` with
    ``nonlinearity="relu"``; Keras's and JAX's ``he_uniform``.  Other
    parameters are as for :func:`glorot_uniform`.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.he_uniform((3, 3, 64, 128), seed=0)         # Keras Conv2D kernel
    >>> bool(np.abs(w).max() < np.sqrt(6 / (3 * 3 * 64)))
    True
    """
    return _draw_preset("he_uniform", locals())


def he_normal(shape: ShapeLike, *, truncated: bool = False, mode: str = "fan_in",
              dtype: DTypeLike = None, seed: SeedLike = None, out: Optional[np.ndarray] = None,
              threads: Optional[int] = None, layout: Optional[str] = None,
              in_axis: Optional[AxisLike] = None, out_axis: Optional[AxisLike] = None,
              batch_axis: Optional[AxisLike] = None,
              fans: Optional[FansLike] = None) -> np.ndarray:
    """He/Kaiming normal weights: N(0, s^2), ``s = sqrt(2 / fan_in)``.

    A preset of :func:`variance_scaling`: scale 2, `mode` (default
    ``"fan_in"``).  By default the untruncated normal of PyTorch's
    ``kaiming_normal_`` (``nonlinearity="relu"``); ``truncated=True`` gives
    Keras's and JAX's ``he_normal``.  Other parameters are as for
    :func:`glorot_uniform`.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.he_normal((512, 512), seed=0, dtype=np.float64)
    >>> round(float(w.std() * np.sqrt(512 / 2)), 2)
    1.0
    """
    return _draw_preset("he_normal", locals())


def lecun_uniform(shape: ShapeLike, *, mode: str = "fan_in", dtype: DTypeLike = None,
                  seed: SeedLike = None, out: Optional[np.ndarray] = None,
                  threads: Optional[int] = None, layout: Optional[str] = None,
                  in_axis: Optional[AxisLike] = None, out_axis: Optional[AxisLike] = None,
                  batch_axis: Optional[AxisLike] = None,
                  fans: Optional[FansLike] = None) -> np.ndarray:
    """LeCun uniform weights: U(-a, a), ``a = sqrt(3 / fan_in)``.

    A preset of :func:`variance_scaling`: scale 1, `mode` (default
    ``"fan_in"``), uniform; Keras's and JAX's ``lecun_uniform``.  Other
    parameters are as for :func:`glorot_uniform`.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.lecun_uniform((300, 100), seed=0)
    >>> bool(np.abs(w).max() < np.sqrt(3 / 300))
    True
    """
    return _draw_preset("lecun_uniform", locals())


def lecun_normal(shape: ShapeLike, *, truncated: bool = False, mode: str = "fan_in",
                 dtype: DTypeLike = None, seed: SeedLike = None,
                 out: Optional[np.ndarray] = None, threads: Optional[int] = None,
                 layout: Optional[str] = None, in_axis: Optional[AxisLike] = None,
                 out_axis: Optional[AxisLike] = None, batch_axis: Optional[AxisLike] = None,
                 fans: Optional[FansLike] = None) -> np.ndarray:
    """LeCun normal weights: N(0, s^2), ``s = sqrt(1 / fan_in)``.

    A preset of :func:`variance_scaling`: scale 1, `mode` (default
    ``"fan_in"``).  By default untruncated; ``truncated=True`` gives Keras's
    and JAX's ``lecun_normal``.  Other parameters are as for
    :func:`glorot_uniform`.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = xavier.lecun_normal((400, 400), seed=0, truncated=True)   # Keras's LecunNormal
    >>> bool(np.abs(w).max() <= 2 * np.sqrt(1 / 400) / 0.87962566103423978)
    True
    """
    return _draw_preset("lecun_normal", locals())


# ---- in place, PyTorch names ------------------------------------------------

def _inplace(array: ArrayT, fn, gain: float, seed: SeedLike, layout: str,  # type: ignore[no-untyped-def]
             threads: Optional[int]) -> ArrayT:
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array must be a numpy.ndarray, got {type(array).__name__}")
    check_float_array(array, "array")
    if layout is None:  # these name torch's functions: no silent switch to Keras's layout
        raise ValueError("layout must be 'keras' or 'torch', got None")
    fn(array.shape, gain, dtype=array.dtype, seed=seed, out=array, threads=threads, layout=layout)
    return array


def xavier_uniform_(array: ArrayT, gain: float = 1.0, *, seed: SeedLike = None,
                    layout: str = "torch", threads: Optional[int] = None) -> ArrayT:
    """Fill `array` in place with Glorot uniform values and return it.

    Named and laid out like ``torch.nn.init.xavier_uniform_``: the default
    layout is ``"torch"``, ``(out, in, *kernel)``.  Non-contiguous arrays
    get the same values as a contiguous array of their shape.  (For torch
    tensors themselves, see ``xavier.torch``.)

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = np.empty((256, 784), dtype=np.float32)        # torch Linear(784, 256)
    >>> xavier.xavier_uniform_(w, seed=0) is w
    True
    """
    return _inplace(array, glorot_uniform, gain, seed, layout, threads)


def xavier_normal_(array: ArrayT, gain: float = 1.0, *, seed: SeedLike = None,
                   layout: str = "torch", threads: Optional[int] = None) -> ArrayT:
    """Fill `array` in place with Glorot normal values and return it.

    The in-place twin of :func:`glorot_normal`, like ``torch.nn.init.xavier_normal_``.

    Examples
    --------
    >>> import numpy as np, xavier
    >>> w = np.empty((64, 32, 3, 3))                      # torch Conv2d(32, 64, 3)
    >>> xavier.xavier_normal_(w, seed=0).dtype
    dtype('float64')
    """
    return _inplace(array, glorot_normal, gain, seed, layout, threads)


# ---- gains ------------------------------------------------------------------

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The recommended gain for a nonlinearity: PyTorch's table, values and errors.

    =================  =============================================
    nonlinearity       gain
    =================  =============================================
    linear, conv*d,    1
    conv_transpose*d,
    sigmoid
    tanh               5/3
    relu               sqrt(2)
    leaky_relu         sqrt(2 / (1 + negative_slope**2)), `param` is
                       the slope (default 0.01)
    selu               3/4
    =================  =============================================

    Unknown names raise ValueError, as does a `param` for leaky_relu that is
    not an int or float (bools included).

    Examples
    --------
    >>> import xavier
    >>> xavier.calculate_gain("tanh")
    1.6666666666666667
    >>> round(xavier.calculate_gain("leaky_relu", 0.2), 6)
    1.38675
    """
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope: float = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        if slope != slope:  # NaN (torch returns a NaN gain, which no sampler takes)
            raise ValueError(f"negative_slope {param} not a valid number")
        try:
            return math.sqrt(2.0 / (1 + slope**2))
        except OverflowError:  # |slope| > 1e154 (torch raises): 1 + slope**2 is slope**2
            return float(Fraction(math.sqrt(2.0)) / abs(Fraction(slope)))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")
