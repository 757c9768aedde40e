"""``torch.nn.init``'s seven samplers on xavier's core, with torch's
arguments, checks and errors."""
from __future__ import annotations

import math
import warnings
from typing import Optional

import torch

from .. import _checks, _core
from .._seeds import SeedLike
from ._errors import (_TORCH_TYPE_NAMES, InitArgumentError, InitOverflowError,
                      InitZeroDivisionError, _normal_std, _real, _uniform_params)
from ._fill import _TYPES, _check_writable, _fill, _fill_normal, _ours, _torch_fans
from ._originals import _TORCH

def uniform_(tensor: torch.Tensor, a: float = 0.0, b: float = 1.0,
             generator: Optional[torch.Generator] = None, *, seed: SeedLike = None,
             threads: Optional[int] = None) -> torch.Tensor:
    """Fill `tensor` with U(a, b) values, as ``torch.nn.init.uniform_``.

    Values lie in [a, b) as the tensor's dtype holds the bounds.  `seed`
    and `threads` are xavier's; see the module's documentation for seeds.

    Examples
    --------
    >>> import torch, xavier.torch
    >>> w = torch.empty(3, 5)
    >>> xavier.torch.uniform_(w, -1.0, 1.0, seed=0) is w
    True
    """
    if not _ours(tensor, "uniform_"):
        return _TORCH["uniform_"](tensor, a, b, generator)
    _fill(tensor, _core.UNIFORM, lambda code: _uniform_params(a, b, code), generator, seed,
          threads)
    return tensor


def normal_(tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Optional[torch.Generator] = None, *, seed: SeedLike = None,
            threads: Optional[int] = None) -> torch.Tensor:
    """Fill `tensor` with N(mean, std**2) values, as ``torch.nn.init.normal_``.

    Examples
    --------
    >>> import torch, xavier.torch
    >>> w = xavier.torch.normal_(torch.empty(1000, 1000), std=0.02, seed=0)
    >>> round(float(w.std()), 3)
    0.02
    """
    if not _ours(tensor, "normal_"):
        return _TORCH["normal_"](tensor, mean, std, generator)
    _fill_normal(tensor, _real(mean, "mean"), _normal_std(std), generator, seed, threads)
    return tensor


def trunc_normal_(tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Optional[torch.Generator] = None, *,
                  seed: SeedLike = None, threads: Optional[int] = None) -> torch.Tensor:
    """Fill `tensor` with N(mean, std**2) values conditioned on [a, b], as
    ``torch.nn.init.trunc_normal_`` (absolute bounds).

    Sampled by inversion (see :func:`xavier.truncated_normal`), so it is
    exact wherever the bounds lie relative to the mean; the interval must hold
    at least 2**-40 of the normal's mass.

    Examples
    --------
    >>> import torch, xavier.torch
    >>> w = xavier.torch.trunc_normal_(torch.empty(256, 256), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool(w.abs().max() <= 0.04)
    True
    """
    if not _ours(tensor, "trunc_normal_"):
        return _TORCH["trunc_normal_"](tensor, mean, std, a, b, generator)
    sd, lo, hi = _real(std, "std"), _real(a, "a"), _real(b, "b")
    if sd == 0:
        raise InitZeroDivisionError("float division by zero: trunc_normal_ divides by std, "
                                    "which is 0")
    if lo > hi:
        raise InitArgumentError(f"trunc_normal_ expects a <= b, but found a={lo:g} > b={hi:g}")
    if lo == hi:   # torch's values: all a
        if not abs(lo) <= _checks.MAX_VALUE[_TYPES[tensor.dtype]]:
            raise InitArgumentError(f"value cannot be converted to type "
                                    f"{_TORCH_TYPE_NAMES[_TYPES[tensor.dtype]]} without overflow")
        _check_writable(tensor)
        with torch.no_grad():
            tensor.fill_(lo)
        return tensor
    _fill(tensor, _core.TRUNCNORM, lambda code: _checks.truncnorm_params(mean, sd, lo, hi, code),
          generator, seed, threads)
    return tensor


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0,
                    generator: Optional[torch.Generator] = None, *, seed: SeedLike = None,
                    threads: Optional[int] = None) -> torch.Tensor:
    """Fill `tensor` with U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``,
    as ``torch.nn.init.xavier_uniform_`` (torch's fans: ``(out, in, *kernel)``).

    Examples
    --------
    >>> import torch, xavier.torch
    >>> w = torch.empty(256, 784)
    >>> xavier.torch.xavier_uniform_(w, gain=xavier.calculate_gain("tanh"), seed=0) is w
    True
    """
    if not _ours(tensor, "xavier_uniform_"):
        return _TORCH["xavier_uniform_"](tensor, gain, generator)
    fan_in, fan_out = _torch_fans(tensor)
    std = _real(gain, "gain") * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    _fill(tensor, _core.UNIFORM, lambda code: _uniform_params(-a, a, code), generator, seed,
          threads)
    return tensor


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0,
                   generator: Optional[torch.Generator] = None, *, seed: SeedLike = None,
                   threads: Optional[int] = None) -> torch.Tensor:
    """Fill `tensor` with N(0, std**2), ``std = gain * sqrt(2 / (fan_in + fan_out))``,
    as ``torch.nn.init.xavier_normal_``.

    Examples
    --------
    >>> import torch, xavier.torch
    >>> w = xavier.torch.xavier_normal_(torch.empty(64, 32, 3, 3), seed=0)
    >>> w.shape
    torch.Size([64, 32, 3, 3])
    """
    if not _ours(tensor, "xavier_normal_"):
        return _TORCH["xavier_normal_"](tensor, gain, generator)
    fan_in, fan_out = _torch_fans(tensor)
    std = _real(gain, "gain") * math.sqrt(2.0 / float(fan_in + fan_out))
    _fill_normal(tensor, 0.0, _normal_std(std), generator, seed, threads)
    return tensor


def _kaiming_std(tensor: torch.Tensor, a: float, mode: str, nonlinearity: str) -> Optional[float]:
    """torch's kaiming std, or None for a zero-element tensor (after torch's warning)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _torch_fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    # torch's own gain: its errors and its NaN for a NaN slope (which the fill
    # then refuses as torch does), where xavier.calculate_gain refuses the slope
    try:
        gain = torch.nn.init.calculate_gain(nonlinearity, a)  # type: ignore[arg-type]
    except OverflowError as e:
        raise InitOverflowError(f"{e} (kaiming's gain squares negative_slope={a!r})") from None
    return gain / math.sqrt(fan)


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Optional[torch.Generator] = None, *, seed: SeedLike = None,
                     threads: Optional[int] = None) -> torch.Tensor:
    """Fill `tensor` with U(-bound, bound), ``bound = gain * sqrt(3 / fan_mode)``,
    as ``torch.nn.init.kaiming_uniform_`` (what ``nn.Linear`` and ``nn.Conv*d``
    use, with ``a=sqrt(5)``).

    Examples
    --------
    >>> import math, torch, xavier.torch
    >>> w = xavier.torch.kaiming_uniform_(torch.empty(128, 64), a=math.sqrt(5), seed=0)
    >>> bool(w.abs().max() < 1 / math.sqrt(64))
    True
    """
    if not _ours(tensor, "kaiming_uniform_"):
        return _TORCH["kaiming_uniform_"](tensor, a, mode, nonlinearity, generator)
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    _fill(tensor, _core.UNIFORM, lambda code: _uniform_params(-bound, bound, code), generator,
          seed, threads)
    return tensor


def kaiming_normal_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Optional[torch.Generator] = None, *, seed: SeedLike = None,
                    threads: Optional[int] = None) -> torch.Tensor:
    """Fill `tensor` with N(0, std**2), ``std = gain / sqrt(fan_mode)``, as
    ``torch.nn.init.kaiming_normal_``.

    Examples
    --------
    >>> import torch, xavier.torch
    >>> w = xavier.torch.kaiming_normal_(torch.empty(512, 512), nonlinearity="relu", seed=0)
    >>> round(float(w.std() * 512 ** 0.5 / 2 ** 0.5), 2)
    1.0
    """
    if not _ours(tensor, "kaiming_normal_"):
        return _TORCH["kaiming_normal_"](tensor, a, mode, nonlinearity, generator)
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    _fill_normal(tensor, 0.0, _normal_std(std), generator, seed, threads)
    return tensor


