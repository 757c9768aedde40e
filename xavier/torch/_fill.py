"""Filling one tensor: which tensors xavier fills (:func:`_ours`), the seed
drawn from torch's generator, the checks torch makes before a write, and the
write itself, at the tensor's address or through a NumPy view (or recorded,
in a build that ``save_init`` records)."""
from __future__ import annotations

import threading
import warnings
from typing import Callable, List, Optional, Set, Tuple

import numpy as np
import torch

from .. import _checks, _core, _request
from .._fans import compute_fans
from .._seeds import SeedLike, seed_key
from ._errors import InitArgumentError
from ._state import _local


# The core's output type of each torch dtype; bfloat16 tensors are written as
# their bits through an int16 view, so no ml_dtypes is needed.
_TYPES = {torch.float32: _core.F32, torch.float64: _core.F64, torch.float16: _core.F16,
          torch.bfloat16: _core.BF16}
_warned_devices: Set[str] = set()
_warn_lock = threading.Lock()


# ---- filling a tensor -----------------------------------------------------------

def _draw_seed(generator: Optional[torch.Generator]) -> int:
    """126 bits from `generator` (or torch's default CPU generator): two
    63-bit draws of ``random_`` on an int64 tensor, into a buffer of this
    thread's (a new tensor per call would cost as much as a small fill)."""
    g = torch.default_generator if generator is None else generator
    try:
        words, array = _seed_words.buffer
    except AttributeError:
        words, array = _seed_words.buffer = _seed_buffer()
    if _fake_mode():   # (which refuses a real tensor; other modes see the draw)
        with torch._C._DisableTorchDispatch():
            words.random_(generator=g)
    else:
        words.random_(generator=g)
    drawn: List[int] = array.tolist()
    return (drawn[0] << 63) | drawn[1]


_seed_words = threading.local()


def _fake_mode() -> bool:
    """Whether a FakeTensorMode is active in this thread."""
    return torch._C._get_dispatch_mode(torch._C._TorchDispatchModeKey.FAKE) is not None


def _seed_buffer() -> Tuple[torch.Tensor, np.ndarray]:
    """A plain CPU int64 tensor of 2 and its NumPy view, made whatever the
    caller is inside (a torch.device block, inference_mode, FakeTensorMode
    or another mode): the thread's buffer serves every later call."""
    with torch._C.DisableTorchFunction(), torch._C._DisableTorchDispatch(), \
            torch.inference_mode(False):
        words = torch.empty(2, dtype=torch.int64, device="cpu")
        return words, words.numpy()

# torch.autograd.graph.increment_version's own call, without its wrapper's
# isinstance test (a tenth of a small fill); the public function where absent.
_increment_version: Callable[[Tuple[torch.Tensor, ...]], None] = getattr(
    torch._C, "_increment_version", torch.autograd.graph.increment_version)


_has_torch_function = torch.overrides.has_torch_function_variadic
# Tensor types that do not override torch functions (an active
# TorchFunctionMode, such as a torch.device block, does not send these to torch)
_PLAIN = (torch.Tensor, torch.nn.Parameter)


def _dispatches(tensor: torch.Tensor) -> bool:
    """Whether `tensor`'s type overrides torch's dispatch (FakeTensor, DTensor,
    functional and other wrapper subclasses hold no memory of their own)."""
    return type(tensor).__torch_dispatch__ is not torch.Tensor.__torch_dispatch__


def _ours(tensor: object, name: str) -> bool:
    """True if this module fills `tensor`; False sends it to torch's function."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    if _local.recorder is not None and _local.depth > 0 and _local.recorder.stands_for(tensor):
        # a build recorded by save_init: the recorder's meta tensors stand for
        # CPU ones (meta tensors the build made itself are torch's, as on the CPU)
        return type(tensor) in _PLAIN and tensor.dtype in _TYPES and not tensor.is_neg()
    if type(tensor) not in _PLAIN and (_has_torch_function(tensor) or _dispatches(tensor)):
        return False
    if tensor.layout is not torch.strided:
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
        assert recorder is not None   # (_ours takes meta tensors only from it)
        recorder.fill(tensor, kind, params, key,
                      lambda cpu: _write(cpu, kind, params, key, nthreads))
        return
    address = tensor.data_ptr()
    if tensor.is_contiguous() and address % tensor.element_size() == 0:
        _core.fill_address(address, tensor.numel(), key, kind, params, nthreads)
    else:
        _request.fill(_numpy_view(tensor), kind, params, key, nthreads)
    _increment_version((tensor,))



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


