"""Reading tensor files back for ``xavier info``: a .npy file, a safetensors
file or a directory of .npy files, each validated in full before any data
are read.

Rules
-----
Only regular files are opened: the path is stat'ed first, so a FIFO or a
device is refused without being opened (opening a FIFO blocks until a writer
appears), and the opened descriptor is fstat'ed again in case the file was
replaced in between (it is opened with O_NONBLOCK, so even that race cannot
block).

.npy: what ``np.load(..., allow_pickle=False)`` accepts (numpy.lib.format
parses the header), with the header length bounded before the header is read,
no object dtypes, non-negative dimensions whose byte size fits in int64, and
data filling the rest of the file exactly.

safetensors: what the reference (Rust) reader accepts: an 8-byte
little-endian header length N <= 100,000,000 and <= file size - 8; a JSON
object; ``__metadata__`` absent, null or a map of strings to strings; every
other key a tensor entry with exactly ``dtype`` (a known safetensors dtype),
``shape`` (non-negative integers) and ``data_offsets`` ([begin, end],
0 <= begin <= end) where end - begin is the byte size of shape and dtype; the
entries, sorted by offsets, cover the data contiguously from 0 to file size -
8 - N.  Stricter than the reference reader: duplicate JSON keys (it keeps the
last) and extra fields in a tensor entry (it ignores them) are errors.

A directory: its ``*.npy`` entries not starting with '.', in name order;
symlinks to regular files are followed, and any other such entry (a FIFO,
a device, a directory, a symlink to one) is refused with an error naming it
rather than skipped, so a listing is never silently incomplete.

Every violation raises FormatError (a ValueError) with a one-line message
naming the file.
"""
from __future__ import annotations

import io
import json
import math
import os
import reprlib
import stat
import struct
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from ._files import INT64_MAX, MAX_RANK, SAFETENSORS_HEADER_MAX, unique_keys
from ._request import TYPES


class FormatError(ValueError):
    """A file that is not a valid .npy or safetensors file, or a path that
    is not a regular file or directory; the message is one line."""


@dataclass(frozen=True)
class StoredTensor:
    """A tensor in a file: where its data lie and how to read them."""

    name: str
    dtype: str        # float32, float64, float16, bfloat16 or another safetensors/NumPy name
    shape: Tuple[int, ...]
    path: str
    offset: int
    nbytes: int


_NPY_LABELS = {descr: name for name, _, descr, _ in TYPES.values()}
_ST_LABELS = {st: name for name, _, _, st in TYPES.values()}

_U64_MAX = 2**64 - 1

# np.load's default max_header_size; NumPy 2 arrays have at most 64 dimensions (32 before)
_NPY_MAX_HEADER = 10_000
# version -> struct format of the header length; np.load reads no other versions
_NPY_LENGTHS = {(1, 0): "<H", (2, 0): "<I", (3, 0): "<I"}

# Bits per element of the dtypes the reference reader (safetensors 0.8) accepts;
# sub-byte types pack their elements into whole bytes.
_ST_BITS = {"BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8,
            "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
            "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
            "C64": 64, "F64": 64, "I64": 64, "U64": 64}
_ST_FIELDS = ("dtype", "shape", "data_offsets")

# Hostile values (100 MB names, 10**6-element shapes) appear in messages shortened.
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 60
_REPR.maxlist = _REPR.maxtuple = 8


def _show(value: Any) -> str:
    return _REPR.repr(value)


def _one_line(text: str, limit: int = 200) -> str:
    text = text.strip().splitlines()[0] if text.strip() else "invalid"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(path: str) -> str:
    """`path` for a one-line message (quoted when it holds control characters)."""
    return path if path.isprintable() else repr(path)


# ---- opening without blocking ---------------------------------------------------

_KINDS: Tuple[Tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _require_regular(path: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _KINDS if test(mode)), "of an unknown kind")
        raise FormatError(f"{_where(path)}: not a regular file ({kind})")


def _open_regular(path: str, buffering: int = -1) -> BinaryIO:
    """`path` opened for reading; FormatError unless it is a regular file."""
    _require_regular(path, os.stat(path).st_mode)
    # O_NONBLOCK: a FIFO swapped in after the stat opens at once instead of
    # blocking (it has no effect on regular files); O_BINARY: Windows
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        _require_regular(path, os.fstat(fd).st_mode)
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def _size(f: BinaryIO) -> int:
    return os.fstat(f.fileno()).st_size


# ---- .npy -------------------------------------------------------------------------

def _npy_layout(f: BinaryIO, size: int) -> Tuple[Tuple[int, ...], bool, np.dtype, int, int]:
    """(shape, fortran_order, dtype, data offset, data bytes) of the .npy file
    `f` of `size` bytes, or FormatError saying which rule it breaks."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
    except ValueError as e:
        raise FormatError(f"not a .npy file ({_one_line(str(e))})") from None
    if version not in _NPY_LENGTHS:
        raise FormatError(f"unsupported .npy format version {version[0]}.{version[1]}")
    length_format = _NPY_LENGTHS[version]
    raw_length = f.read(struct.calcsize(length_format))
    if len(raw_length) < struct.calcsize(length_format):
        raise FormatError("the file ends in the header")
    (length,) = struct.unpack(length_format, raw_length)
    # numpy reads an announced header of any length (up to 4 GiB) before it
    # checks max_header_size, so the bound comes first here.  3.0 headers are
    # UTF-8: up to 4 bytes a character
    limit = _NPY_MAX_HEADER * (4 if version == (3, 0) else 1)
    if length > limit:
        raise FormatError(f"header of {length} bytes (np.load reads at most {_NPY_MAX_HEADER})")
    header = f.read(length)
    if len(header) < length:
        raise FormatError("the file ends in the header")
    offset = 8 + len(raw_length) + length
    if version == (3, 0):
        # numpy parses 3.0 headers as 2.0 ones decoded as UTF-8 instead of
        # Latin-1; read_array_header_2_0 gets the same text with non-ASCII
        # characters as escapes (equal inside the str literals of a header)
        try:
            text = header.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("a version 3.0 header that is not UTF-8") from None
        if len(text) > _NPY_MAX_HEADER:
            raise FormatError(f"header of {len(text)} characters (np.load reads at most "
                              f"{_NPY_MAX_HEADER})")
        header = text.encode("ascii", "backslashreplace")
        raw_length = struct.pack("<I", len(header))
    read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    with warnings.catch_warnings():
        # np.load accepts Python 2 headers of versions 1.0 and 2.0 with a
        # warning, and refuses them in 3.0
        warnings.simplefilter("ignore")
        if version == (3, 0):
            warnings.filterwarnings("error", "Reading `.npy` or `.npz` file required additional")
        try:
            shape, fortran, dtype = read_header(io.BytesIO(raw_length + header),
                                                max_header_size=max(len(header), 1))
        # numpy's parser of a hostile header raises ValueError, SyntaxError,
        # tokenize.TokenError, OverflowError, TypeError, RecursionError...
        except Exception as e:
            raise FormatError(f"invalid header ({_one_line(str(e) or type(e).__name__)})") from None
    shape = tuple(int(d) for d in shape)
    if dtype.hasobject:
        raise FormatError(f"dtype {_show(str(dtype))} holds Python objects (pickles are not read)")
    if len(shape) > MAX_RANK:
        raise FormatError(f"{len(shape)} dimensions (NumPy allows {MAX_RANK})")
    if any(d < 0 for d in shape):
        raise FormatError(f"negative dimension in shape {_show(shape)}")
    # NumPy's own limit: the itemsize (at least 1) times the nonzero dimensions fits in intp
    span = max(dtype.itemsize, 1)
    for d in shape:
        span *= d or 1
    if span > INT64_MAX or any(d > INT64_MAX for d in shape):
        raise FormatError(f"shape {_show(shape)} of {dtype} is too large for NumPy")
    nbytes = dtype.itemsize * math.prod(shape)
    if size - offset != nbytes:
        raise FormatError(f"{size - offset} bytes of data where shape {_show(shape)} of {dtype} "
                          f"needs {nbytes} (truncated or extended?)")
    return shape, bool(fortran), dtype, offset, nbytes


def read_npy_header(path: str, name: Optional[str] = None) -> StoredTensor:
    """The tensor of the .npy file `path`, named `name` or after the file.

    Raises
    ------
    FormatError
        `path` is not a regular, valid .npy file.
    OSError
        It cannot be read.
    """
    with _open_regular(path) as f:
        try:
            shape, fortran, dtype, offset, nbytes = _npy_layout(f, _size(f))
        except FormatError as e:
            raise FormatError(f"{_where(path)}: {e}") from None
    descr = str(np.lib.format.dtype_to_descr(dtype))
    label = _NPY_LABELS.get(descr.replace("|V2", "<V2"), str(dtype))
    if fortran:
        label += " (Fortran order)"
    base = os.path.basename(path)
    return StoredTensor(name or (base[:-4] if base.endswith(".npy") else base), label,
                        shape, path, offset, nbytes)


# ---- safetensors --------------------------------------------------------------------

def _json_object(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    """A JSON object without duplicate keys or unpaired surrogates (which the
    reference reader's UTF-8 strings cannot hold)."""
    for key, value in pairs:
        for text in (key, value) if isinstance(value, str) else (key,):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise FormatError(f"unpaired surrogate escape in {_show(text)}") from None
    return unique_keys(pairs, lambda key: FormatError(f"duplicate key {_show(key)}"))


def _json_int(text: str) -> Union[int, float]:
    # As serde_json (the reference reader) reads them, -0 and integers beyond
    # 64 bits are floats, so they fail the integer checks; long ones are not
    # converted at all (int() of a long one is slow before Python 3.11)
    if len(text) > 21:
        return math.inf
    return -0.0 if text == "-0" else int(text)


def _json_constant(text: str) -> Any:
    raise FormatError(f"{text} is not JSON")


def _is_u64(x: Any) -> bool:
    return type(x) is int and 0 <= x <= _U64_MAX


def _safetensors_layout(
        f: BinaryIO, size: int
) -> Tuple[int, List[Tuple[str, str, Tuple[int, ...], int, int]], Dict[str, str]]:
    """(header length N, [(name, dtype, shape, begin, end)] sorted by offsets,
    metadata) of the safetensors file `f` of `size` bytes, or FormatError
    saying which rule it breaks."""
    if size < 8:
        raise FormatError(f"{size} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", f.read(8))
    if n > SAFETENSORS_HEADER_MAX:
        raise FormatError(f"header length {n} is over the limit of {SAFETENSORS_HEADER_MAX}")
    if n > size - 8:
        raise FormatError(f"header length {n} is past the end of the file ({size} bytes)")
    raw = f.read(n)
    if len(raw) < n:
        raise FormatError("the file ends in the header")
    try:
        head = json.loads(raw.decode("utf-8"), object_pairs_hook=_json_object,
                          parse_int=_json_int, parse_constant=_json_constant)
    except FormatError as e:
        raise FormatError(f"invalid header: {e}") from None
    except RecursionError:
        raise FormatError("invalid header: JSON nested too deeply") from None
    except ValueError as e:  # UnicodeDecodeError, json.JSONDecodeError
        raise FormatError(f"invalid header: {_one_line(str(e))}") from None
    if not isinstance(head, dict):
        raise FormatError(f"the header is a JSON {type(head).__name__}, not an object")
    metadata = head.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    elif not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise FormatError(f"__metadata__ is not a map of strings to strings: {_show(metadata)}")
    entries = []
    for name, info in head.items():
        where = f"tensor {_show(name)}"
        if not isinstance(info, dict):
            raise FormatError(f"{where}: {_show(info)} is not an object")
        if set(info) != set(_ST_FIELDS):
            raise FormatError(f"{where}: fields {_show(sorted(info))} instead of "
                              f"{', '.join(_ST_FIELDS)}")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dtype, str) or dtype not in _ST_BITS:
            raise FormatError(f"{where}: unknown dtype {_show(dtype)}")
        if not (isinstance(shape, list) and all(_is_u64(d) for d in shape)):
            raise FormatError(f"{where}: shape {_show(shape)} is not a list of non-negative "
                              "64-bit integers")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_u64, offsets))):
            raise FormatError(f"{where}: data_offsets {_show(offsets)} is not [begin, end] with "
                              "non-negative 64-bit integers")
        begin, end = offsets
        if begin > end:
            raise FormatError(f"{where}: data_offsets {_show(offsets)} end before they begin")
        # sizes in u64 as the reference reader computes them, dimension by dimension
        count = 1
        for d in shape:
            count *= d
            if count > _U64_MAX:
                raise FormatError(f"{where}: shape {_show(shape)} overflows 64 bits")
        bits = count * _ST_BITS[dtype]
        if bits > _U64_MAX or bits % 8:
            raise FormatError(f"{where}: shape {_show(shape)} of {dtype} is not a whole number "
                              "of bytes below 2**64")
        if end - begin != bits // 8:
            raise FormatError(f"{where}: {end - begin} bytes at data_offsets {_show(offsets)} "
                              f"where shape {_show(shape)} of {dtype} needs {bits // 8}")
        entries.append((name, dtype, tuple(shape), begin, end))
    entries.sort(key=lambda e: (e[3], e[4]))
    start = 0
    for name, _, _, begin, end in entries:
        if begin != start:
            raise FormatError(f"tensor {_show(name)}: data begin at {begin}, not where the "
                              f"previous data end ({start}): "
                              f"{'overlap' if begin < start else 'gap'}")
        start = end
    if start != size - 8 - n:
        raise FormatError(f"the tensors cover {start} bytes of data where the file has "
                          f"{size - 8 - n}")
    return n, entries, metadata


def read_safetensors_header(path: str) -> Tuple[List[StoredTensor], Dict[str, str]]:
    """The tensors (in data order) and the metadata of the safetensors file `path`.

    Raises
    ------
    FormatError
        `path` is not a regular, valid safetensors file.
    OSError
        It cannot be read.
    """
    with _open_regular(path) as f:
        try:
            n, entries, metadata = _safetensors_layout(f, _size(f))
        except FormatError as e:
            raise FormatError(f"{_where(path)}: {e}") from None
    return [StoredTensor(name, _ST_LABELS.get(dtype, dtype), shape, path, 8 + n + begin,
                         end - begin) for name, dtype, shape, begin, end in entries], metadata


def read_tensors(path: str) -> Tuple[str, List[StoredTensor], Dict[str, str]]:
    """(format, tensors, metadata) of a .npy file, a safetensors file or a
    directory of .npy files (see the module's docstring for the rules).

    Raises
    ------
    FormatError
        A file breaks its format's rules, or a path (or a directory's ``*.npy``
        entry) is not a regular file.
    OSError
        A file cannot be read.
    """
    if stat.S_ISDIR(os.stat(path).st_mode):
        names = sorted(f for f in os.listdir(path) if f.endswith(".npy") and not f.startswith("."))
        return "dir", [read_npy_header(os.path.join(path, f)) for f in names], {}
    with _open_regular(path) as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        return "npy", [read_npy_header(path)], {}
    return "safetensors", *read_safetensors_header(path)


# ---- statistics -------------------------------------------------------------------

_READ_AS: Dict[str, np.dtype] = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8"),
                                 "float16": np.dtype("<f2"), "bfloat16": np.dtype("<u2")}


def tensor_stats(t: StoredTensor, chunk_bytes: int = 16 << 20) -> Optional[Dict[str, float]]:
    """count, mean, std, min, max and the number of non-finite values of a
    floating-point tensor, read in chunks; None for other dtypes."""
    dt: Optional[np.dtype] = _READ_AS.get(t.dtype)
    if dt is None:
        return None
    count, mean, m2 = 0, 0.0, 0.0
    lo, hi, bad = np.inf, -np.inf, 0
    per = max(1, chunk_bytes // dt.itemsize)
    buf = np.empty(min(per, t.nbytes // dt.itemsize), dtype=dt)
    with _open_regular(t.path, buffering=0) as f:
        f.seek(t.offset)
        left = t.nbytes // dt.itemsize
        while left:
            part = buf[: min(per, left)]
            _read_exact(f, t.path, memoryview(part).cast("B"))  # type: ignore[arg-type, unused-ignore]
            x = (part.astype(np.uint32) << 16).view(np.float32) if t.dtype == "bfloat16" else part
            finite = np.isfinite(x)
            if not finite.all():
                bad += int(x.size - finite.sum())
                x = x[finite]
            if x.size:
                x64 = x.astype(np.float64)
                c_mean = float(x64.mean())
                c_m2 = float(np.square(x64 - c_mean).sum())
                total = count + x.size
                delta = c_mean - mean
                mean += delta * x.size / total
                m2 += c_m2 + delta * delta * count * x.size / total
                count = total
                lo, hi = min(lo, float(x.min())), max(hi, float(x.max()))
            left -= part.size
    nan = float("nan")
    return {"count": count, "mean": mean if count else nan,
            "std": (m2 / count) ** 0.5 if count else nan,
            "min": lo if count else nan, "max": hi if count else nan, "nonfinite": bad}


def _read_exact(f: BinaryIO, path: str, view: memoryview) -> None:
    while len(view):
        n = f.readinto(view)  # type: ignore[attr-defined]
        if not n:
            raise FormatError(f"{_where(path)}: the file ends before its data do (truncated?)")
        view = view[n:]


__all__ = ["FormatError", "StoredTensor", "read_npy_header", "read_safetensors_header",
           "read_tensors", "tensor_stats"]
