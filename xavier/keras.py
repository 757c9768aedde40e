"""Keras 3 initializers on xavier's sampler (optional extra: ``pip install 'xavier-init[keras]'``).

The classes of :mod:`xavier.initializers`, as real Keras initializers:
``GlorotUniform``, ``GlorotNormal``, ``HeUniform``, ``HeNormal``,
``LecunUniform``, ``LecunNormal`` and ``VarianceScaling`` subclass Keras's
classes of the same names (so ``keras.initializers.VarianceScaling``:
``EinsumDense`` and ``MultiHeadAttention`` give them the fan axes of their
kernels, as they do Keras's own), and ``RandomUniform``, ``RandomNormal``
and ``TruncatedNormal`` subclass Keras's.  Their arguments, checks,
formulas and ``get_config()`` are Keras's; their values are xavier's (the
values of :mod:`xavier.initializers` with the same seed), handed to the
backend as ``keras.ops.convert_to_tensor(values, dtype)``.  They are
registered with ``keras.saving.register_keras_serializable(package="xavier")``:
a ``.keras`` file saved with them loads back as these classes in any process
that has imported ``xavier.keras``.  ``Orthogonal``, ``Constant``,
``Identity``, ``Ones`` and ``Zeros`` are Keras's own.

Seeds, as in Keras 3:

* an int (non-negative), or ``None`` (the initializer then picks an int
  when it is made, from Python's :mod:`random`, as Keras does: so
  ``keras.utils.set_random_seed`` makes it reproducible): the same values on
  every call; ``from_config`` of an unseeded initializer's config picks anew;
* a ``numpy.random.SeedSequence``: the same values on every call; its
  config is ``{"entropy": ..., "spawn_key": [...], "pool_size": ...}``;
* a ``keras.random.SeedGenerator``: new values on every call.  Each call
  draws the generator once, as Keras's own initializers do
  (``seed_generator.next()``, a pair ``[a, b]`` of 32-bit words, ``b``
  counting the draws), and uses the int seed ``a + 2**32 * b`` (the words
  read as unsigned): the first draw of ``SeedGenerator(7)`` gives the values
  of ``seed=7``.

Values are drawn eagerly (NumPy first), so call the initializers outside
``jax.jit`` and other tracing, as Keras does when it builds layers.

Examples
--------
>>> import os
>>> _ = os.environ.setdefault("KERAS_BACKEND", "jax")   # before importing keras
>>> import numpy as np, keras, xavier.keras
>>> init = xavier.keras.GlorotUniform(seed=7)
>>> isinstance(init, keras.initializers.VarianceScaling)
True
>>> w = keras.ops.convert_to_numpy(init((64, 32)))
>>> np.array_equal(w, xavier.initializers.GlorotUniform(seed=7)((64, 32)))
True
"""
from __future__ import annotations

import importlib
import numbers
import random
from typing import Any, Dict, List, Optional, Type, Union

import numpy as np

try:
    keras: Any = importlib.import_module("keras")
except ModuleNotFoundError as _e:
    if _e.name != "keras":
        raise
    raise ModuleNotFoundError("xavier.keras needs Keras 3: pip install 'xavier-init[keras]'",
                              name="keras") from None
if not hasattr(keras, "ops"):     # Keras 2 (tf.keras)
    raise ImportError(f"xavier.keras needs Keras 3, found Keras {keras.__version__}: "
                      "pip install 'xavier-init[keras]'")

from . import initializers as _np_inits  # noqa: E402

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
           "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "Zeros", "deserialize", "draw_seed", "get",
           "serialize"]

_K: Any = keras.initializers
SeedGenerator: Any = keras.random.SeedGenerator
Seed = Union[None, int, np.random.SeedSequence, Any]

_KERAS_VarianceScaling: Any = _K.VarianceScaling
_KERAS_RandomUniform: Any = _K.RandomUniform
_KERAS_RandomNormal: Any = _K.RandomNormal
_KERAS_TruncatedNormal: Any = _K.TruncatedNormal

# Keras's own, for the initializers xavier has no sampler of its own for
Orthogonal: Any = _K.Orthogonal
Constant: Any = _K.Constant
Identity: Any = _K.Identity
Ones: Any = _K.Ones
Zeros: Any = _K.Zeros

_FLOATS = ("float32", "float64", "float16", "bfloat16")


def _seed_to_config(seed: Seed) -> Any:
    """A seed as it is stored in a config (JSON): None, an int, a SeedSequence's
    entropy/spawn_key/pool_size, or a SeedGenerator serialized by Keras."""
    if isinstance(seed, np.random.SeedSequence):
        entropy: Any = seed.entropy
        if entropy is not None and not isinstance(entropy, (numbers.Integral, np.integer)):
            entropy = [int(e) for e in entropy]
        elif entropy is not None:
            entropy = int(entropy)
        return {"entropy": entropy, "spawn_key": [int(k) for k in seed.spawn_key],
                "pool_size": int(seed.pool_size)}
    if isinstance(seed, SeedGenerator):
        return keras.saving.serialize_keras_object(seed)
    return seed


def _seed_from_config(seed: Any) -> Seed:
    """The seed that :func:`_seed_to_config` stored (a seed passes as is)."""
    if not isinstance(seed, dict):
        return seed
    if "entropy" in seed:
        return np.random.SeedSequence(seed["entropy"], spawn_key=tuple(seed.get("spawn_key", ())),
                                      pool_size=seed.get("pool_size", 4))
    if seed.get("class_name") == "SeedSequence":      # xavier.initializers' form
        return _np_inits._seed_from_config(seed)
    return keras.saving.deserialize_keras_object(seed)


def _check_seed(seed: Seed) -> Seed:
    """`seed` checked: None, a non-negative int, a SeedSequence or a SeedGenerator."""
    if seed is None or isinstance(seed, (np.random.SeedSequence, SeedGenerator)):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError("seed must be None, a non-negative int, a numpy SeedSequence or a "
                        f"keras.random.SeedGenerator, got {type(seed).__name__}")
    if int(seed) < 0:
        raise ValueError(f"seed must be non-negative, got {int(seed)}")
    return int(seed)


def draw_seed(seed: Seed) -> Union[int, np.random.SeedSequence]:
    """The xavier seed of one call of an initializer seeded with `seed`.

    An int or a SeedSequence is its own; a ``keras.random.SeedGenerator`` is
    drawn once (``seed.next()``, as Keras's initializers draw it), and its pair
    of 32-bit words ``[a, b]`` (read as unsigned) gives ``a + 2**32 * b``.

    Examples
    --------
    >>> import os
    >>> _ = os.environ.setdefault("KERAS_BACKEND", "jax")
    >>> import keras, xavier.keras
    >>> gen = keras.random.SeedGenerator(7)
    >>> xavier.keras.draw_seed(gen), xavier.keras.draw_seed(gen) == 7 + 2**32
    (7, True)
    """
    if isinstance(seed, SeedGenerator):
        words = np.asarray(keras.ops.convert_to_numpy(seed.next())).astype(np.int64).ravel()
        a, b = (int(w) & 0xFFFFFFFF for w in words[:2])
        return a + (b << 32)
    if seed is None:
        raise TypeError("seed must not be None here")
    return seed


def _dtype(dtype: Any) -> str:
    name: str = keras.backend.standardize_dtype(dtype if dtype is not None
                                                else keras.config.floatx())
    if name not in _FLOATS:
        raise ValueError(f"xavier.keras initializers make floating-point weights "
                         f"({', '.join(_FLOATS)}), got dtype {name}")
    return name


class _XavierInitializer:
    """What xavier's Keras initializers share: the seed, the call, the config.

    A subclass names its NumPy twin in xavier.initializers (`_NUMPY`) and the
    arguments of that twin other than the seed (`_args`)."""

    _NUMPY: Any   # the class in xavier.initializers
    _init_seed: Seed
    seed: Seed

    def _set_seed(self, seed: Seed) -> None:
        seed = _check_seed(_seed_from_config(seed))
        self._init_seed = seed
        # as Keras: an unseeded initializer picks its seed once, here, from Python's
        # random module (which keras.utils.set_random_seed seeds)
        self.seed = random.getrandbits(64) if seed is None else seed

    def _args(self) -> Dict[str, Any]:
        raise NotImplementedError

    def _twin(self, seed: Seed) -> Any:
        return self._NUMPY(seed=seed, **self._args())

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        name = _dtype(dtype)
        values = self._twin(draw_seed(self.seed))(tuple(shape), dtype=name)
        return keras.ops.convert_to_tensor(values, dtype=name)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": _seed_to_config(self._init_seed), **self._args()}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> Any:
        return cls(**config)

    def __repr__(self) -> str:
        config = self.get_config()
        args = ", ".join(f"{k}={v!r}" for k, v in config.items() if v is not None or k == "seed")
        return f"{type(self).__name__}({args})"


_register = keras.saving.register_keras_serializable(package="xavier")


@_register
class VarianceScaling(_XavierInitializer, _KERAS_VarianceScaling):  # type: ignore[misc]
    """Keras's ``VarianceScaling(scale, mode, distribution, seed, input_axes, output_axes)``
    on xavier's sampler (see :class:`xavier.initializers.VarianceScaling`)."""

    _NUMPY: Any = _np_inits.VarianceScaling

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Seed = None,
                 input_axes: Optional[List[int]] = None,
                 output_axes: Optional[List[int]] = None) -> None:
        checked = _np_inits.VarianceScaling(scale, mode, distribution, seed=0,
                                            input_axes=input_axes, output_axes=output_axes)
        self.scale, self.mode = checked.scale, checked.mode
        self.distribution = checked.distribution
        self.input_axes, self.output_axes = checked.input_axes, checked.output_axes
        self._set_seed(seed)

    def _args(self) -> Dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _preset(name: str, keras_cls: Any, numpy_cls: Type[_np_inits.Initializer]) -> Any:
    scale, mode, distribution = _np_inits._keras_preset(name)

    class Preset(VarianceScaling, keras_cls):  # type: ignore[misc]
        _NUMPY = numpy_cls

        def __init__(self, seed: Seed = None, input_axes: Optional[List[int]] = None,
                     output_axes: Optional[List[int]] = None) -> None:
            super().__init__(scale, mode, distribution, seed=seed, input_axes=input_axes,
                             output_axes=output_axes)

        def _args(self) -> Dict[str, Any]:
            return {"input_axes": self.input_axes, "output_axes": self.output_axes}

    Preset.__name__ = Preset.__qualname__ = numpy_cls.__name__
    Preset.__module__ = __name__
    Preset.__doc__ = (f"{numpy_cls.__doc__}\n\n    A ``keras.initializers.{numpy_cls.__name__}`` "
                      "on xavier's sampler: arguments ``(seed=None, input_axes=None, "
                      "output_axes=None)``.")
    return _register(Preset)


GlorotUniform: Any = _preset("glorot_uniform", _K.GlorotUniform, _np_inits.GlorotUniform)
GlorotNormal: Any = _preset("glorot_normal", _K.GlorotNormal, _np_inits.GlorotNormal)
HeUniform: Any = _preset("he_uniform", _K.HeUniform, _np_inits.HeUniform)
HeNormal: Any = _preset("he_normal", _K.HeNormal, _np_inits.HeNormal)
LecunUniform: Any = _preset("lecun_uniform", _K.LecunUniform, _np_inits.LecunUniform)
LecunNormal: Any = _preset("lecun_normal", _K.LecunNormal, _np_inits.LecunNormal)


@_register
class RandomUniform(_XavierInitializer, _KERAS_RandomUniform):  # type: ignore[misc]
    """Keras's ``RandomUniform(minval, maxval, seed)`` on xavier's sampler: U[minval, maxval)."""

    _NUMPY: Any = _np_inits.RandomUniform

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Seed = None) -> None:
        checked = self._NUMPY(minval, maxval, seed=0)
        self.minval, self.maxval = checked.minval, checked.maxval
        self._set_seed(seed)

    def _args(self) -> Dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval}


@_register
class RandomNormal(_XavierInitializer, _KERAS_RandomNormal):  # type: ignore[misc]
    """Keras's ``RandomNormal(mean, stddev, seed)`` on xavier's sampler."""

    _NUMPY: Any = _np_inits.RandomNormal

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Seed = None) -> None:
        checked = self._NUMPY(mean, stddev, seed=0)
        self.mean, self.stddev = checked.mean, checked.stddev
        self._set_seed(seed)

    def _args(self) -> Dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev}


@_register
class TruncatedNormal(_XavierInitializer, _KERAS_TruncatedNormal):  # type: ignore[misc]
    """Keras's ``TruncatedNormal(mean, stddev, seed)`` on xavier's sampler: values
    beyond two standard deviations of the mean excluded (stddev is before truncation)."""

    _NUMPY: Any = _np_inits.TruncatedNormal
    __init__ = RandomNormal.__init__
    _args = RandomNormal._args


_CLASSES: Dict[str, Any] = {
    cls.__name__: cls for cls in (VarianceScaling, GlorotUniform, GlorotNormal, HeUniform,
                                  HeNormal, LecunUniform, LecunNormal, RandomUniform,
                                  RandomNormal, TruncatedNormal)}
_ALIASES: Dict[str, str] = {k: v for k, v in _np_inits._ALIASES.items() if v in _CLASSES}


def _xavier_class(name: Any) -> Optional[Any]:
    if not isinstance(name, str):
        return None
    return _CLASSES.get(_ALIASES.get(name, name))


def serialize(initializer: Any) -> Any:
    """Keras's ``keras.initializers.serialize`` (the config names the class's module)."""
    return _K.serialize(initializer)


def deserialize(config: Any, custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """An initializer from a config: the classes xavier has (by ``class_name``,
    ``"GlorotUniform"`` or ``"glorot_uniform"``) are xavier's, others Keras's."""
    if isinstance(config, dict):
        cls = _xavier_class(config.get("class_name"))
        registered = config.get("registered_name")
        if isinstance(registered, str) and ">" in registered and \
                not registered.startswith("xavier>"):
            cls = None          # another package's class of the same name
        if cls is not None:
            return cls.from_config(dict(config.get("config") or {}))
    return _K.deserialize(config, custom_objects=custom_objects)


def get(identifier: Any) -> Any:
    """An initializer from a name, a config, an initializer or a callable, as
    ``keras.initializers.get``, but with xavier's classes for the names it has.

    Examples
    --------
    >>> import os
    >>> _ = os.environ.setdefault("KERAS_BACKEND", "jax")
    >>> import xavier.keras
    >>> type(xavier.keras.get("he_normal")).__module__
    'xavier.keras'
    """
    cls = _xavier_class(identifier)
    if cls is not None:
        return cls()
    if isinstance(identifier, dict) and _xavier_class(identifier.get("class_name")) is not None:
        return deserialize(identifier)
    return _K.get(identifier)

