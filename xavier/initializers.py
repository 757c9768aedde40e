"""Keras-style initializer objects on xavier's sampler.

``init = GlorotUniform(seed=7)`` is configured once and called as
``init(shape, dtype=None)``, returning a NumPy array, as
``keras.initializers`` objects are; ``get_config()`` / ``from_config()`` round
trip, and ``get()`` resolves names and configs.  Shapes follow Keras's
layout (``(..., in, out)``), and the formulas are Keras's (``GlorotNormal``,
``HeNormal`` and ``LecunNormal`` are truncated normals, as in Keras).

Seeds follow Keras 3: an initializer seeded with an int, or unseeded (it then
picks a seed when it is made), produces the same values on every call.  A
``numpy.random.SeedSequence`` works as a seed too.  For different values on
different layers, give each its own seed (or ``SeedSequence.spawn``).

Examples
--------
>>> import numpy as np
>>> from xavier import initializers
>>> init = initializers.GlorotNormal(seed=1)
>>> w = init((3, 3, 64, 128))                     # a Conv2D kernel, float32
>>> np.array_equal(w, init((3, 3, 64, 128)))      # same seed, same values
True
>>> config = initializers.serialize(init)          # {"class_name": ..., "config": ...}
>>> np.array_equal(initializers.deserialize(config)((3, 3, 64, 128)), w)
True
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, Union

import numpy as np

from ._api import normal, truncated_normal, uniform
from ._checks import DTypeLike, as_real, check_nonneg, check_real
from ._fans import ShapeLike, normalize_shape
from ._presets import PRESETS, variance_scaling

__all__ = ["GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Initializer", "LecunNormal",
           "LecunUniform", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
           "deserialize", "get", "serialize"]

Seed = Union[None, int, np.random.SeedSequence]


def _seed_to_config(seed: Seed) -> Any:
    if isinstance(seed, np.random.SeedSequence):
        return {"class_name": "SeedSequence",
                "config": {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key),
                           "pool_size": seed.pool_size}}
    return seed


def _seed_from_config(seed: Any) -> Seed:
    if isinstance(seed, dict):
        if seed.get("class_name") != "SeedSequence":
            raise ValueError(f"seed config must describe a SeedSequence, got {seed!r}")
        c = seed["config"]
        return np.random.SeedSequence(c["entropy"], spawn_key=tuple(c["spawn_key"]),
                                      pool_size=c["pool_size"])
    return seed  # type: ignore[no-any-return]


class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns a NumPy array."""

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        """The arguments that rebuild this initializer (JSON-serializable)."""
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Initializer":
        """An initializer rebuilt from ``get_config()``'s output."""
        config = dict(config)
        if "seed" in config:
            config["seed"] = _seed_from_config(config["seed"])
        return cls(**config)

    def clone(self) -> "Initializer":
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items()
                         if v is not None or k == "seed")
        return f"{type(self).__name__}({args})"


class _RandomInitializer(Initializer):
    def __init__(self, seed: Seed = None) -> None:
        self._init_seed = _seed_from_config(seed)
        if self._init_seed is None:
            # as Keras: an unseeded initializer picks its seed once, here
            self.seed: Seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
        elif isinstance(self._init_seed, np.random.SeedSequence):
            self.seed = self._init_seed
        elif isinstance(self._init_seed, (numbers.Integral, np.integer)) and \
                not isinstance(self._init_seed, (bool, np.bool_)):
            if int(self._init_seed) < 0:
                raise ValueError(f"seed must be non-negative, got {self._init_seed}")
            self.seed = int(self._init_seed)
        else:
            raise TypeError("seed must be None, a non-negative int or a SeedSequence, "
                            f"got {type(self._init_seed).__name__}")

    def get_config(self) -> Dict[str, Any]:
        return {"seed": _seed_to_config(self._init_seed)}


def _check_axes(axes: object, name: str) -> Optional[List[int]]:
    if axes is None:
        return None
    if isinstance(axes, (str, bytes)) or not isinstance(axes, (list, tuple)):
        raise TypeError(f"{name} must be None or a list of ints, got {axes!r}")
    out = []
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (numbers.Integral, np.integer)):
            raise TypeError(f"{name} must be None or a list of ints, got {axes!r}")
        out.append(int(a))
    return out


class VarianceScaling(_RandomInitializer):
    """Keras's ``VarianceScaling(scale, mode, distribution, seed, input_axes, output_axes)``.

    Variance ``scale / n``, n = fan_in, fan_out or their mean.
    ``"truncated_normal"`` (the default; ``"normal"`` means it too, as in
    Keras) draws a normal truncated at two standard deviations with
    ``stddev = sqrt(scale / n) / 0.87962566103423978``;
    ``"untruncated_normal"`` a plain normal; ``"uniform"`` U(-limit, limit),
    ``limit = sqrt(3 * scale / n)``.  Fans follow Keras's ``compute_fans``:
    with both `input_axes` and `output_axes`, the products of those dims;
    otherwise ``(..., in, out)`` with the receptive field.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Seed = None,
                 input_axes: Optional[List[int]] = None,
                 output_axes: Optional[List[int]] = None) -> None:
        scale = as_real(scale, "scale")
        if not scale > 0.0 or not math.isfinite(scale):
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        allowed_modes = {"fan_in", "fan_out", "fan_avg"}
        if mode not in allowed_modes:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {allowed_modes}")
        if not isinstance(distribution, str):
            raise TypeError(f"distribution must be a str, got {type(distribution).__name__}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        allowed = {"uniform", "truncated_normal", "untruncated_normal"}
        if distribution not in allowed:
            raise ValueError(f"Invalid `distribution` argument: {distribution}. "
                             f"Please use one of {allowed}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes = _check_axes(input_axes, "input_axes")
        self.output_axes = _check_axes(output_axes, "output_axes")
        super().__init__(seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None) -> np.ndarray:
        dims = normalize_shape(shape)
        fans = None
        if self.input_axes is not None and self.output_axes is not None:
            try:
                fans = (math.prod(dims[a] for a in self.input_axes),
                        math.prod(dims[a] for a in self.output_axes))
            except IndexError:
                raise ValueError(f"input_axes={self.input_axes} or output_axes="
                                 f"{self.output_axes} is out of range for shape {dims}") from None
        return variance_scaling(dims, self.scale, self.mode, self.distribution,
                                layout=None if fans else "keras", fans=fans, dtype=dtype,
                                seed=self.seed)

    def _axes_config(self) -> Dict[str, Any]:
        return {"input_axes": self.input_axes, "output_axes": self.output_axes}

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, **self._axes_config()}


def _keras_preset(name: str) -> Tuple[float, str, str]:
    """(scale, mode, distribution) of a preset as Keras defines it: its
    normals truncated."""
    p = PRESETS[name]
    return p.scale, p.mode, "truncated_normal" if p.distribution == "normal" else p.distribution


class _Preset(VarianceScaling):
    """A named VarianceScaling: configured by its seed (and fan axes) alone."""

    _PRESET: Tuple[float, str, str]

    def __init__(self, seed: Seed = None, input_axes: Optional[List[int]] = None,
                 output_axes: Optional[List[int]] = None) -> None:
        super().__init__(*self._PRESET, seed=seed, input_axes=input_axes,
                         output_axes=output_axes)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": _seed_to_config(self._init_seed), **self._axes_config()}


class GlorotUniform(_Preset):
    """Glorot/Xavier uniform: U(-limit, limit), ``limit = sqrt(6 / (fan_in + fan_out))``."""
    _PRESET = _keras_preset("glorot_uniform")


class GlorotNormal(_Preset):
    """Glorot/Xavier normal, truncated as in Keras: stddev ``sqrt(2 / (fan_in + fan_out))``."""
    _PRESET = _keras_preset("glorot_normal")


class HeUniform(_Preset):
    """He uniform: U(-limit, limit), ``limit = sqrt(6 / fan_in)``."""
    _PRESET = _keras_preset("he_uniform")


class HeNormal(_Preset):
    """He normal, truncated as in Keras: stddev ``sqrt(2 / fan_in)``."""
    _PRESET = _keras_preset("he_normal")


class LecunUniform(_Preset):
    """LeCun uniform: U(-limit, limit), ``limit = sqrt(3 / fan_in)``."""
    _PRESET = _keras_preset("lecun_uniform")


class LecunNormal(_Preset):
    """LeCun normal, truncated as in Keras: stddev ``sqrt(1 / fan_in)``."""
    _PRESET = _keras_preset("lecun_normal")


class RandomUniform(_RandomInitializer):
    """Keras's ``RandomUniform(minval, maxval, seed)``: U[minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Seed = None) -> None:
        self.minval, self.maxval = check_real(minval, "minval"), check_real(maxval, "maxval")
        super().__init__(seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None) -> np.ndarray:
        return uniform(shape, self.minval, self.maxval, dtype=dtype, seed=self.seed)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class RandomNormal(_RandomInitializer):
    """Keras's ``RandomNormal(mean, stddev, seed)``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Seed = None) -> None:
        self.mean, self.stddev = check_real(mean, "mean"), check_nonneg(stddev, "stddev")
        super().__init__(seed)

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None) -> np.ndarray:
        return normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """Keras's ``TruncatedNormal(mean, stddev, seed)``: values beyond two
    standard deviations of the mean excluded (stddev is before truncation)."""

    def __call__(self, shape: ShapeLike, dtype: DTypeLike = None) -> np.ndarray:
        a, b = self.mean - 2 * self.stddev, self.mean + 2 * self.stddev
        if not a < b:  # stddev 0, or below mean's spacing: every value is the mean
            return normal(shape, self.mean, 0.0, dtype=dtype, seed=self.seed)
        return truncated_normal(shape, self.mean, self.stddev, a, b, dtype=dtype, seed=self.seed)


_CLASSES: Dict[str, Type[Initializer]] = {
    cls.__name__: cls for cls in (VarianceScaling, GlorotUniform, GlorotNormal, HeUniform,
                                  HeNormal, LecunUniform, LecunNormal, RandomUniform,
                                  RandomNormal, TruncatedNormal)}
_ALIASES = {"variance_scaling": "VarianceScaling", "random_uniform": "RandomUniform",
            "random_normal": "RandomNormal", "truncated_normal": "TruncatedNormal",
            **{name: p.keras for name, p in PRESETS.items()}}


def serialize(initializer: Initializer) -> Dict[str, Any]:
    """``{"class_name": ..., "config": ...}``, as Keras serializes initializers."""
    if not isinstance(initializer, Initializer):
        raise TypeError(f"initializer must be an Initializer, got {type(initializer).__name__}")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config: Dict[str, Any]) -> Initializer:
    """The initializer that :func:`serialize` described."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"config must be a dict with a 'class_name', got {config!r}")
    name = config["class_name"]
    cls = _CLASSES.get(_ALIASES.get(name, name))
    if cls is None:
        raise ValueError(f"unknown initializer {name!r}; known: {sorted(_CLASSES)}")
    return cls.from_config(config.get("config", {}))


def get(identifier: Union[None, str, Dict[str, Any], Initializer, Callable[..., Any]]) -> Any:
    """An initializer from a name (``"glorot_uniform"`` or ``"GlorotUniform"``),
    a serialized config, an initializer, or any callable (returned as is).

    Examples
    --------
    >>> from xavier import initializers
    >>> initializers.get("he_normal")
    HeNormal(seed=None)
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name not in _CLASSES:
            raise ValueError(f"unknown initializer {identifier!r}; known: "
                             f"{sorted(_CLASSES) + sorted(_ALIASES)}")
        return _CLASSES[name]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"cannot interpret {identifier!r} as an initializer")
