"""Requests: one tensor's recipe, resolved but not yet filled, and the fills.

Every public sampler resolves its arguments into a :class:`Request` (shape,
output type, stream kind, checked parameters) with :func:`resolve`, then
fills from it: the in-memory call draws a new array or `out` whole
(:meth:`Request.draw`), the command line and spec files write a range of
elements at a time (:meth:`Request.fill_range`), ``xavier.dask`` a
sub-block at a time (:meth:`Request.fill_block`).  A piece's values are
those of the in-memory call with the same arguments, because all of them
come from the same request.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import numpy as np

from . import _core
from ._checks import (DTypeLike, ParamsOf, bfloat16_dtype, check_dtype, check_float_array,
                      check_threads, type_code)
from ._fans import ShapeLike, normalize_shape
from ._seeds import SeedLike, seed_key

# Type code -> (name, storage dtype of the bits, .npy descr as np.save writes it,
# safetensors dtype).  bfloat16 is stored as its 16 bits; np.save writes an
# ml_dtypes.bfloat16 array with descr "<V2".
TYPES: Dict[int, Tuple[str, np.dtype, str, str]] = {
    _core.F32: ("float32", np.dtype("<f4"), "<f4", "F32"),
    _core.F64: ("float64", np.dtype("<f8"), "<f8", "F64"),
    _core.F16: ("float16", np.dtype("<f2"), "<f2", "F16"),
    _core.BF16: ("bfloat16", np.dtype("<u2"), "<V2", "BF16"),
}
# Elements per chunk when filling an `out` that the core cannot write directly.
_INDIRECT_CHUNK = 1 << 20
# New arrays above this size are checked against the memory available.
_MEMCHECK_BYTES = 1 << 30


def stream_kind(dist: int, code: int) -> int:
    """The core's kind of distribution `dist` and output type `code` (XV_KIND)."""
    return _KINDS[dist][code]


_KINDS = [[_core.kind(d, t) for t in range(4)] for d in (_core.UNIFORM, _core.NORMAL,
                                                         _core.TRUNCNORM)]


def _is_bfloat16_name(dtype: DTypeLike) -> bool:
    return isinstance(dtype, str) and dtype.lower() == "bfloat16"


def output_type(dtype: DTypeLike) -> int:
    """The core's output type of `dtype` (checked); the name "bfloat16"
    without needing ml_dtypes."""
    if _is_bfloat16_name(dtype):
        return _core.BF16
    code = type_code(check_dtype(dtype))
    assert code is not None
    return code


def resolve(dist: int, params_of: ParamsOf, shape: Optional[ShapeLike], dtype: DTypeLike,
            out: Optional[np.ndarray] = None) -> Request:
    """The request of a sampler call: the output dtype (`dtype`, else out's,
    else float32), the parameters ``params_of(output type)``, and the shape
    (`shape`, or out's when `shape` is None), checked in that order.  The
    name "bfloat16" needs ml_dtypes only when the request is drawn in memory."""
    dt: Optional[np.dtype] = None
    if out is None and _is_bfloat16_name(dtype):
        code = _core.BF16   # ml_dtypes is needed only to draw it in memory
    else:
        dt = check_dtype(dtype, out)
        found = type_code(dt)
        assert found is not None
        code = found
    params = params_of(code)
    if shape is None and out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
        dims = tuple(out.shape)
    else:
        dims = normalize_shape(shape)
    return Request(dims, code, stream_kind(dist, code), params, chosen=dt)


@dataclass(frozen=True)
class Request:
    """A tensor to generate: `kind` and `params` of the stream, or a constant
    `value` when `kind` is None."""

    dims: Tuple[int, ...]
    code: int
    kind: Optional[int]
    params: Tuple[float, ...] = ()
    value: float = 0.0
    # the in-memory dtype, when a caller chose one (a 16-bit view of an out=
    # array may carry bfloat16 bits); else that of the output type
    chosen: Optional[np.dtype] = field(default=None, compare=False)

    @property
    def dtype(self) -> np.dtype:
        return self.chosen if self.chosen is not None else self.array_dtype()

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
        return bfloat16_dtype() if self.code == _core.BF16 else self.storage

    def draw(self, seed: SeedLike, out: Optional[np.ndarray], threads: Optional[int]) -> np.ndarray:
        """The tensor with seed `seed`: written into `out` (checked against the
        request) or into a new array (memory checked first), and returned."""
        nthreads = check_threads(threads)
        key = seed_key(seed)
        if out is not None:
            arr = check_out(out, self.dims, self.dtype)
        else:
            arr = new_array(self.dims, self.dtype)
        assert self.kind is not None
        fill(arr, self.kind, self.params, key, nthreads)
        return arr

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


# ---- arrays and the fill ------------------------------------------------------

def fill(arr: np.ndarray, kind: int, params: Tuple[float, ...], key: np.ndarray,
         threads: int) -> None:
    """Write the stream into `arr` in C order: directly when the core can write
    it, else chunk by chunk through a contiguous buffer (same values).  `arr`
    may be any array whose items the kind's type fits (bfloat16 bits may come
    as a 16-bit integer view)."""
    if arr.size == 0:
        return
    flags = arr.flags
    if flags.c_contiguous and flags.aligned:
        _core.fill(arr, key, kind, params, 0, threads)
        return
    bits = np.dtype(f"u{arr.dtype.itemsize}")
    tmp = np.empty(min(arr.size, _INDIRECT_CHUNK), dtype=arr.dtype)
    flat = arr.view(bits).flat  # copy bits, whatever the dtype
    for start in range(0, arr.size, tmp.size):
        part = tmp[: min(tmp.size, arr.size - start)]
        _core.fill(part, key, kind, params, start, threads)
        flat[start : start + part.size] = part.view(bits)



def _available_memory() -> Optional[int]:
    """MemAvailable + SwapFree in bytes on Linux, else None."""
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return info["MemAvailable"] + info.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        return None


def new_array(dims: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    nbytes = math.prod(dims) * dtype.itemsize
    # NumPy's limit, on the nonzero dims: zero-size shapes included
    if math.prod(d for d in dims if d) * dtype.itemsize > sys.maxsize:
        raise ValueError(f"shape {dims} is too large: over {sys.maxsize} bytes of {dtype}")
    if nbytes > _MEMCHECK_BYTES:
        avail = _available_memory()
        if avail is not None and nbytes > avail:
            raise MemoryError(
                f"shape {dims} of {dtype} needs {nbytes / 2**30:.1f} GiB but only "
                f"{avail / 2**30:.1f} GiB is available; pass out= (e.g. a np.memmap) instead"
            )
    try:
        return np.empty(dims, dtype=dtype)
    except MemoryError:
        raise MemoryError(f"cannot allocate {nbytes} bytes for shape {dims} of {dtype}") from None
    except ValueError as e:  # NumPy's other limits (at most 64 dims)
        raise ValueError(f"shape {dims}: {e}") from None


def check_out(out: object, dims: Optional[Tuple[int, ...]], dtype: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}, but dtype {dtype} was requested")
    if dims is not None and out.shape != dims:
        raise ValueError(f"out has shape {out.shape}, but shape {dims} was requested")
    return check_float_array(out, "out")


