"""Files: streaming generated tensors to .npy, safetensors or a directory of
.npy files with bounded memory, atomically, and reading them back for
``xavier info``.

Memory: two buffers of `chunk_bytes` each.  One is filled by the sampler
(OpenMP threads, GIL released) while the other is written by a writer
thread, so generation and disk writes overlap.

Atomicity: the data goes to an unnamed file in the target's directory
(Linux O_TMPFILE; elsewhere a hidden ``.NAME.*.partial`` file) that is
fsync'ed and linked or renamed to the target name only when complete.  An
interrupted or failed run leaves nothing under the target name (and, with
O_TMPFILE, nothing at all even when killed with SIGKILL).
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import struct
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ._request import TYPES, Request

Progress = Callable[[int], None]
FORMATS = ("npy", "safetensors", "dir")
DEFAULT_CHUNK_MB = 64
_SAFETENSORS_DTYPES = {v[3]: k for k, v in TYPES.items()}
_NPY_DESCRS = {v[2]: k for k, v in TYPES.items()}


@dataclass(frozen=True)
class Tensor:
    """A named request with its stream key."""

    name: str
    request: Request
    key: np.ndarray


# ---- headers ----------------------------------------------------------------

def npy_header(req: Request) -> bytes:
    """The header np.save writes for the in-memory result of `req`."""
    import io

    header = {"descr": TYPES[req.code][2], "fortran_order": False, "shape": req.dims}
    buf = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(buf, header)
    except ValueError:  # more than 65535 bytes of header: version 2.0, as np.save
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, header)
    return buf.getvalue()


def safetensors_header(tensors: Sequence[Tensor], metadata: Dict[str, str]) -> bytes:
    """The safetensors prefix (8-byte little-endian length, then the JSON
    header, space-padded so the data starts 8-byte aligned); the tensors'
    data follow back to back in the given order."""
    head: Dict[str, Any] = {}
    if metadata:
        head["__metadata__"] = dict(metadata)
    offset = 0
    for t in tensors:
        head[t.name] = {"dtype": TYPES[t.request.code][3], "shape": list(t.request.dims),
                        "data_offsets": [offset, offset + t.request.nbytes]}
        offset += t.request.nbytes
    text = json.dumps(head, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(len(text) + 8) % 8)
    return struct.pack("<Q", len(text)) + text


# ---- atomic output ----------------------------------------------------------

class AtomicFile:
    """A file that appears under `path` only once :meth:`commit` succeeds."""

    def __init__(self, path: str, force: bool = False) -> None:
        self.path = os.path.abspath(path)
        self.force = force
        self.dir = os.path.dirname(self.path)
        if os.path.isdir(self.path):
            raise IsADirectoryError(errno.EISDIR, "the output is a directory", path)
        if os.path.lexists(self.path) and not force:
            raise FileExistsError(errno.EEXIST, "the output exists (use --force to overwrite)",
                                  path)
        self.tmpname: Optional[str] = None
        mode = 0o666
        fd = _unnamed_file(self.dir, mode)
        if fd is not None:
            self.fd = fd
        else:
            self.fd, self.tmpname = tempfile.mkstemp(
                dir=self.dir, prefix=f".{os.path.basename(self.path)}.", suffix=".partial")
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(self.fd, mode & ~umask)

    def write(self, data: memoryview) -> None:
        """Write all of `data` (partial writes are continued)."""
        while len(data):
            n = os.write(self.fd, data)
            data = data[n:]

    def commit(self) -> None:
        """Make the file durable and give it its name."""
        os.fsync(self.fd)
        if self.tmpname is None:
            proc = f"/proc/self/fd/{self.fd}"
            if self.force:
                tmp = os.path.join(self.dir, f".{os.path.basename(self.path)}.{os.getpid()}."
                                             f"{secrets.token_hex(4)}.tmp")
                os.link(proc, tmp, follow_symlinks=True)
                os.replace(tmp, self.path)
            else:
                os.link(proc, self.path, follow_symlinks=True)  # fails if it appeared meanwhile
        elif self.force:
            os.replace(self.tmpname, self.path)
        else:
            os.link(self.tmpname, self.path)
            os.unlink(self.tmpname)
        self.tmpname = None
        os.close(self.fd)
        self.fd = -1
        sync_dir(self.dir)

    def discard(self) -> None:
        """Drop the data; nothing is left under the target name."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.tmpname is not None:
            try:
                os.unlink(self.tmpname)
            except FileNotFoundError:
                pass
            self.tmpname = None


def _unnamed_file(directory: str, mode: int) -> Optional[int]:
    """An unnamed file (O_TMPFILE) in `directory` that can later be linked
    into it, or None where that does not work (no O_TMPFILE, no /proc, or a
    file system such as overlayfs that refuses the link)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        fd = os.open(directory, flag | os.O_WRONLY, mode)
    except OSError:
        return None
    probe = os.path.join(directory, f".xavier-probe.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        os.link(f"/proc/self/fd/{fd}", probe, follow_symlinks=True)
    except OSError:
        os.close(fd)
        return None
    os.unlink(probe)
    # a linked-then-unlinked file is no longer O_TMPFILE: start again
    os.close(fd)
    try:
        return os.open(directory, flag | os.O_WRONLY, mode)
    except OSError:
        return None


def sync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_free_space(directory: str, nbytes: int) -> None:
    """Raise OSError(ENOSPC) up front if `directory` has less than `nbytes` free."""
    free = shutil.disk_usage(directory).free
    if nbytes > free:
        raise OSError(errno.ENOSPC,
                      f"not enough free disk space: the output needs {_size(nbytes)} but "
                      f"{directory} has {_size(free)} free")


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


# ---- streaming --------------------------------------------------------------

class Streamer:
    """Writes tensors' data through two buffers of `chunk_bytes`: the sampler
    fills one while a writer thread writes the other."""

    def __init__(self, chunk_bytes: int, threads: int, progress: Optional[Progress]) -> None:
        if chunk_bytes < 1:
            raise ValueError("chunk_bytes must be >= 1")
        self.chunk_bytes = chunk_bytes
        self.threads = threads
        self.progress = progress
        self._bufs: List[Optional[np.ndarray]] = [None, None]

    def _buffer(self, i: int, itemsize: int) -> np.ndarray:
        buf = self._bufs[i]
        if buf is None:  # allocated on first use: small outputs stay small
            buf = self._bufs[i] = np.empty(max(self.chunk_bytes, 8) // 8, dtype=np.uint64)
        return buf.view(np.uint8)[: max(itemsize, self.chunk_bytes // itemsize * itemsize)]

    def write(self, out: AtomicFile, tensors: Sequence[Tensor],
              prefix: Sequence[bytes] = ()) -> None:
        """`prefix` (headers) and then each tensor's data, into `out`."""
        with ThreadPoolExecutor(1, thread_name_prefix="xavier-writer") as pool:
            pending: Optional[Future[None]] = None
            try:
                for data in prefix:
                    out.write(memoryview(data))
                for i, (tensor, start, n) in enumerate(self._chunks(tensors)):
                    req = tensor.request
                    buf = self._buffer(i % 2, req.storage.itemsize)[: n * req.storage.itemsize]
                    req.fill_range(buf.view(req.storage), start, tensor.key, self.threads)
                    if pending is not None:
                        pending.result()
                        self._report(pending)
                    pending = pool.submit(out.write, memoryview(buf))  # type: ignore[arg-type, unused-ignore]
                    setattr(pending, "nbytes", buf.size)
                if pending is not None:
                    pending.result()
                    self._report(pending)
                    pending = None
            finally:
                if pending is not None:  # interrupted: let the write in flight end
                    pending.cancel()
                    try:
                        pending.exception()
                    except BaseException:
                        pass

    def _report(self, done: "Future[None]") -> None:
        if self.progress is not None:
            self.progress(getattr(done, "nbytes"))

    def _chunks(self, tensors: Sequence[Tensor]) -> Iterator[Tuple[Tensor, int, int]]:
        for t in tensors:
            per = max(1, self.chunk_bytes // t.request.storage.itemsize)
            for start in range(0, t.request.size, per):
                yield t, start, min(per, t.request.size - start)


def output_bytes(fmt: str, tensors: Sequence[Tensor], metadata: Dict[str, str]) -> int:
    """The size of the output: headers plus data."""
    data = sum(t.request.nbytes for t in tensors)
    if fmt == "safetensors":
        return len(safetensors_header(tensors, metadata)) + data
    return sum(len(npy_header(t.request)) for t in tensors) + data


def check_dir_names(tensors: Sequence[Tensor]) -> None:
    """Tensor names must be usable as file names (NAME.npy) in a directory."""
    seen = set()
    for t in tensors:
        n = t.name
        if not n or "/" in n or "\\" in n or "\0" in n or n in (".", "..") or n.startswith("."):
            raise ValueError(f"tensor name {n!r} cannot be a file name in an output directory "
                             "(no '/', '\\\\', NUL or leading '.'); write a .safetensors file")
        if n.lower() in seen:
            raise ValueError(f"tensor names {n!r} and another differ only in case")
        seen.add(n.lower())


def write_file(path: str, fmt: str, tensors: Sequence[Tensor], metadata: Dict[str, str],
               chunk_bytes: int, threads: int, force: bool = False,
               progress: Optional[Progress] = None) -> None:
    """Write `tensors` to `path` as one .npy (a single tensor), a safetensors
    file or (``fmt="dir"``) a directory of NAME.npy files."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    if fmt == "npy" and len(tensors) != 1:
        raise ValueError(f"a .npy file holds one tensor, got {len(tensors)}")
    if fmt == "dir":
        check_dir_names(tensors)
        _write_dir(path, tensors, chunk_bytes, threads, force, progress)
        return
    parent = os.path.dirname(os.path.abspath(path))
    out = AtomicFile(path, force)
    try:
        check_free_space(parent, output_bytes(fmt, tensors, metadata))
        prefix = [safetensors_header(tensors, metadata)] if fmt == "safetensors" \
            else [npy_header(tensors[0].request)]
        Streamer(chunk_bytes, threads, progress).write(out, tensors, prefix)
        out.commit()
    finally:
        out.discard()


def _write_dir(path: str, tensors: Sequence[Tensor], chunk_bytes: int, threads: int,
               force: bool, progress: Optional[Progress]) -> None:
    target = os.path.abspath(path)
    parent, base = os.path.split(target)
    if os.path.lexists(target) and not (force and os.path.isdir(target)):
        raise FileExistsError(errno.EEXIST, "the output exists" + (
            " and is not a directory" if force else " (use --force to overwrite)"), path)
    check_free_space(parent, output_bytes("dir", tensors, {}))
    tmpdir = tempfile.mkdtemp(dir=parent, prefix=f".{base}.", suffix=".partial")
    try:
        streamer = Streamer(chunk_bytes, threads, progress)
        for t in tensors:
            out = AtomicFile(os.path.join(tmpdir, t.name + ".npy"))
            try:
                streamer.write(out, [t], [npy_header(t.request)])
                out.commit()
            finally:
                out.discard()
        os.chmod(tmpdir, 0o777 & ~_umask())
        old = None
        if os.path.lexists(target):
            old = tempfile.mkdtemp(dir=parent, prefix=f".{base}.", suffix=".old")
            os.rename(target, os.path.join(old, base))
        os.rename(tmpdir, target)
        sync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---- reading back (xavier info) ---------------------------------------------

@dataclass(frozen=True)
class StoredTensor:
    """A tensor in a file: where its data lie and how to read them."""

    name: str
    dtype: str        # float32, float64, float16, bfloat16 or another safetensors/NumPy name
    shape: Tuple[int, ...]
    path: str
    offset: int
    nbytes: int


def read_npy_header(path: str, name: Optional[str] = None) -> StoredTensor:
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        offset = f.tell()
    descr = str(np.lib.format.dtype_to_descr(dtype))
    code = _NPY_DESCRS.get(descr.replace("|V2", "<V2"))
    label = TYPES[code][0] if code is not None else str(dtype)
    if fortran:
        label += " (Fortran order)"
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    base = os.path.basename(path)
    return StoredTensor(name or (base[:-4] if base.endswith(".npy") else base), label,
                        tuple(shape), path, offset, size * dtype.itemsize)


def read_safetensors_header(path: str) -> Tuple[List[StoredTensor], Dict[str, str]]:
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path} is not a safetensors file (too short)")
        (n,) = struct.unpack("<Q", raw)
        if n > 100_000_000:
            raise ValueError(f"{path} is not a safetensors file (header of {n} bytes)")
        head = json.loads(f.read(n).decode("utf-8"))
    metadata = head.pop("__metadata__", {}) or {}
    tensors = []
    for name, info in head.items():
        begin, end = info["data_offsets"]
        code = _SAFETENSORS_DTYPES.get(info["dtype"])
        label = TYPES[code][0] if code is not None else info["dtype"]
        tensors.append(StoredTensor(name, label, tuple(info["shape"]), path, 8 + n + begin,
                                    end - begin))
    tensors.sort(key=lambda t: t.offset)
    return tensors, metadata


def read_tensors(path: str) -> Tuple[str, List[StoredTensor], Dict[str, str]]:
    """(format, tensors, metadata) of a .npy file, a safetensors file or a
    directory of .npy files."""
    if os.path.isdir(path):
        names = sorted(f for f in os.listdir(path) if f.endswith(".npy") and not f.startswith("."))
        return "dir", [read_npy_header(os.path.join(path, f)) for f in names], {}
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        return "npy", [read_npy_header(path)], {}
    return "safetensors", *read_safetensors_header(path)


_READ_AS: Dict[str, np.dtype] = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8"), "float16": np.dtype("<f2"),
            "bfloat16": np.dtype("<u2")}


def tensor_stats(t: StoredTensor, chunk_bytes: int = 16 << 20) -> Optional[Dict[str, float]]:
    """count, mean, std, min, max and the number of non-finite values of a
    floating-point tensor, read in chunks; None for other dtypes."""
    dt: Optional[np.dtype] = _READ_AS.get(t.dtype)
    if dt is None:
        return None
    count, mean, m2 = 0, 0.0, 0.0
    lo, hi, bad = np.inf, -np.inf, 0
    per = max(1, chunk_bytes // dt.itemsize)
    buf = np.empty(per, dtype=dt)
    with open(t.path, "rb", buffering=0) as f:
        f.seek(t.offset)
        left = t.nbytes // dt.itemsize
        while left:
            part = buf[: min(per, left)]
            _read_exact(f, memoryview(part).cast("B"))  # type: ignore[arg-type, unused-ignore]
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


def _read_exact(f: BinaryIO, view: memoryview) -> None:
    while len(view):
        n = f.readinto(view)  # type: ignore[attr-defined]
        if not n:
            raise ValueError("the file ends before its data do (truncated?)")
        view = view[n:]


__all__ = ["AtomicFile", "DEFAULT_CHUNK_MB", "FORMATS", "StoredTensor", "Tensor", "npy_header", "read_tensors", "safetensors_header", "tensor_stats", "write_file"]
