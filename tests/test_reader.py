"""`xavier info`'s reader (xavier._reader) on hostile input.

* Fuzz (hypothesis): .npy and safetensors files made by the writers (np.save,
  safetensors.numpy) or by hand, then mutated (random JSON in every header
  field, wrong types, huge / negative / overlapping numbers, deep nesting,
  duplicate keys, truncation, appended and flipped bytes, random bytes).  Each
  case runs in a child process with an address-space limit and a per-case
  watchdog, next to the reference reader (np.load, safetensors.safe_open):
  the reader must accept what the reference accepts, with the same tensors
  and statistics, and refuse what it refuses with a one-line FormatError;
  never a hang, crash, traceback or large allocation.  Two deliberate
  differences: duplicate JSON keys and extra fields in a safetensors tensor
  entry are refused (the reference keeps the last key, ignores the field), and
  so are a .npy file with bytes after its data (np.load ignores them) and a
  negative dimension (np.load reads -2**63 as 0).
* tests/corpus: every defect seen so far, run through `xavier info` in
  process and as ``python -m xavier``: exit 2, one line, no traceback.
* FIFOs (as the argument, as a directory's ``x.npy``, via symlinks) and other
  non-regular entries are refused promptly, in subprocesses with timeouts.

CI runs 200 fixed examples per fuzz test; XAVIER_HYPOTHESIS_EXAMPLES=N for
more, XAVIER_HYPOTHESIS_RANDOM=1 for fresh random ones on each run.
"""
import importlib.util
import io
import json
import math
import os
import select
import struct
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
safetensors = pytest.importorskip("safetensors")
from hypothesis import HealthCheck, event, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from safetensors.numpy import save as st_save  # noqa: E402
from support import hypothesis_settings  # noqa: E402

from xavier import _cli, _reader  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, RLIMIT_AS, /proc")

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
_spec = importlib.util.spec_from_file_location("make_corpus",
                                               os.path.join(CORPUS, "make_corpus.py"))
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

SETTINGS = hypothesis_settings(200, HealthCheck.data_too_large)

MEMORY_LIMIT = 1 << 30      # address space a case may add to the worker
CASE_SECONDS = 10           # the worker's watchdog; the parent waits longer
FLOAT_LABELS = {"F16": "float16", "F32": "float32", "F64": "float64", "BF16": "bfloat16"}
NPY_LABELS = {"<f4": "float32", "<f8": "float64", "<f2": "float16", "<V2": "bfloat16"}


# ---- the worker: reader and reference side by side, under limits ---------------------

def _stats(x):
    """Reference statistics of a float array (as xavier info reports them)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    finite = x[np.isfinite(x)]
    nan = float("nan")
    return {"count": int(finite.size), "nonfinite": int(x.size - finite.size),
            "mean": float(finite.mean()) if finite.size else nan,
            "std": float(finite.std()) if finite.size else nan,
            "min": float(finite.min()) if finite.size else nan,
            "max": float(finite.max()) if finite.size else nan}


def _bf16(raw):
    return (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)


def _ours(path):
    try:
        fmt, tensors, metadata = _reader.read_tensors(path)
        stats = [_reader.tensor_stats(t, chunk_bytes=24) for t in tensors]
    except _reader.FormatError as e:
        return {"error": str(e)}
    except BaseException:  # anything else is a failure: report it whole
        import traceback
        return {"crash": traceback.format_exc()}
    return {"format": fmt, "metadata": metadata, "stats": stats,
            "tensors": [[t.name, t.dtype, list(t.shape), t.offset, t.nbytes] for t in tensors]}


def _reference(kind, path):
    from safetensors import safe_open
    try:
        if kind == "npy":
            arr = np.load(path, allow_pickle=False)
            with open(path, "rb") as f:
                head = f.read(12)
            offset = (10 + struct.unpack("<H", head[8:10])[0] if head[6] == 1
                      else 12 + struct.unpack("<I", head[8:12])[0])
            descr = str(np.lib.format.dtype_to_descr(arr.dtype)).replace("|V2", "<V2")
            stats = None
            if descr in NPY_LABELS:
                stats = _stats(_bf16(arr.tobytes()) if descr == "<V2" else arr)
            return {"ok": True, "shape": list(arr.shape), "nbytes": int(arr.nbytes),
                    "label": NPY_LABELS.get(descr, str(arr.dtype)), "stats": stats,
                    "exact": os.path.getsize(path) == offset + arr.nbytes}
        tensors = {}
        with safe_open(path, "np") as f:
            metadata = f.metadata() or {}
            for name in f.keys():
                s = f.get_slice(name)
                tensors[name] = [s.get_dtype(), list(s.get_shape()), None]
        with open(path, "rb") as f:
            for name, t in safetensors.deserialize(f.read()):
                if t["dtype"] in FLOAT_LABELS:
                    raw = bytes(t["data"])
                    tensors[name][2] = _stats(_bf16(raw) if t["dtype"] == "BF16" else np.frombuffer(
                        raw, {"F16": "<f2", "F32": "<f4", "F64": "<f8"}[t["dtype"]]))
        return {"ok": True, "tensors": tensors, "metadata": metadata}
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}


def _worker_main():
    """Reads (kind, path) lines, answers one JSON line each: the reader's and
    the reference's results."""
    import faulthandler
    import resource
    import warnings
    warnings.simplefilter("ignore")      # np.load's Python 2 header warning
    used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + MEMORY_LIMIT
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY
                                            else min(limit, hard), hard))
    for line in sys.stdin:
        kind, path = json.loads(line)
        faulthandler.dump_traceback_later(CASE_SECONDS, exit=True)
        result = {"ours": _ours(path), "ref": _reference(kind, path)}
        faulthandler.cancel_dump_traceback_later()
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


class Worker:
    """The child process running the cases; restarted after a failure."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None

    def start(self):
        self.err = open(os.path.join(self.tmp, "worker.err"), "w+")
        code = (f"import sys; sys.path.insert(0, {HERE!r}); import test_reader; "
                "test_reader._worker_main()")
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        # run outside the source tree, so the installed package is the one imported
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True, env=env,
                                     cwd=self.tmp)

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.err.close()

    def run(self, kind, data):
        path = os.path.join(self.tmp, "case." + ("npy" if kind == "npy" else "safetensors"))
        with open(path, "wb") as f:
            f.write(data)
        if self.proc is None:
            self.start()
        self.proc.stdin.write(json.dumps([kind, path]) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], 3 * CASE_SECONDS + 30)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.err.seek(0)
            why = "hung" if not ready else "died"
            tail = self.err.read()[-3000:]
            self.stop()
            pytest.fail(f"the worker {why} on {data[:200]!r}...:\n{tail}")
        return path, json.loads(line)


@pytest.fixture(scope="module")
def worker():
    with tempfile.TemporaryDirectory() as tmp:
        w = Worker(tmp)
        yield w
        w.stop()


def _assert_one_line(message, path):
    assert message and "\n" not in message.strip() and "Traceback" not in message, message
    assert path in message, message


def _same_stats(ours, ref):
    assert (ours["count"], ours["nonfinite"]) == (ref["count"], ref["nonfinite"])
    if not ref["count"]:
        return
    assert (ours["min"], ours["max"]) == (ref["min"], ref["max"])
    scale = max(abs(ref["min"]), abs(ref["max"]), 1.0)
    if scale < 1e150:   # beyond, sums of squares overflow differently
        for k in ("mean", "std"):
            assert math.isclose(ours[k], ref[k], rel_tol=1e-6, abs_tol=1e-9 * scale), (k, ours, ref)


def check(worker, kind, data, valid):
    """Run one case; `valid`: the file is valid by construction."""
    path, r = worker.run(kind, data)
    ours, ref = r["ours"], r["ref"]
    assert "crash" not in ours, ours["crash"]
    if kind == "npy":
        # deliberate: negative dimensions are refused (np.load reads -2**63 as 0)
        accept = ref["ok"] and ref["exact"] and "negative dimension" not in ours.get("error", "")
    else:
        # deliberate: duplicate keys and extra fields are refused
        accept = ref["ok"] and not ("error" in ours and (
            "duplicate key" in ours["error"]
            or " instead of dtype, shape, data_offsets" in ours["error"]))
    assert not valid or accept, ref
    event("accepted" if accept else "refused")   # see pytest --hypothesis-show-statistics
    if not accept:
        assert "error" in ours, (ours, ref)
        _assert_one_line(ours["error"], path)
        return
    assert "error" not in ours, (ours["error"], ref)
    if kind == "npy":
        (name, label, shape, offset, nbytes), = ours["tensors"]
        assert ours["format"] == "npy"
        assert (shape, nbytes) == (ref["shape"], ref["nbytes"])
        assert label.split(" (Fortran order)")[0] == ref["label"]
        if ours["stats"][0] is not None:
            _same_stats(ours["stats"][0], ref["stats"])
        return
    assert ours["format"] == "safetensors" and ours["metadata"] == ref["metadata"]
    assert sorted(t[0] for t in ours["tensors"]) == sorted(ref["tensors"])
    assert [t[3] for t in ours["tensors"]] == sorted(t[3] for t in ours["tensors"])
    for (name, label, shape, _, _), stats in zip(ours["tensors"], ours["stats"]):
        dtype, ref_shape, ref_stats = ref["tensors"][name]
        assert (label, shape) == (FLOAT_LABELS.get(dtype, dtype), ref_shape)
        assert (stats is None) == (ref_stats is None)
        if stats is not None:
            _same_stats(stats, ref_stats)


# ---- strategies -----------------------------------------------------------------------

EDGES = [0, 1, 2, 3, 7, 8, 9, 16, -1, -8, 2**31, 2**32 - 1, 2**32, 2**40, 2**53 + 1, 2**62,
         2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**70, -2**63, -1099511627776]
INTS = st.sampled_from(EDGES) | st.integers(0, 64) | st.integers(-2**66, 2**66)
JSON = st.recursive(st.none() | st.booleans() | INTS | st.floats() | st.text(max_size=6),
                    lambda c: (st.lists(c, max_size=3)
                               | st.dictionaries(st.text(max_size=5), c, max_size=3)),
                    max_leaves=8)
NEST = "\0nest\0"   # placeholder replaced by deeply nested brackets after json.dumps

BYTE_MUTATIONS = ["truncate", "append", "flip", "random"]


def mutate_bytes(draw, data, how):
    if how == "truncate":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if how == "append":
        return data + draw(st.binary(min_size=1, max_size=16))
    if how == "flip":
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            if buf:
                buf[draw(st.integers(0, len(buf) - 1))] = draw(st.integers(0, 255))
        return bytes(buf)
    return draw(st.binary(max_size=64))


ST_DTYPES = sorted(_reader._ST_BITS)
NP_DTYPES = ["<f2", "<f4", "<f8", "|i1", "<i4", "<u8", "|b1"]


@st.composite
def safetensors_cases(draw):
    """(file bytes, valid by construction)."""
    metadata = draw(st.none() | st.dictionaries(st.text(max_size=6), st.text(max_size=6),
                                                max_size=3))
    names = st.text(max_size=8).filter(lambda s: s != "__metadata__")
    if draw(st.booleans()):   # the writer
        arrays = draw(st.dictionaries(names, st.sampled_from(NP_DTYPES).flatmap(
            lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                       max_side=4))),
            max_size=4))
        # safetensors 0.8 writes an unreadable header for no tensors and metadata {}
        # (its issues #466, #601)
        data = st_save(arrays, metadata=metadata if arrays or metadata else None)
        (n,) = struct.unpack("<Q", data[:8])
        head, body = json.loads(data[8: 8 + n]), data[8 + n:]
    else:                     # by hand: every dtype, tensors in any order
        entries = draw(st.lists(st.tuples(names, st.sampled_from(ST_DTYPES),
                                          st.lists(st.integers(0, 4), max_size=3)),
                                max_size=4, unique_by=lambda e: e[0]))
        head, body = {}, b""
        if metadata is not None:
            head["__metadata__"] = metadata
        for name, dtype, shape in entries:
            if math.prod(shape) * _reader._ST_BITS[dtype] % 8:
                shape = shape + [8]
            size = math.prod(shape) * _reader._ST_BITS[dtype] // 8
            head[name] = {"dtype": dtype, "shape": shape,
                          "data_offsets": [len(body), len(body) + size]}
            body += draw(st.binary(min_size=size, max_size=size))
        keys = draw(st.permutations(list(head)))
        head = {k: head[k] for k in keys}
    how = draw(st.sampled_from(["none"] * 4 + ["field", "offsets", "shape", "entry", "top", "nest",
                                               "duplicate", "length"] + BYTE_MUTATIONS))
    tensors = [k for k in head if k != "__metadata__"]
    if how in ("field", "offsets", "shape", "entry", "nest") and tensors:
        name = draw(st.sampled_from(tensors))
        entry = head[name] = dict(head[name])
        if how == "field":
            field = draw(st.sampled_from(["dtype", "shape", "data_offsets", "x", "__metadata__"]))
            if field == "__metadata__":
                head[field] = draw(JSON)
            elif draw(st.booleans()):
                entry[field] = draw(JSON)
            else:
                entry.pop(field, None)
        elif how == "offsets":
            begin, end = entry["data_offsets"]
            entry["data_offsets"] = draw(st.lists(INTS, min_size=2, max_size=2) | st.tuples(
                st.integers(-3, 3), st.integers(-3, 3)).map(lambda d: [begin + d[0], end + d[1]]))
        elif how == "shape":
            entry["shape"] = draw(st.lists(INTS, max_size=4))
        elif how == "entry":
            head[name] = draw(JSON)
        else:
            entry[draw(st.sampled_from(["shape", "dtype", "x"]))] = NEST
    elif how == "top":
        head = draw(JSON)
    text = json.dumps(head, ensure_ascii=draw(st.booleans()))
    if how == "nest":
        depth = draw(st.integers(1, 3000))
        text = text.replace(json.dumps(NEST), "[" * depth + "]" * depth)
    if how == "duplicate" and tensors:
        name = draw(st.sampled_from(tensors))
        text = "{%s:%s,%s" % (json.dumps(name), json.dumps(head[name]), text[1:])
    raw = text.encode("utf-8", "surrogatepass")
    raw += b" " * draw(st.integers(0, 7))
    data = struct.pack("<Q", len(raw)) + raw + body
    if how == "length":
        n = draw(st.sampled_from(EDGES).filter(lambda v: v >= 0)
                 | st.integers(len(raw) - 8, len(raw) + 8))
        data = struct.pack("<Q", n % 2**64) + data[8:]
    elif how in BYTE_MUTATIONS:
        data = mutate_bytes(draw, data, how)
    return data, how == "none"


DESCRS = ["<f4", "<f8", "<f2", "|V2", ">f8", "|O", "<i8", "|b1", "<U2", "|S0", "|V0", "<f16", "x",
          "", [("a", "<f4")], [("a", "|O")], ("<f4", (2,)), [("a", "<f4", (2**40,))],
          [("\u20ac", "<f4")]]


def npy_bytes(descr, fortran, shape, body, version):
    header = repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    return make_corpus.npy(header.encode("utf-8" if version == (3, 0) else "latin1", "replace"),
                           body, version)


@st.composite
def npy_cases(draw):
    """(file bytes, valid by construction)."""
    if draw(st.booleans()):   # the writer
        dtype = draw(st.sampled_from(NP_DTYPES + [">f4", "<c8", "|V2", "<U3",
                                                  [("a", "<f4"), ("b", "<i2")],
                                                  [("\u20ac", "<f4")]]))
        arr = draw(hnp.arrays("<u2" if dtype == "|V2" else np.dtype(dtype), hnp.array_shapes(
            min_dims=0, max_dims=3, min_side=0, max_side=4))).view(dtype)   # bfloat16 bits as V2
        if draw(st.booleans()):
            arr = np.asfortranarray(arr)
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Stored array in format 3.0"
            np.save(buf, arr)
        data = buf.getvalue()
    else:
        descr = draw(st.sampled_from(["<f4", "<f8", "<f2", "|V2", "<i2", "|u1"]))
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
        size = math.prod(shape) * np.dtype(descr).itemsize
        data = npy_bytes(descr, draw(st.booleans()), shape,
                         draw(st.binary(min_size=size, max_size=size)),
                         draw(st.sampled_from([(1, 0), (2, 0), (3, 0)])))
    how = draw(st.sampled_from(["none"] * 3 + ["header", "text", "version", "length"]
                               + BYTE_MUTATIONS))
    if how == "header":
        shape = draw(st.lists(INTS, max_size=4).map(tuple) | JSON)
        descr = draw(st.sampled_from(DESCRS) | st.text(max_size=5))
        fortran = draw(st.booleans() | JSON)
        version = draw(st.sampled_from([(1, 0), (2, 0), (3, 0)]))
        data = npy_bytes(descr, fortran, shape, draw(st.binary(max_size=64)), version)
    elif how == "text":
        data = make_corpus.npy(draw(st.text(max_size=80)).encode("utf-8"),
                               draw(st.binary(max_size=16)),
                               draw(st.sampled_from([(1, 0), (2, 0), (3, 0)])))
    elif how == "version":
        data = (data[:6] + bytes(draw(st.lists(st.integers(0, 255), min_size=2, max_size=2)))
                + data[8:])
    elif how == "length":
        n = draw(st.sampled_from(EDGES) | st.integers(0, 200))
        wide = data[6] != 1
        data = (data[:8] + struct.pack("<I" if wide else "<H", n % (2**32 if wide else 2**16))
                + data[(12 if wide else 10):])
    elif how in BYTE_MUTATIONS:
        data = mutate_bytes(draw, data, how)
    return data, how == "none"


@SETTINGS
@given(case=safetensors_cases())
def test_fuzz_safetensors(worker, case):
    check(worker, "safetensors", *case)


@SETTINGS
@given(case=npy_cases())
def test_fuzz_npy(worker, case):
    check(worker, "npy", *case)


# ---- the corpus -------------------------------------------------------------------------

CORPUS_FILES = sorted(f for f in os.listdir(CORPUS)
                      if not f.endswith(".py") and not f.startswith("."))


def test_corpus_is_what_its_script_makes():
    cases = make_corpus.cases()
    assert sorted(cases) == CORPUS_FILES
    for name, data in cases.items():
        with open(os.path.join(CORPUS, name), "rb") as f:
            assert f.read() == data, name


def info(*argv, timeout=60):
    # run outside the source tree, so the installed package is the one imported
    return subprocess.run([sys.executable, "-m", "xavier", "info", *map(str, argv)],
                          capture_output=True, text=True, timeout=timeout,
                          cwd=tempfile.gettempdir())


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_file_is_refused_in_one_line(name, capsys):
    path = os.path.join(CORPUS, name)
    r = info(path)     # first in a subprocess: a regression cannot hang the suite
    assert r.returncode == 2 and not r.stdout, r
    _assert_one_line(r.stderr, path)
    assert _cli.main(["info", path]) == 2
    err = capsys.readouterr().err
    assert err == r.stderr
    assert err.startswith("xavier: error: ")


# ---- paths that are not regular files ------------------------------------------------------

def _fifo_layout(tmp_path, layout):
    """(argument, the path the error must name)."""
    d = tmp_path / "d"
    d.mkdir()
    np.save(d / "a.npy", np.ones(3, np.float32))
    if layout == "argument":
        os.mkfifo(tmp_path / "p.npy")
        return tmp_path / "p.npy", tmp_path / "p.npy"
    os.mkfifo(tmp_path / "p")
    if layout == "symlinked argument":
        os.symlink(tmp_path / "p", tmp_path / "w.safetensors")
        return tmp_path / "w.safetensors", tmp_path / "w.safetensors"
    if layout == "entry":
        os.mkfifo(d / "x.npy")
    else:
        os.symlink(tmp_path / "p", d / "x.npy")
    return d, d / "x.npy"


@pytest.mark.parametrize("layout", ["argument", "symlinked argument", "entry", "symlinked entry"])
def test_a_fifo_is_refused_without_blocking(tmp_path, layout):
    arg, named = _fifo_layout(tmp_path, layout)
    r = info(arg)
    assert r.returncode == 2, r
    _assert_one_line(r.stderr, str(named))
    assert "FIFO" in r.stderr


@pytest.mark.parametrize("entry,kind", [("sub.npy", "a directory"), ("dirlink.npy", "a directory"),
                                        ("null.npy", "a character device")])
def test_other_entries_that_are_not_regular_files_are_refused(tmp_path, entry, kind):
    d = tmp_path / "d"
    d.mkdir()
    np.save(d / "a.npy", np.ones(3, np.float32))
    if entry == "sub.npy":
        (d / entry).mkdir()
    else:
        os.symlink(tmp_path if entry == "dirlink.npy" else "/dev/null", d / entry)
    r = info(d)
    assert r.returncode == 2, r
    _assert_one_line(r.stderr, str(d / entry))
    assert kind in r.stderr


def test_a_directory_reads_regular_files_and_symlinks_and_skips_the_rest(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    w = np.arange(6, dtype=np.float64).reshape(2, 3)
    np.save(tmp_path / "real.npy", w)
    os.symlink(tmp_path / "real.npy", d / "b.npy")
    np.save(d / "a.npy", np.ones(3, np.float32))
    os.mkfifo(d / ".hidden.npy")      # not *.npy entries of interest: never opened
    os.mkfifo(d / "notes.txt")
    fmt, tensors, _ = _reader.read_tensors(str(d))
    assert fmt == "dir" and [(t.name, t.shape) for t in tensors] == [("a", (3,)), ("b", (2, 3))]
    assert _reader.tensor_stats(tensors[1])["mean"] == pytest.approx(w.mean())
    assert info(d).returncode == 0
    os.symlink(tmp_path / "missing", d / "c.npy")    # dangling: an OSError naming it
    r = info(d)
    assert r.returncode == 2   # an unreadable input file: bad input
    _assert_one_line(r.stderr, str(d / "c.npy"))


def test_a_fifo_swapped_in_after_the_stat_does_not_block(tmp_path):
    # os.stat reports a regular file; the O_NONBLOCK open and fstat catch the FIFO
    os.mkfifo(tmp_path / "p.npy")
    np.save(tmp_path / "r.npy", np.ones(2))
    code = ("import os, sys\nfrom xavier import _reader\n"
            "real, fake = os.stat, os.stat(sys.argv[2])\n"
            "os.stat = lambda p, *a, **k: fake if str(p) == sys.argv[1] else real(p, *a, **k)\n"
            "try:\n    _reader.read_tensors(sys.argv[1])\n"
            "except _reader.FormatError as e:\n    print(e)\n    sys.exit(3)\n")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.npy"),
                        str(tmp_path / "r.npy")],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 3 and "FIFO" in r.stdout, r
