"""Files: streaming generated tensors to .npy, safetensors or a directory of
.npy files with bounded memory, atomically, and reading them back for
``xavier info``.

Memory: two buffers of `chunk_bytes` each.  One is filled by the sampler
(its thread pool, GIL released) while the other is written by a writer
thread, so generation and disk writes overlap.

Atomicity: the data go to an unnamed file in the target's directory
(Linux O_TMPFILE; elsewhere a hidden partial file whose name says which
process wrote it) that is fsync'ed and linked or renamed to the target name
only when complete; an existing target is replaced only with ``force``.
An interrupted or failed run leaves nothing under the target name; a killed
one leaves nothing at all with O_TMPFILE, else a partial that the next run
into the directory removes.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import struct
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Protocol, Sequence, Tuple

import numpy as np

from ._request import TYPES, Request

Progress = Callable[[int], None]
FORMATS = ("npy", "safetensors", "dir")
DEFAULT_CHUNK_MB = 64


@dataclass(frozen=True)
class Tensor:
    """A named request with its stream key."""

    name: str
    request: Request
    key: np.ndarray

    # what Streamer asks of what it writes
    @property
    def size(self) -> int:
        return self.request.size

    @property
    def itemsize(self) -> int:
        return int(self.request.storage.itemsize)

    def fill_range(self, buf: np.ndarray, start: int, threads: int) -> None:
        """Elements ``[start, start + n)`` of the tensor into the bytes `buf`."""
        self.request.fill_range(buf.view(self.request.storage), start, self.key, threads)


class Chunked(Protocol):
    """What a Streamer writes: `size` elements of `itemsize` bytes each,
    produced in ranges by `fill_range`."""

    @property
    def size(self) -> int: ...

    @property
    def itemsize(self) -> int: ...

    def fill_range(self, buf: np.ndarray, start: int, threads: int) -> None: ...


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


def safetensors_prefix(entries: Sequence[Tuple[str, str, Sequence[int], int]],
                       metadata: Dict[str, str]) -> bytes:
    """The safetensors prefix (8-byte little-endian length, then the JSON
    header, space-padded so the data starts 8-byte aligned) of tensors
    given as (name, safetensors dtype, shape, bytes), whose data follow back
    to back in this order."""
    head: Dict[str, Any] = {}
    if metadata:
        head["__metadata__"] = dict(metadata)
    offset = 0
    for name, dtype, shape, nbytes in entries:
        head[name] = {"dtype": dtype, "shape": list(shape),
                      "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(head, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(len(text) + 8) % 8)
    return struct.pack("<Q", len(text)) + text


def safetensors_header(tensors: Sequence[Tensor], metadata: Dict[str, str]) -> bytes:
    """The safetensors prefix of `tensors` (in this order)."""
    return safetensors_prefix([(t.name, TYPES[t.request.code][3], t.request.dims,
                                t.request.nbytes) for t in tensors], metadata)


# ---- atomic output ----------------------------------------------------------
#
# Data are written to an unnamed file (O_TMPFILE) in the target's directory
# and linked under the target name once complete.  Where the file system has
# no O_TMPFILE (overlayfs; other systems), they go to a hidden file named
#     .BASE.xavier-HOST-PID-START-RAND.partial
# HOST hashes the host name; PID and START (the writer's start time in clock
# ticks since boot, 0 where there is no /proc) say whose file it is, so a
# later run into the same directory removes it once that process is gone
# (remove_stale_partials) and never while it runs.  BASE is cut so that the
# name fits NAME_MAX whatever the target's name.

_NAME_MAX = 255
_PARTIAL = re.compile(r"\.xavier-([0-9a-f]{8})-([0-9]+)-([0-9]+)-[0-9a-f]{8}\.partial\Z")
_HAVE_PROC = os.path.exists("/proc/self/stat")


def _start_time(pid: int) -> int:
    """Start time of process `pid` in clock ticks since boot (0 without /proc)."""
    if not _HAVE_PROC:
        return 0
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    # the command name (field 2) may hold spaces and parentheses: count from its end
    return int(stat[stat.rindex(b")") + 2:].split()[19])


def _host_tag() -> str:
    return hashlib.blake2b(socket.gethostname().encode(), digest_size=4).hexdigest()


def _alive(pid: int, start: int) -> bool:
    """Whether process `pid`, started at `start`, still runs (True when unsure)."""
    try:
        if _HAVE_PROC:
            return _start_time(pid) == start     # a reused pid has another start time
        os.kill(pid, 0)
    except (FileNotFoundError, ProcessLookupError):
        return False
    except (OSError, ValueError, IndexError):
        return True
    return True


def partial_name(base: str) -> str:
    """A fresh hidden name for a partial `base` written by this process."""
    pid = os.getpid()
    suffix = f".xavier-{_host_tag()}-{pid}-{_start_time(pid)}-{secrets.token_hex(4)}.partial"
    head = os.fsencode(base)[: _NAME_MAX - 1 - len(suffix)]
    return "." + os.fsdecode(head) + suffix


def remove_stale_partials(directory: str) -> None:
    """Remove partial files and directories in `directory` left by xavier
    processes of this host that no longer run (killed writers)."""
    host = _host_tag()
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        m = _PARTIAL.search(name)
        if not name.startswith(".") or m is None or m.group(1) != host:
            continue
        if _alive(int(m.group(2)), int(m.group(3))):
            continue
        try:
            _remove(os.path.join(directory, name))
        except OSError:
            pass            # gone meanwhile (another run cleaned it), or not ours to remove


def _link_fd(fd: int, path: str) -> None:
    """Give the open file `fd` the name `path` (fails if `path` exists).

    linkat(AT_FDCWD, "/proc/self/fd/N", ..., AT_SYMLINK_FOLLOW), the way man 2
    open documents for O_TMPFILE; a plain link() of that path fails (EXDEV),
    and CPython's os.link calls linkat only when given a directory fd."""
    proc = os.open("/proc/self/fd", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(str(fd), path, src_dir_fd=proc, follow_symlinks=True)
    finally:
        os.close(proc)


_TMPFILE_OK: Dict[int, bool] = {}   # by st_dev: whether O_TMPFILE files link there


def _unnamed_file(directory: str) -> Optional[int]:
    """An unnamed file (O_TMPFILE) in `directory` that can later be linked
    into it, or None where that does not work (no O_TMPFILE, no /proc, or a
    file system such as overlayfs that refuses the link)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not _HAVE_PROC:
        return None
    try:
        fd = os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, 0o666)
    except OSError:
        return None
    dev = os.fstat(fd).st_dev
    if dev not in _TMPFILE_OK:
        probe = os.path.join(directory, partial_name("probe"))
        try:
            _link_fd(fd, probe)
            os.unlink(probe)
            _TMPFILE_OK[dev] = True
        except OSError:
            _TMPFILE_OK[dev] = False
        # a file that had a name is no longer O_TMPFILE: start again
        os.close(fd)
        return _unnamed_file(directory) if _TMPFILE_OK[dev] else None
    if not _TMPFILE_OK[dev]:
        os.close(fd)
        return None
    return fd


# Write-behind: written data are handed to the disk as they come
# (sync_file_range(2), SYNC_FILE_RANGE_WRITE, from _WRITE_BEHIND_MIN bytes on),
# and once _WRITE_BEHIND further bytes are written, waited for and dropped
# from the page cache (posix_fadvise DONTNEED).  Left alone, the kernel
# lets gigabytes of dirty pages pile up, then throttles the writer and
# flushes them at the closing fsync: measured here, 4 GiB written in 64 MiB
# pieces took 0.65-1.5 GiB/s so, and 2.5-2.9 GiB/s with write-behind.
# Python's os module has no sync_file_range; it is called through ctypes
# (Linux; elsewhere the writes are plain).
_WRITE_BEHIND = 64 * 2**20
_WRITE_BEHIND_MIN = 8 * 2**20
_SYNC_WRITE, _SYNC_WAIT = 2, 1 | 2 | 4   # SYNC_FILE_RANGE_WRITE; WAIT_BEFORE|WRITE|WAIT_AFTER


def _sync_file_range() -> Optional[Callable[[int, int, int, int], int]]:
    try:
        import ctypes
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return, unused-ignore]


_sync_range = _sync_file_range()


class StagedFile:
    """A file being written in `directory`: unnamed where the file system
    allows (nothing is left if the process dies), else under a partial name;
    :meth:`link` names it once it is complete."""

    def __init__(self, directory: str, base: str) -> None:
        self.dir = directory
        self.tmpname: Optional[str] = None
        fd = _unnamed_file(directory)
        if fd is None:
            self.tmpname = os.path.join(directory, partial_name(base))
            fd = os.open(self.tmpname, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                         0o666)
        self.fd = fd
        self.size = 0            # bytes written
        self.started = 0         # ... of which handed to the disk
        self.settled = 0         # ... of which on disk and out of the page cache
        self.behind = _sync_range is not None

    def write(self, data: memoryview) -> None:
        """Write all of `data` (partial writes are continued)."""
        self.size += len(data)
        while len(data):
            n = os.write(self.fd, data)
            data = data[n:]
        if self.behind and self.size - self.started >= _WRITE_BEHIND_MIN:
            self._write_behind()

    def _write_behind(self) -> None:
        assert _sync_range is not None
        if _sync_range(self.fd, self.started, self.size - self.started, _SYNC_WRITE) != 0:
            self.behind = False     # (a file system without it: plain writes)
            return
        self.started = self.size
        upto = self.started - _WRITE_BEHIND
        if upto - self.settled >= _WRITE_BEHIND_MIN:
            if _sync_range(self.fd, self.settled, upto - self.settled, _SYNC_WAIT) == 0:
                try:
                    os.posix_fadvise(self.fd, self.settled, upto - self.settled,
                                     os.POSIX_FADV_DONTNEED)
                except (AttributeError, OSError):
                    pass
            self.settled = upto

    def link(self, path: str, replace: bool) -> None:
        """Make the file durable and name it `path` (in the same file system).
        Without `replace`, an existing `path` is never touched: FileExistsError."""
        os.fsync(self.fd)
        if replace:
            if self.tmpname is None:
                tmp = os.path.join(os.path.dirname(path), partial_name(os.path.basename(path)))
                _link_fd(self.fd, tmp)
                self.tmpname = tmp
            os.replace(self.tmpname, path)           # atomic: the old file or the new one
        else:
            try:
                if self.tmpname is None:
                    _link_fd(self.fd, path)
                else:
                    os.link(self.tmpname, path)
            except FileExistsError:
                raise _appeared(path) from None
            if self.tmpname is not None:
                os.unlink(self.tmpname)
        self.tmpname = None
        self.discard()

    def discard(self) -> None:
        """Drop the file if it has no name yet; close it."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.tmpname is not None:
            try:
                os.unlink(self.tmpname)
            except FileNotFoundError:
                pass
            self.tmpname = None


def _appeared(path: str) -> FileExistsError:
    return FileExistsError(errno.EEXIST, "the output exists (it appeared while this run was "
                                         "writing; use --force to overwrite)", path)


class AtomicFile(StagedFile):
    """A file that appears under `path` only once :meth:`commit` succeeds;
    an existing `path` is replaced (atomically) only with `force`."""

    def __init__(self, path: str, force: bool = False) -> None:
        self.path = os.path.abspath(path)
        self.force = force
        if os.path.isdir(self.path):
            raise IsADirectoryError(errno.EISDIR, "the output is a directory", path)
        if os.path.lexists(self.path) and not force:
            raise FileExistsError(errno.EEXIST, "the output exists (use --force to overwrite)",
                                  path)
        super().__init__(os.path.dirname(self.path), os.path.basename(self.path))

    def commit(self) -> None:
        """Make the file durable and give it its name."""
        self.link(self.path, self.force)
        sync_dir(self.dir)


def write_bytes(path: str, data: bytes) -> None:
    """Write the small file `path` atomically (complete or not at all),
    overwriting it."""
    f = AtomicFile(path, force=True)
    try:
        f.write(memoryview(data))
        f.commit()
    finally:
        f.discard()


# renameat2(2) flags (Linux >= 3.15; ext4, tmpfs, xfs, btrfs)
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2


def _renameat2(src: str, dst: str, flags: int) -> bool:
    """renameat2(src, dst, flags); False where the system or the file system
    lacks it (then nothing was done)."""
    try:
        import ctypes
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (ImportError, OSError, AttributeError, TypeError):
        return False
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(err, os.strerror(err), dst)


def _remove(path: str) -> None:
    """Remove a file, a symbolic link (not its target) or a directory tree."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        os.unlink(path)


def _rename_dir(src: str, dst: str, force: bool) -> None:
    """Rename the directory `src` to `dst`.  Without `force` an existing
    `dst` is never removed or replaced (FileExistsError); with `force` an
    existing directory `dst` is swapped out atomically, then removed."""
    try:
        if _renameat2(src, dst, _RENAME_NOREPLACE):
            return
    except OSError as e:
        if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
        if not force:
            raise _appeared(dst) from None
        if not os.path.isdir(dst):
            raise FileExistsError(errno.EEXIST, "the output exists and is not a directory",
                                  dst) from None
        if _renameat2(src, dst, _RENAME_EXCHANGE):
            _remove(src)                               # src now holds the old output
            return
    # No renameat2 here: a checked rename.  rename() refuses a non-empty
    # directory or a file as `dst`; it would replace an empty directory made
    # in the instant since the check, which holds nothing to lose.
    if os.path.lexists(dst):
        if not force:
            raise _appeared(dst)
        old = os.path.join(os.path.dirname(dst), partial_name(os.path.basename(dst)))
        os.rename(dst, old)
        os.rename(src, dst)
        _remove(old)
        return
    try:
        os.rename(src, dst)
    except OSError as e:
        if e.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
            raise _appeared(dst) from None
        raise


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
        need, have = _size(nbytes), _size(free)
        if need == have:  # rounded alike: the exact counts say which is larger
            need, have = f"{nbytes} bytes", f"{free} bytes"
        raise OSError(errno.ENOSPC,
                      f"not enough free disk space: the output needs {need} but "
                      f"{directory} has {have} free")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


# ---- streaming --------------------------------------------------------------

class Streamer:
    """Writes tensors' data through two buffers of at most `chunk_bytes`
    (never more than a tensor needs): the sampler fills one while a writer
    thread writes the other."""

    def __init__(self, chunk_bytes: int, threads: int, progress: Optional[Progress]) -> None:
        if chunk_bytes < 1:
            raise ValueError("chunk_bytes must be >= 1")
        self.chunk_bytes = chunk_bytes
        self.threads = threads
        self.progress = progress
        self._bufs: List[Optional[np.ndarray]] = [None, None]

    def _buffer(self, i: int, nbytes: int) -> np.ndarray:
        """`nbytes` bytes of buffer `i` (8-byte aligned, so any dtype's view is)."""
        buf = self._bufs[i]
        if buf is None or buf.nbytes < nbytes:  # allocated on first use: small outputs stay small
            buf = self._bufs[i] = np.empty(-(-nbytes // 8), dtype=np.uint64)
        return buf.view(np.uint8)[:nbytes]

    def write(self, out: StagedFile, tensors: Sequence[Chunked],
              prefix: Sequence[bytes] = ()) -> None:
        """`prefix` (headers) and then each tensor's data, into `out`."""
        with ThreadPoolExecutor(1, thread_name_prefix="xavier-writer") as pool:
            pending: Optional[Future[None]] = None
            try:
                for data in prefix:
                    out.write(memoryview(data))
                for i, (tensor, start, n) in enumerate(self._chunks(tensors)):
                    buf = self._buffer(i % 2, n * tensor.itemsize)
                    tensor.fill_range(buf, start, self.threads)
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

    def _chunks(self, tensors: Sequence[Chunked]) -> Iterator[Tuple[Chunked, int, int]]:
        """(tensor, first element, element count) of each chunk, in file order."""
        for t in tensors:
            per = max(1, self.chunk_bytes // t.itemsize)
            for start in range(0, t.size, per):
                yield t, start, min(per, t.size - start)


def output_bytes(fmt: str, tensors: Sequence[Tensor], metadata: Dict[str, str]) -> int:
    """The size of the output: headers plus data."""
    data = sum(t.request.nbytes for t in tensors)
    if fmt == "safetensors":
        return len(safetensors_header(tensors, metadata)) + data
    return sum(len(npy_header(t.request)) for t in tensors) + data


def reserved_key(key: str) -> bool:
    """Metadata keys that xavier writes itself (a spec may not set them)."""
    return key == "format" or key.startswith("xavier.")


def unique_keys(pairs: List[Tuple[str, Any]],
                error: Callable[[str], Exception]) -> Dict[str, Any]:
    """A JSON object's dict (an ``object_pairs_hook``); a key given twice
    raises ``error(key)``: the json module would keep the last silently."""
    obj: Dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise error(key)
        obj[key] = value
    return obj


# ---- checks before anything is written --------------------------------------

class OutputError(ValueError):
    """An output that cannot be written as asked (found before writing)."""


# What the official readers take: NumPy arrays of at most 64 dims (32 before
# NumPy 2) whose dims and byte counts fit in a signed 64-bit integer;
# safetensors headers of at most 100,000,000 bytes with no tensor called
# "__metadata__" (the reserved key).
MAX_RANK = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32
INT64_MAX = 2**63 - 1
SAFETENSORS_HEADER_MAX = 100_000_000


def _short(name: str, limit: int = 60) -> str:
    r = repr(name)
    return r if len(r) <= limit else r[: limit - 5] + "...'" + f" ({len(name)} characters)"


def check_output(path: str, fmt: str, tensors: Sequence[Tensor], metadata: Dict[str, str],
                 force: bool) -> None:
    """Everything about the output that can be known before writing:
    OutputError (a ValueError) for what cannot be written, FileExistsError for
    an existing output without `force`.  Stale partial files of killed
    writers in the output's directory are removed."""
    if fmt not in FORMATS:
        raise OutputError(f"format must be one of {FORMATS}, got {fmt!r}")
    if fmt == "npy" and len(tensors) != 1:
        raise OutputError(f"a .npy file holds one tensor, got {len(tensors)}")
    check_parent(path)
    for t in tensors:
        dims = t.request.dims
        if len(dims) > MAX_RANK:
            raise OutputError(f"tensor {_short(t.name)} has {len(dims)} dims; NumPy reads at "
                              f"most {MAX_RANK}")
        if any(d > INT64_MAX for d in dims) or t.request.nbytes > INT64_MAX:
            raise OutputError(f"tensor {_short(t.name)} of shape {dims} is too large: its dims "
                              "and byte count must fit in a signed 64-bit integer")
    if fmt == "dir":
        check_dir_names(tensors)
    if fmt == "safetensors":
        for t in tensors:
            if t.name == "__metadata__":
                raise OutputError("a tensor cannot be called '__metadata__' in a safetensors "
                                  "file (the format reserves that key)")
        check_header_size(safetensors_header(tensors, metadata))
    check_existing(path, fmt == "dir", force)


def check_parent(path: str) -> None:
    """OutputError unless `path` can be created: its directory exists and
    its name fits the file system."""
    parent, base = os.path.split(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputError(f"cannot write {path}: its directory {parent} does not exist"
                          if not os.path.lexists(parent) else
                          f"cannot write {path}: {parent} is not a directory")
    if len(os.fsencode(base)) > _NAME_MAX:
        raise OutputError(f"cannot write {_short(path)}: the name is longer than {_NAME_MAX} bytes")


def check_existing(path: str, directory: bool, force: bool) -> None:
    """FileExistsError for an existing `path` without `force`, or of the other
    kind (a file for a directory output, or the reverse); then stale partial
    files of killed writers beside it are removed."""
    target = os.path.abspath(path)
    if os.path.lexists(target):
        if not force:
            raise FileExistsError(errno.EEXIST, "the output exists (use --force to overwrite)",
                                  path)
        if directory != os.path.isdir(target):
            raise FileExistsError(errno.EEXIST, "the output exists and is not a directory"
                                  if directory else "the output is a directory", path)
    remove_stale_partials(os.path.dirname(target))


def check_header_size(prefix: bytes) -> None:
    """OutputError for a safetensors header larger than readers take."""
    n = len(prefix) - 8
    if n > SAFETENSORS_HEADER_MAX:
        raise OutputError(f"the safetensors header would be {n} bytes; readers refuse more "
                          f"than {SAFETENSORS_HEADER_MAX} (fewer tensors or less metadata)")


def check_dir_names(tensors: Sequence[Tensor]) -> None:
    """Tensor names must be usable as file names (NAME.npy) in a directory."""
    seen = set()
    for t in tensors:
        n = t.name
        if not n or "/" in n or "\\" in n or "\0" in n or n in (".", "..") or n.startswith("."):
            raise OutputError(f"tensor name {_short(n)} cannot be a file name in an output "
                              "directory (no '/', '\\\\', NUL or leading '.'); write a "
                              ".safetensors file")
        if len(os.fsencode(n + ".npy")) > _NAME_MAX:
            raise OutputError(f"tensor name {_short(n)} is too long for a file name ({n}.npy "
                              f"must fit in {_NAME_MAX} bytes); write a .safetensors file")
        if n.lower() in seen:
            raise OutputError(f"tensor names {_short(n)} and another differ only in case")
        seen.add(n.lower())


# ---- writing ----------------------------------------------------------------

def safetensors_order(tensors: Sequence[Tensor]) -> List[Tensor]:
    """The tensors in file order: larger items first (stable), so each
    tensor's data start at a multiple of its item size, as the official
    writer arranges them (offsets must be contiguous: no padding between)."""
    return sorted(tensors, key=lambda t: -t.request.storage.itemsize)


def write_file(path: str, fmt: str, tensors: Sequence[Tensor], metadata: Dict[str, str],
               chunk_bytes: int, threads: int, force: bool = False,
               progress: Optional[Progress] = None) -> None:
    """Write `tensors` to `path` as one .npy (a single tensor), a safetensors
    file or (``fmt="dir"``) a directory of NAME.npy files."""
    check_output(path, fmt, tensors, metadata, force)
    if fmt == "dir":
        _write_dir(path, tensors, chunk_bytes, threads, force, progress)
        return
    parent = os.path.dirname(os.path.abspath(path))
    out = AtomicFile(path, force)
    try:
        check_free_space(parent, output_bytes(fmt, tensors, metadata))
        if fmt == "safetensors":
            tensors = safetensors_order(tensors)
            prefix = [safetensors_header(tensors, metadata)]
        else:
            prefix = [npy_header(tensors[0].request)]
        Streamer(chunk_bytes, threads, progress).write(out, tensors, prefix)
        out.commit()
    finally:
        out.discard()


# Unnamed files held open at once in directory mode; past this many, they are
# linked into a (partial) staging directory as they are done.
_HELD_MAX = 256


def _write_dir(path: str, tensors: Sequence[Tensor], chunk_bytes: int, threads: int,
               force: bool, progress: Optional[Progress]) -> None:
    """Each tensor to an unnamed file; once all are done, a hidden staging
    directory gets their names and is renamed to `path`.  A killed run so
    leaves nothing behind (up to _HELD_MAX tensors, on O_TMPFILE file
    systems) or a partial directory that a later run removes."""
    target = os.path.abspath(path)
    parent, base = os.path.split(target)
    check_free_space(parent, output_bytes("dir", tensors, {}))
    streamer = Streamer(chunk_bytes, threads, progress)
    held: List[Tuple[str, StagedFile]] = []
    staging: Optional[str] = None

    def name_held() -> str:
        nonlocal staging
        if staging is None:
            stage = os.path.join(parent, partial_name(base))
            os.mkdir(stage)
            staging = stage
        for name, f in held:
            f.link(os.path.join(staging, name + ".npy"), replace=False)
        held.clear()
        return staging

    try:
        for t in tensors:
            f = StagedFile(parent, base)
            held.append((t.name, f))
            streamer.write(f, [t], [npy_header(t.request)])
            if f.tmpname is not None or len(held) >= _HELD_MAX:
                name_held()
        sync_dir(name_held())
        assert staging is not None
        _rename_dir(staging, target, force)
        staging = None
        sync_dir(parent)
    finally:
        for _, f in held:
            f.discard()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


__all__ = ["AtomicFile", "DEFAULT_CHUNK_MB", "FORMATS", "OutputError", "StagedFile", "Tensor",
           "check_output", "npy_header", "safetensors_header", "write_bytes", "write_file"]
