"""The initializers a request can name, for the command line, spec files and
``xavier.dask``: each sampler by its name, with the options it takes, and
the constants (zeros, ones, constant).

A named initializer resolves through the same request functions as the
public sampler of that name, so a tensor generated to a file or a Dask
array holds the values of the in-memory call with the same arguments.
"""
from __future__ import annotations

import functools
import inspect
import math
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

from . import _api, _presets
from ._checks import MAX_VALUE, DTypeLike, as_real, check_nonneg
from ._fans import ShapeLike, normalize_shape
from ._request import TYPES, Request, output_type

# The public samplers a request can name.
SAMPLERS: Dict[str, Callable[..., np.ndarray]] = {
    "uniform": _api.uniform,
    "normal": _api.normal,
    "truncated_normal": _api.truncated_normal,
    "variance_scaling": _presets.variance_scaling,
    **{name: getattr(_presets, name) for name in _presets.PRESETS},
}
_COMMON = ("shape", "dtype", "seed", "out", "threads")
# The options each takes besides shape, dtype, seed, out and threads, read
# from its signature; the constants' only option is the value.
OPTIONS: Dict[str, Tuple[str, ...]] = {
    name: tuple(p for p in inspect.signature(fn).parameters if p not in _COMMON)
    for name, fn in SAMPLERS.items()
}
CONSTANTS = {"zeros": 0.0, "ones": 1.0, "constant": None}
OPTIONS.update(zeros=(), ones=(), constant=("value",))
INITS = tuple(SAMPLERS) + tuple(CONSTANTS)
# PyTorch's names of the presets (xavier_uniform ...): each means the preset
# with its default arguments (kaiming_*: torch's default leaky_relu with
# a=0 has gain sqrt(2), which is he_*).
ALIASES: Dict[str, str] = {alias: name for name, p in _presets.PRESETS.items()
                           for alias in p.aliases}


def _variance_scaling_request(shape: ShapeLike, scale: float = 1.0, mode: str = "fan_avg",
                              distribution: str = "uniform", *, dtype: DTypeLike = None,
                              **axes: Any) -> Request:
    return _presets.scaled_request(shape, check_nonneg(scale, "scale"), mode, distribution,
                                   dtype=dtype, **axes)


# Each sampler's request function: its arguments less seed, out and threads.
REQUESTS: Dict[str, Callable[..., Request]] = {
    "uniform": _api.uniform_request,
    "normal": _api.normal_request,
    "truncated_normal": _api.truncated_normal_request,
    "variance_scaling": _variance_scaling_request,
    **{name: functools.partial(_presets.preset_request, name) for name in _presets.PRESETS},
}


def sampler_request(name: str, *args: Any, **kwargs: Any) -> Request:
    """The request of ``SAMPLERS[name](*args, **kwargs)``, with every argument
    checked as that call checks it (out= is not taken)."""
    fn = SAMPLERS[name]
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{name}(): {e}") from None
    given = dict(bound.arguments)
    for arg in ("seed", "threads", "out"):
        given.pop(arg, None)
    return REQUESTS[name](**given)


def unknown_options(init: str, names: Iterable[str]) -> List[str]:
    """The names among `names` that initializer `init` takes no option of, sorted."""
    return sorted(set(names) - set(OPTIONS[init]))


def takes(init: str) -> str:
    """The options `init` takes, for messages."""
    return ", ".join(OPTIONS[init]) or "no options"


def check_init(init: object) -> str:
    """The name of :data:`INITS` that `init` names (PyTorch's names of the
    presets, :data:`ALIASES`, give the preset's)."""
    if isinstance(init, str) and init in ALIASES:
        return ALIASES[init]
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)} (or PyTorch's "
                         f"{', '.join(ALIASES)}); got {init!r}")
    return init


def request(init: str, shape: ShapeLike, dtype: DTypeLike = None,
            options: Optional[Mapping[str, Any]] = None) -> Request:
    """The request of the initializer called `init` (see :data:`INITS` and
    :data:`ALIASES`) for `shape` and `dtype`, with keyword `options` (its
    parameters besides shape, dtype, seed, out and threads; ``value`` for
    "constant")."""
    init = check_init(init)
    opts = dict(options or {})
    unknown = unknown_options(init, opts)
    if unknown:
        raise ValueError(f"init {init!r} does not take {', '.join(unknown)} "
                         f"(it takes: {takes(init)})")
    if init in SAMPLERS:
        return sampler_request(init, shape, dtype=dtype, **opts)
    dims = normalize_shape(shape)
    code = output_type(dtype)
    value = CONSTANTS[init]
    if value is None:
        if "value" not in opts:
            raise ValueError("init 'constant' needs a value")
        value = as_real(opts["value"], "value")
    if not math.isfinite(value) or abs(value) > MAX_VALUE[code]:
        raise ValueError(f"value must be finite in {TYPES[code][0]}, got {value}")
    return Request(dims, code, None, (), value)
