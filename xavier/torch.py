"""PyTorch drop-ins: ``torch.nn.init``'s samplers on xavier's parallel core.

``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``,
``kaiming_normal_``, ``uniform_``, ``normal_`` and ``trunc_normal_`` take the
arguments of their ``torch.nn.init`` namesakes, fill CPU tensors (float32,
float64, float16, bfloat16; any strides) in place through their own memory,
under ``torch.no_grad()``, and return the tensor.  The values follow torch's
formulas (fans, gains, bounds) and xavier's stream, so they are not torch's
values, but they are reproducible in the same way:

* with ``generator=g``, the seed is drawn from `g` (two 63-bit integers, by
  ``random_``), so ``g.manual_seed(s)`` makes a run repeat;
* with no generator, from torch's default CPU generator, so
  ``torch.manual_seed(s)`` makes a whole model's initialization repeat;
* with ``seed=`` (an xavier extension, keyword-only), from that seed alone.

Tensors this module cannot fill (other devices, other dtypes, tensor
subclasses that override torch functions) go to torch's own function; for a
device other than the CPU a warning says so, once per device type.

``fast_init()`` makes every ``torch.nn.init`` call made while building a
model use these, and ``init_(module, scheme)`` re-initializes a built one.
torch is imported with this module, not with ``xavier``.
"""
from __future__ import annotations

import contextlib
import functools
import math
import threading
import types
import warnings
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple,
                    Union, cast)

import numpy as np

try:
    import torch
except ModuleNotFoundError as _e:
    if _e.name != "torch":
        raise
    raise ModuleNotFoundError(
        "xavier.torch needs PyTorch: pip install 'xavier-init[torch]' (CPU-only machines: "
        "PyTorch's CPU wheel, pip install torch --index-url "
        "https://download.pytorch.org/whl/cpu)", name="torch") from None

from . import _checks, _core, _request
from ._seeds import SeedLike, as_seed_sequence, named_seed, seed_key
from ._fans import compute_fans
from ._presets import PRESETS, check_truncated, scaled_dist

if TYPE_CHECKING:
    import os

    from ._checkpoint import Checkpoint

__all__ = ["InitArgumentError", "InitOverflowError", "InitZeroDivisionError", "fast_init",
           "init_", "save_init",
           "kaiming_normal_", "kaiming_uniform_", "normal_", "trunc_normal_", "uniform_",
           "xavier_normal_", "xavier_uniform_"]

# The core's output type of each torch dtype; bfloat16 tensors are written as
# their bits through an int16 view, so no ml_dtypes is needed.
_TYPES = {torch.float32: _core.F32, torch.float64: _core.F64, torch.float16: _core.F16,
          torch.bfloat16: _core.BF16}

# torch's function objects (torch.nn.init.<name>, and whatever else holds
# them); fast_init swaps their code.  _TORCH: copies with torch's own code,
# which run torch's function whether or not a fast_init block is active.
_NAMES = ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
          "kaiming_uniform_", "kaiming_normal_")
# torch.nn.init's other samplers: torch's inside fast_init too, but a build
# that save_init records computes them on the CPU (torch's code skips meta
# tensors, where the build on the CPU would draw values).
_TORCH_ONLY = ("orthogonal_", "sparse_", "eye_", "dirac_")
_FUNCTIONS: Dict[str, Callable[..., torch.Tensor]] = {
    name: getattr(torch.nn.init, name) for name in _NAMES + _TORCH_ONLY}


def _copy_function(fn: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """A function of its own with `fn`'s code, globals, defaults and attributes."""
    f = cast(types.FunctionType, fn)
    copy = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)
    copy.__kwdefaults__ = dict(f.__kwdefaults__) if f.__kwdefaults__ else None
    copy.__dict__.update(f.__dict__)
    for attr in ("__module__", "__qualname__", "__doc__", "__annotations__"):
        setattr(copy, attr, getattr(f, attr))
    return copy


_TORCH: Dict[str, Callable[..., torch.Tensor]] = {
    name: _copy_function(fn) for name, fn in _FUNCTIONS.items()}

_warned_devices: Set[str] = set()
_warn_lock = threading.Lock()


# ---- filling a tensor -----------------------------------------------------------

def _draw_seed(generator: Optional[torch.Generator]) -> int:
    """126 bits from `generator` (or torch's default CPU generator): two
    63-bit draws of ``random_`` on an int64 tensor, into a buffer of this
    thread's (a new tensor per call would cost as much as a small fill)."""
    g = torch.default_generator if generator is None else generator
    try:
        words = _seed_words.tensor
    except AttributeError:
        # (on the CPU whatever device a surrounding torch.device block sets)
        words = _seed_words.tensor = torch.empty(2, dtype=torch.int64, device="cpu")
        _seed_words.array = words.numpy()
    words.random_(generator=g)
    drawn: List[int] = _seed_words.array.tolist()
    return (drawn[0] << 63) | drawn[1]


_seed_words = threading.local()

# torch.autograd.graph.increment_version's own call, without its wrapper's
# isinstance test (a tenth of a small fill); the public function where absent.
_increment_version: Callable[[Tuple[torch.Tensor, ...]], None] = getattr(
    torch._C, "_increment_version", torch.autograd.graph.increment_version)


_has_torch_function = torch.overrides.has_torch_function_variadic
# Tensor types that do not override torch functions (an active
# TorchFunctionMode, such as a torch.device block, does not send these to torch)
_PLAIN = (torch.Tensor, torch.nn.Parameter)


def _ours(tensor: object, name: str) -> bool:
    """True if this module fills `tensor`; False sends it to torch's function."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.is_meta and _local.recorder is not None and _local.depth > 0:
        # a build recorded by save_init: meta tensors stand for CPU ones
        return type(tensor) in _PLAIN and tensor.dtype in _TYPES and not tensor.is_neg()
    if (type(tensor) not in _PLAIN and _has_torch_function(tensor)) \
            or tensor.layout is not torch.strided:
        return False
    if not tensor.is_cpu:
        with _warn_lock:
            first = tensor.device.type not in _warned_devices
            _warned_devices.add(tensor.device.type)
        if first:
            warnings.warn(f"xavier.torch fills CPU tensors only; {name} on a tensor on "
                          f"'{tensor.device.type}' uses torch.nn.init.{name} (warned once)",
                          stacklevel=3)
        return False
    # (a negative view's memory holds minus its values; only complex tensors
    # can carry the conjugate bit, and _TYPES has none)
    return tensor.dtype in _TYPES and not tensor.is_neg()


def _check_writable(tensor: torch.Tensor) -> None:
    """Raise where torch's own in-place ops refuse to write `tensor` (called
    before any seed is drawn or anything is written)."""
    if tensor.is_inference() and not torch.is_inference_mode_enabled():
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                           "allowed: xavier.torch writes a tensor created under "
                           "torch.inference_mode() only inside inference_mode, as torch does. "
                           "clone() it first to get a normal tensor.")
    if not tensor.is_contiguous() and \
            any(st == 0 and n > 1 for st, n in zip(tensor.stride(), tensor.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")


def _numpy_view(tensor: torch.Tensor) -> np.ndarray:
    """A NumPy array on the tensor's own memory (bfloat16 as int16 bits)."""
    t = tensor.detach()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy()


def _write(tensor: torch.Tensor, kind: int, params: Tuple[float, ...], key: np.ndarray,
           nthreads: int) -> None:
    """Write the stream into the memory of `tensor` (passed by _check_writable).

    Every in-place write of this module goes through here.  It bypasses
    torch, so it then bumps the tensor's version counter (shared with its
    views and its base) as torch's in-place ops do: autograd then refuses a
    backward through a graph that saved the old values, instead of silently
    using the new ones.  Inference tensors have no counter; torch skips them.
    A meta tensor in a build that save_init records gets its stream recorded.

    A contiguous, aligned tensor is written at its address (a NumPy view
    costs more than filling a bias-sized tensor), others through a view."""
    if tensor.is_meta:
        recorder = _local.recorder
        assert recorder is not None   # (_ours takes meta tensors only then)
        recorder.fill(tensor, kind, params, key,
                      lambda cpu: _write(cpu, kind, params, key, nthreads))
        return
    address = tensor.data_ptr()
    if tensor.is_contiguous() and address % tensor.element_size() == 0:
        _core.fill_address(address, tensor.numel(), key, kind, params, nthreads)
    else:
        _request.fill(_numpy_view(tensor), kind, params, key, nthreads)
    _increment_version((tensor,))


# ---- torch's errors ----------------------------------------------------------------
#
# Code written for torch.nn.init catches what torch raises: RuntimeError for
# bad bounds and standard deviations (from its C++ checks), ZeroDivisionError
# for trunc_normal_'s std=0.  This module raises classes that are both that
# type and ValueError (what xavier's other functions raise), with torch's
# messages where torch has one.

class InitArgumentError(RuntimeError, ValueError):
    """A bad argument of an ``xavier.torch`` initializer: a RuntimeError, as
    ``torch.nn.init`` raises for it, and a ValueError, as xavier raises."""


class InitZeroDivisionError(ZeroDivisionError, ValueError):
    """``trunc_normal_`` with ``std=0``: torch divides by the std and raises
    ZeroDivisionError; this is one, and a ValueError."""


class InitOverflowError(OverflowError, ValueError):
    """A ``kaiming_*`` slope whose square overflows: torch's gain raises
    OverflowError; this is one, and a ValueError."""


# torch's names of the dtypes in its messages (C++ type names)
_TORCH_TYPE_NAMES = {_core.F32: "float", _core.F64: "double", _core.F16: "c10::Half",
                     _core.BF16: "c10::BFloat16"}


def _uniform_params(a: object, b: object, code: int) -> Tuple[float, float]:
    """(a, b) of U[a, b) checked as ``torch.Tensor.uniform_`` checks them."""
    lo, hi = _real(a, "a"), _real(b, "b")
    top = _checks.MAX_VALUE[code]
    if not -top <= lo <= top:
        raise InitArgumentError(f"from is out of bounds for {_TORCH_TYPE_NAMES[code]}")
    if not -top <= hi <= top:
        raise InitArgumentError(f"to is out of bounds for {_TORCH_TYPE_NAMES[code]}")
    if lo > hi:
        raise InitArgumentError(f"uniform_ expects to return a [from, to) range, but found "
                                f"from={lo:g} > to={hi:g}")
    if hi - lo > _checks.COMPUTE_MAX[code]:
        raise InitArgumentError(
            f"uniform_ expects to-from <= std::numeric_limits<{_TORCH_TYPE_NAMES[code]}>::max(), "
            f"but found to={hi:g} and from={lo:g} which result in to-from to exceed the limit")
    return lo, hi   # (what _checks.uniform_params checks, in torch's words)


def _real(value: object, name: str) -> float:
    return value if type(value) is float else _checks.as_real(value, name)


def _normal_std(std: object) -> float:
    """`std` checked as ``torch.Tensor.normal_`` checks it (>= 0, not NaN)."""
    sd = _real(std, "std")
    if not sd >= 0.0:
        raise InitArgumentError(f"normal expects std >= 0.0, but found std {sd:g}")
    return sd


def _fill_normal(tensor: torch.Tensor, mean: float, std: float,
                 generator: Optional[torch.Generator], seed: SeedLike,
                 threads: Optional[int]) -> None:
    """N(mean, std**2) values into `tensor`.  A mean or std that the sampler
    cannot take (an infinite or NaN mean, an infinite std, values beyond the
    dtype) gets torch's arithmetic instead, mean + std * z on a standard
    normal z: infinities and NaNs where torch gives them."""
    if _checks.normal_fits(mean, std, _TYPES[tensor.dtype]):
        _fill(tensor, _core.NORMAL, lambda code: (mean, std), generator, seed, threads)
        return
    # as torch's kernel computes: a fused multiply-add in float32 (float64 for
    # float64 tensors) on the parameters rounded to it, then rounded to the
    # tensor's dtype.  A float32 z times a float32 std is exact in float64, so
    # there the float64 sum rounds once, as the fused operation does.
    opmath = np.float64 if tensor.dtype == torch.float64 else np.float32
    with np.errstate(over="ignore"):
        mean_c, std_c = float(opmath(mean)), float(opmath(std))
    z = torch.empty(tensor.shape, dtype=torch.float64 if opmath is np.float64 else torch.float32)
    _fill(z, _core.NORMAL, lambda code: (0.0, 1.0), generator, seed, threads)
    _check_writable(tensor)
    with torch.no_grad():
        tensor.copy_(z.double().mul_(std_c).add_(mean_c))


def _fill(tensor: torch.Tensor, dist: int, params_of: _checks.ParamsOf,
          generator: Optional[torch.Generator], seed: SeedLike, threads: Optional[int]) -> None:
    """Check everything, then write the stream into the tensor's memory."""
    code = _TYPES[tensor.dtype]
    try:
        params = params_of(code)
    except ValueError as e:
        if isinstance(e, InitArgumentError):
            raise
        raise InitArgumentError(str(e)) from None
    nthreads = _checks.check_threads(threads)
    if generator is not None and seed is not None:
        raise ValueError("give generator or seed, not both")
    _check_writable(tensor)
    # the seed last: a call that fails leaves the generator as it was
    key = seed_key(seed) if seed is not None else _core.int_seed_key(_draw_seed(generator))
    _write(tensor, _request.stream_kind(dist, code), params, key, nthreads)


def _torch_fans(tensor: torch.Tensor) -> Tuple[int, int]:
    return compute_fans(tuple(tensor.shape), "torch")


# ---- the torch.nn.init functions ------------------------------------------------------

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


def _torch_only(name: str) -> Callable[..., torch.Tensor]:
    """torch.nn.init.<name> inside fast_init: torch's function (on a meta
    tensor of a recorded build, run on the CPU tensor it stands for)."""
    original = _TORCH[name]

    def run(tensor: torch.Tensor, *args: Any, threads: Optional[int] = None,
            **kwargs: Any) -> torch.Tensor:
        recorder = _local.recorder
        if recorder is not None and isinstance(tensor, torch.Tensor) and tensor.is_meta:
            result: torch.Tensor = recorder.call_on_cpu(original, name, (tensor, *args), kwargs)
            return result
        return original(tensor, *args, **kwargs)

    return run


_OURS: Dict[str, Callable[..., torch.Tensor]] = {
    "uniform_": uniform_, "normal_": normal_, "trunc_normal_": trunc_normal_,
    "xavier_uniform_": xavier_uniform_, "xavier_normal_": xavier_normal_,
    "kaiming_uniform_": kaiming_uniform_, "kaiming_normal_": kaiming_normal_,
    **{name: _torch_only(name) for name in _TORCH_ONLY}}


# ---- fast_init ---------------------------------------------------------------------------

class _Local(threading.local):
    depth = 0
    threads: Optional[int] = None
    recorder: Any = None     # the _record.Recorder of a save_init build in this thread


_local = _Local()
_patch_lock = threading.Lock()
_patch_users = 0
_swapped: List[str] = []   # names of the functions whose code is the trampoline now


def _dispatcher(name: str) -> Callable[..., torch.Tensor]:
    """Where torch.nn.init.<name> leads inside fast_init: xavier's function in
    a thread inside fast_init(), torch's everywhere else."""
    original = _TORCH[name]
    ours = _OURS[name]

    @functools.wraps(original)
    def dispatch(*args: Any, **kwargs: Any) -> torch.Tensor:
        if _local.depth > 0:
            if _local.threads is not None:
                kwargs.setdefault("threads", _local.threads)
            return ours(*args, **kwargs)
        return original(*args, **kwargs)

    return dispatch


_DISPATCH = {name: _dispatcher(name) for name in _FUNCTIONS}

# The trampolines: code that calls _DISPATCH[name], found under _HOOK in the
# globals of torch's function (torch.nn.init's, for the time of the block),
# since a function's code reaches nothing else without a closure.
_HOOK = "__xavier_fast_init__"


def _trampoline(name: str) -> types.CodeType:
    source = f"def {name}(*args, **kwargs):\n    return {_HOOK}[{name!r}](*args, **kwargs)\n"
    namespace: Dict[str, Any] = {}
    exec(compile(source, f"<xavier.torch.fast_init: {name}>", "exec"), namespace)
    code: types.CodeType = namespace[name].__code__
    return code


_TRAMPOLINES = {name: _trampoline(name) for name in _FUNCTIONS}


# Tensor methods that model code calls directly (e.g. Hugging Face models'
# ``module.weight.data.normal_(mean=0.0, std=0.02)``), and their originals.
_TENSOR_TORCH: Dict[str, Callable[..., torch.Tensor]] = {
    "normal_": torch.Tensor.normal_, "uniform_": torch.Tensor.uniform_}
_TENSOR_OWN = {name: name in torch.Tensor.__dict__ for name in _TENSOR_TORCH}  # else inherited


def _method_ours(tensor: torch.Tensor, name: str) -> bool:
    """Inside fast_init: True if xavier fills `tensor` for Tensor.<name>.  An
    in-place fill that autograd would record, or reject (a leaf requiring
    grad), stays torch's, as do tensors :func:`_ours` declines."""
    if _local.depth == 0:
        return False
    if tensor.requires_grad and torch.is_grad_enabled():
        return False
    return _ours(tensor, f"Tensor.{name}")


def _tensor_normal_(self: torch.Tensor, mean: float = 0.0, std: float = 1.0, *,
                    generator: Optional[torch.Generator] = None) -> torch.Tensor:
    if not _method_ours(self, "normal_"):
        return _TENSOR_TORCH["normal_"](self, mean, std, generator=generator)
    return normal_(self, mean, std, generator, threads=_local.threads)


def _tensor_uniform_(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Tensor.uniform_(from=0, to=1, *, generator=None) ("from" is a keyword)."""
    names = ("from", "to")
    bounds = dict(zip(names, args))
    known = len(args) <= 2 and not set(kwargs) - {"from", "to", "generator"} \
        and not set(bounds) & set(kwargs)
    if not known or not _method_ours(self, "uniform_"):
        return _TENSOR_TORCH["uniform_"](self, *args, **kwargs)
    bounds.update((k, kwargs[k]) for k in names if k in kwargs)
    return uniform_(self, bounds.get("from", 0.0), bounds.get("to", 1.0), kwargs.get("generator"),
                    threads=_local.threads)


_TENSOR_DISPATCH: Dict[str, Callable[..., torch.Tensor]] = {
    "normal_": _tensor_normal_, "uniform_": _tensor_uniform_}
for _name, _fn in _TENSOR_DISPATCH.items():
    functools.update_wrapper(_fn, _TENSOR_TORCH[_name])


def _install() -> None:
    """Make torch's init functions, and the methods Tensor.normal_ / uniform_,
    lead to the dispatchers.

    The functions keep their identity and get a trampoline's code, so every
    reference to them dispatches: ``torch.nn.init.<name>``, names bound by
    ``from torch.nn.init import xavier_uniform_`` (as torch's own
    MultiheadAttention does) and tables (Hugging Face's
    ``TORCH_INIT_FUNCTIONS``), at a cost independent of how much is loaded.
    A function whose code someone else changed is left alone."""
    for method, fn in _TENSOR_DISPATCH.items():
        if getattr(torch.Tensor, method) is _TENSOR_TORCH[method]:
            setattr(torch.Tensor, method, fn)
    for name, fn in _FUNCTIONS.items():
        f = cast(types.FunctionType, fn)
        if f.__code__ is _TORCH[name].__code__:
            f.__globals__[_HOOK] = _DISPATCH
            f.__code__ = _TRAMPOLINES[name]
            _swapped.append(name)


def _uninstall() -> None:
    """Give torch's functions their code back and the Tensor methods their
    own (only where xavier's are still in place)."""
    while _swapped:
        name = _swapped.pop()
        f = cast(types.FunctionType, _FUNCTIONS[name])
        if f.__code__ is _TRAMPOLINES[name]:
            f.__code__ = _TORCH[name].__code__
    for fn in _FUNCTIONS.values():
        cast(types.FunctionType, fn).__globals__.pop(_HOOK, None)
    for method, fn in _TENSOR_DISPATCH.items():
        if torch.Tensor.__dict__.get(method) is fn:
            if _TENSOR_OWN[method]:
                setattr(torch.Tensor, method, _TENSOR_TORCH[method])
            else:
                delattr(torch.Tensor, method)  # back to the inherited method


@contextlib.contextmanager
def fast_init(*, threads: Optional[int] = None) -> Iterator[None]:
    """Use xavier's samplers for every ``torch.nn.init`` call in this block.

    While building a model inside ``with xavier.torch.fast_init():``, the
    ``reset_parameters`` of ``nn.Linear``, ``nn.Conv*d``, ``nn.Embedding``,
    ``nn.MultiheadAttention``, ``nn.Transformer*`` and any other code calling
    ``torch.nn.init.{uniform_, normal_, trunc_normal_, xavier_uniform_,
    xavier_normal_, kaiming_uniform_, kaiming_normal_}`` fill CPU tensors in
    parallel, and so do the methods ``Tensor.normal_`` and
    ``Tensor.uniform_`` that some models call directly (Hugging Face's
    ``_init_weights``: ``module.weight.data.normal_(mean=0.0, std=0.02)``)
    on tensors autograd does not track.  Other tensors still go to torch
    (see the module's notes).

    Seeds come from torch's default generator as usual, so
    ``torch.manual_seed(s)`` before the block repeats the model exactly
    (for any thread count).  The distributions are torch's; the values are
    xavier's.

    On entry the functions of ``torch.nn.init`` are made to lead to
    dispatchers (wherever they are referenced from: their code is swapped,
    in microseconds), as are the two Tensor methods; on exit (also when the
    block raises) torch's own are put back.  The dispatchers
    act only in threads inside a ``fast_init`` block: other threads keep
    torch's behaviour, blocks may nest and run in several threads at once.

    Parameters
    ----------
    threads : int, optional
        Threads per fill (default: OpenMP's).

    Examples
    --------
    >>> import torch, xavier.torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> with xavier.torch.fast_init():
    ...     model = torch.nn.Sequential(torch.nn.Linear(512, 512), torch.nn.ReLU(),
    ...                                 torch.nn.Linear(512, 10))
    >>> model[0].weight.std().item() < 0.03
    True
    """
    global _patch_users
    if threads is not None:
        _checks.check_threads(threads)
    with _patch_lock:
        if _patch_users == 0:
            _install()
        _patch_users += 1
    saved = _local.depth, _local.threads
    _local.depth, _local.threads = saved[0] + 1, threads if threads is not None else saved[1]
    try:
        yield
    finally:
        _local.depth, _local.threads = saved
        with _patch_lock:
            _patch_users -= 1
            if _patch_users == 0:
                _uninstall()


# ---- init_ ---------------------------------------------------------------------------------

# init_'s schemes: the presets by their names and PyTorch's (scale, mode, distribution)
_SCHEMES = {alias: (p.scale, p.mode, p.distribution)
            for name, p in PRESETS.items() for alias in (name, *p.aliases)}


def init_(module: torch.nn.Module, scheme: str = "glorot_uniform", *, seed: SeedLike = None,
          gain: float = 1.0, truncated: bool = False, biases: str = "keep",
          threads: Optional[int] = None) -> torch.nn.Module:
    """Re-initialize the weights of a built model in place; return it.

    Every parameter with two or more dimensions gets `scheme`, with torch's
    fans (``(out, in, *kernel)``); one-dimensional parameters (biases, norm
    scales) keep their values, or with ``biases="zeros"`` the ones named
    ``*bias`` become 0.

    Parameters
    ----------
    module : torch.nn.Module
    scheme : str
        ``"glorot_uniform"`` (alias ``"xavier_uniform"``), ``"glorot_normal"``
        (``"xavier_normal"``), ``"he_uniform"`` (``"kaiming_uniform"``),
        ``"he_normal"`` (``"kaiming_normal"``), ``"lecun_uniform"`` or
        ``"lecun_normal"``: the presets of :func:`xavier.variance_scaling`.
    seed : None, int or SeedSequence
        Parameter ``name`` gets the stream of ``named_seed(seed, name)``
        (see :func:`xavier.named_seed`), so its values depend on the seed and its own name
        only.  None draws the seed from torch's default generator.
    gain : float
        Factor on every standard deviation.
    truncated : bool
        For the normal schemes: Keras's and JAX's normal truncated at two
        standard deviations, with the same variance.
    biases : {"keep", "zeros"}
    threads : int, optional

    Parameters on another device are generated on the CPU and copied there,
    so they hold the same values as on the CPU; parameters on the ``meta``
    device hold no values and are skipped.

    Examples
    --------
    >>> import torch, xavier.torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Linear(32, 8))
    >>> xavier.torch.init_(model, "he_normal", seed=0, biases="zeros") is model
    True
    >>> float(model[0].bias.detach().abs().sum())
    0.0
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(_SCHEMES)}, got {scheme!r}")
    if biases not in ("keep", "zeros"):
        raise ValueError(f"biases must be 'keep' or 'zeros', got {biases!r}")
    scale, mode, dist_name = _SCHEMES[scheme]
    if check_truncated(truncated):
        if dist_name != "normal":
            raise ValueError(f"truncated=True needs a normal scheme, got {scheme!r}")
        dist_name = "truncated_normal"
    nthreads = _checks.check_threads(threads)
    base = as_seed_sequence(_draw_seed(None) if seed is None else seed)
    # (name, parameter, kind or None for zeros, parameters): all checked first
    work: List[Tuple[str, torch.nn.Parameter, Optional[int], Tuple[float, ...]]] = []
    for name, p in module.named_parameters():
        if p.dim() >= 2:
            if p.dtype not in _TYPES:
                raise TypeError(f"parameter {name} has dtype {p.dtype}; "
                                "init_ fills float32, float64, float16 and bfloat16")
            dist, params_of = scaled_dist(tuple(p.shape), scale, mode, dist_name, gain,
                                          layout="torch")
            code = _TYPES[p.dtype]
            work.append((name, p, _request.stream_kind(dist, code), params_of(code)))
        elif biases == "zeros" and name.rsplit(".", 1)[-1] == "bias":
            work.append((name, p, None, ()))
    work = [w for w in work if w[1].device.type != "meta"]   # no values to fill
    for _, p, _, _ in work:
        _check_writable(p)   # refuse before anything is written
    with torch.no_grad():
        for name, p, kind, params in work:
            if kind is None:
                p.zero_()
                continue
            target = p if p.device.type == "cpu" else torch.empty(p.shape, dtype=p.dtype)
            key = seed_key(named_seed(base, name))
            _write(target, kind, params, key, nthreads)
            if target is not p:
                p.copy_(target)
    return module


# ---- save_init ---------------------------------------------------------------------------

def save_init(model: Callable[[], torch.nn.Module], path: Union[str, "os.PathLike[str]"], *,
              seed: int, dtype: Optional[torch.dtype] = None,
              max_shard_size: Union[int, str] = "50GB", threads: Optional[int] = None,
              force: bool = False, progress: Optional[Callable[[int], None]] = None,
              chunk_bytes: int = 64 * 2**20) -> "Checkpoint":
    """Write the initial checkpoint of the model that `model()` builds,
    without building it in memory.

    The model is built on the ``meta`` device (no memory) inside a recorder
    and :func:`fast_init`; what its own initialization code does to each
    parameter and persistent buffer is recorded, then streamed to disk in
    chunks, in parallel: the values are, bit for bit, those of
    ``torch.manual_seed(seed)`` followed by ``with fast_init(): model()`` on
    the CPU.  What the recorder cannot stream (``orthogonal_``, a
    ``copy_`` from another tensor, buffers computed by arbitrary code) is
    computed by torch on the CPU, one tensor at a time, kept in a temporary
    file, and listed in the result's ``fallbacks``.

    The directory `path` gets Hugging Face's layout: ``model.safetensors``,
    or shards ``model-0000k-of-0000n.safetensors`` with
    ``model.safetensors.index.json``; for a ``transformers`` model also its
    ``config.json`` (and ``generation_config.json``), tied weights stored
    once, as ``save_pretrained`` writes them, so ``from_pretrained(path)``
    loads it.  For other modules, every state-dict entry is stored (tied
    ones twice), so ``load_state_dict(..., strict=True)`` takes the loaded
    tensors.  The directory appears complete or not at all.

    Parameters
    ----------
    model : callable
        Builds the model, e.g. ``lambda: LlamaForCausalLM(config)``.
    path : str or path
        The output directory (must not exist, unless `force`).
    seed : int
        ``torch.manual_seed``'s seed for the build; torch's generator is
        left as it was.
    dtype : torch.dtype, optional
        Store floating tensors in this dtype (cast, as ``model.to(dtype)``).
    max_shard_size : int or str
        Shard size limit, e.g. ``"5GB"`` (default ``"50GB"``, as
        transformers 5).
    threads : int, optional
        Sampler threads.
    force : bool
        Replace an existing directory (atomically).
    progress : callable, optional
        Called with the number of bytes written, as they are.
    chunk_bytes : int
        Generation chunk; peak memory holds about two.

    Returns
    -------
    Checkpoint
        ``path``, ``files``, ``tensors``, ``total_size`` (bytes of tensor
        data), ``seed``, ``fallbacks`` (tensor name: why torch computed it)
        ``seconds`` (of which ``record_seconds`` building the model).

    Examples
    --------
    >>> import tempfile, os, torch, xavier.torch
    >>> out = os.path.join(tempfile.mkdtemp(), "mlp")
    >>> ckpt = xavier.torch.save_init(lambda: torch.nn.Sequential(
    ...     torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)), out, seed=0)
    >>> ckpt.files, ckpt.tensors
    (['model.safetensors'], 4)
    """
    from ._checkpoint import save_init as save

    return save(model, path, seed=seed, dtype=dtype, max_shard_size=max_shard_size,
                threads=threads, force=force, progress=progress, chunk_bytes=chunk_bytes)
