"""Requests: one tensor's recipe, resolved but not yet filled.

The command line, spec files and ``xavier.dask`` generate tensors piece by
piece: a range of elements at a time (files) or a sub-block at a time (Dask
chunks).  A :class:`Request` holds what a sampler call resolves to (shape,
output type, stream kind, parameters), obtained by running the public
sampler itself in capture mode, so a piece's values are by construction
those of the in-memory call with the same arguments.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, NoReturn, Optional, Tuple

import numpy as np

from . import _api, _core, _presets
from ._api import DTypeLike, ParamsOf
from ._fans import ShapeLike, normalize_shape

# Type code -> (name, storage dtype of the bits, .npy descr as np.save writes it,
# safetensors dtype).  bfloat16 is stored as its 16 bits; np.save writes an
# ml_dtypes.bfloat16 array with descr "<V2".
TYPES: Dict[int, Tuple[str, np.dtype, str, str]] = {
    _core.F32: ("float32", np.dtype("<f4"), "<f4", "F32"),
    _core.F64: ("float64", np.dtype("<f8"), "<f8", "F64"),
    _core.F16: ("float16", np.dtype("<f2"), "<f2", "F16"),
    _core.BF16: ("bfloat16", np.dtype("<u2"), "<V2", "BF16"),
}

# The samplers a request can name, with the options each takes (besides
# shape, dtype, seed, out and threads), read from their signatures.
SAMPLERS: Dict[str, Callable[..., np.ndarray]] = {
    "uniform": _api.uniform,
    "normal": _api.normal,
    "truncated_normal": _api.truncated_normal,
    "variance_scaling": _presets.variance_scaling,
    "glorot_uniform": _presets.glorot_uniform,
    "glorot_normal": _presets.glorot_normal,
    "he_uniform": _presets.he_uniform,
    "he_normal": _presets.he_normal,
    "lecun_uniform": _presets.lecun_uniform,
    "lecun_normal": _presets.lecun_normal,
}
# Constants (biases, norm scales): their only option is the value.
CONSTANTS = {"zeros": 0.0, "ones": 1.0, "constant": None}
INITS = tuple(SAMPLERS) + tuple(CONSTANTS)
_COMMON = ("shape", "dtype", "seed", "out", "threads")
OPTIONS: Dict[str, Tuple[str, ...]] = {
    name: tuple(p for p in inspect.signature(fn).parameters if p not in _COMMON)
    for name, fn in SAMPLERS.items()
}
OPTIONS.update(zeros=(), ones=(), constant=("value",))


@dataclass(frozen=True)
class Request:
    """A tensor to generate: `kind` and `params` of the stream, or a constant
    `value` when `kind` is None."""

    dims: Tuple[int, ...]
    code: int
    kind: Optional[int]
    params: Tuple[float, ...] = ()
    value: float = 0.0

    @property
    def size(self) -> int:
        return math.prod(self.dims)

    @property
    def dtype_name(self) -> str:
        return TYPES[self.code][0]

    @property
    def storage(self) -> np.dtype:
        """The dtype of the bits written (uint16 for bfloat16)."""
        return TYPES[self.code][1]

    @property
    def nbytes(self) -> int:
        return self.size * self.storage.itemsize

    def array_dtype(self) -> np.dtype:
        """The dtype of the in-memory result (bfloat16 needs ml_dtypes)."""
        return _api.bfloat16_dtype() if self.code == _core.BF16 else self.storage

    def fill_range(self, buf: np.ndarray, start: int, key: np.ndarray, threads: int) -> None:
        """Elements ``[start, start + buf.size)`` of the tensor (C order) into
        `buf`, a C-contiguous array of :attr:`storage` (or the array dtype)."""
        if buf.size == 0:
            return
        if self.kind is None:
            buf[...] = self._constant()
        else:
            _core.fill(buf, key, self.kind, self.params, start, threads)

    def fill_block(self, buf: np.ndarray, offsets: Tuple[int, ...], key: np.ndarray,
                   threads: int) -> None:
        """The sub-block of the tensor starting at `offsets`, of shape
        ``buf.shape``, into `buf` (C-contiguous)."""
        if buf.size == 0:
            return
        if self.kind is None:
            buf[...] = self._constant()
            return
        starts = block_runs(self.dims, offsets, buf.shape)
        _core.fill_runs(buf, key, self.kind, self.params, starts, threads)

    def _constant(self) -> np.ndarray:
        if self.code == _core.BF16:
            return np.asarray(bfloat16_bits(self.value), dtype=np.uint16)
        return np.asarray(self.value, dtype=self.storage)


def bfloat16_bits(value: float) -> int:
    """The bits of `value` (finite, within bfloat16's range) as a bfloat16:
    rounded to float32, then to nearest even, as the core rounds."""
    bits = int(np.float32(value).view(np.uint32))
    return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16


def block_runs(dims: Tuple[int, ...], offsets: Tuple[int, ...],
               shape: Tuple[int, ...]) -> np.ndarray:
    """Start indices (C order in an array of shape `dims`) of the contiguous
    runs of its sub-block at `offsets` of shape `shape`, in order.

    Trailing axes that the block spans whole merge into the runs; a block
    of whole rows is a single run.
    """
    if len(dims) != len(offsets) or len(dims) != len(shape):
        raise ValueError("dims, offsets and shape must have the same length")
    for d, o, s in zip(dims, offsets, shape):
        if not (0 <= o and 0 <= s and o + s <= d):
            raise ValueError(f"block at {offsets} of shape {shape} is outside {dims}")
    k = len(dims)
    while k > 0 and shape[k - 1] == dims[k - 1]:
        k -= 1
    if k == 0:  # the whole array
        return np.zeros(1, dtype=np.uint64)
    strides = [math.prod(dims[j + 1:]) for j in range(len(dims))]
    starts = np.array([offsets[k - 1] * strides[k - 1]], dtype=np.uint64)
    for j in range(k - 2, -1, -1):  # leading axes, innermost first
        idx = np.arange(offsets[j], offsets[j] + shape[j], dtype=np.uint64) * np.uint64(strides[j])
        starts = (idx[:, None] + starts[None, :]).ravel()
    return starts


class _Captured(Exception):
    def __init__(self, request: Request) -> None:
        super().__init__()
        self.request = request


def _code_of(dtype: DTypeLike) -> int:
    """The output type of `dtype`; "bfloat16" without needing ml_dtypes."""
    if isinstance(dtype, str) and dtype.lower() == "bfloat16":
        return _core.BF16
    code = _api.type_code(_api.check_dtype(dtype))
    assert code is not None
    return code


def capture(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Request:
    """The request that ``fn(*args, **kwargs)``, a public sampler, would fill,
    with every argument checked as the call itself checks it."""
    def hook(dist: int, params_of: ParamsOf, shape: ShapeLike, dtype: DTypeLike) -> NoReturn:
        code = _code_of(dtype)
        raise _Captured(Request(normalize_shape(shape), code, 4 * dist + code, params_of(code)))

    token = _api.CAPTURE.set(hook)
    try:
        fn(*args, **kwargs)
    except _Captured as c:
        return c.request
    finally:
        _api.CAPTURE.reset(token)
    raise RuntimeError(f"{getattr(fn, '__name__', fn)} did not reach the sampler")


def check_init(init: object) -> str:
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}; got {init!r}")
    return init


def request(init: str, shape: ShapeLike, dtype: DTypeLike = None,
            options: Optional[Mapping[str, Any]] = None) -> Request:
    """The request of the sampler called `init` (see :data:`INITS`) for
    `shape` and `dtype`, with keyword `options` (its parameters besides
    shape, dtype, seed, out and threads; ``value`` for "constant")."""
    init = check_init(init)
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(OPTIONS[init]))
    if unknown:
        takes = ", ".join(OPTIONS[init]) or "no options"
        raise ValueError(f"init {init!r} does not take {', '.join(unknown)} (it takes: {takes})")
    if init in SAMPLERS:
        return capture(SAMPLERS[init], shape, dtype=dtype, **opts)
    dims = normalize_shape(shape)
    code = _code_of(dtype)
    value = CONSTANTS[init]
    if value is None:
        if "value" not in opts:
            raise ValueError("init 'constant' needs a value")
        value = _api.as_real(opts["value"], "value")
    if not math.isfinite(value) or abs(value) > _api._MAX_VALUE[code]:
        raise ValueError(f"value must be finite in {TYPES[code][0]}, got {value}")
    return Request(dims, code, None, (), value)


__all__ = ["CONSTANTS", "INITS", "OPTIONS", "Request", "SAMPLERS", "block_runs", "capture",
           "check_init", "request"]
